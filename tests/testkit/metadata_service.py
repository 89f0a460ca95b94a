"""A loopback instance-metadata service that hands out role credentials, in either protocol.

Why: inside AgentCore the execution role's credentials come from the microVM's metadata service.
AWS now requires the token protocol there (MMDSv2: ``PUT /latest/api/token``, then GETs carrying
``X-aws-ec2-metadata-token``), while field reports say it once answered only plain GETs. The
agents' SDKs reach this server through the standard ``AWS_EC2_METADATA_SERVICE_ENDPOINT``
variable, so a test can serve either behaviour and see which requests each agent makes.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

from tests.testkit.loopback import LoopbackServer, ServedOnLoopback

ROLES_PATH = "/latest/meta-data/iam/security-credentials/"
TOKEN_PATH = "/latest/api/token"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"


@dataclass(frozen=True)
class MetadataRequest:
    method: str
    path: str
    token: str | None


class MetadataService(ServedOnLoopback):
    """Serves one role's credentials. ``token_required``: GETs without the issued token get 401
    (MMDSv2). Otherwise the token route answers ``token_status`` (a service that only knows plain
    GETs: 403, 404 or 405) and GETs need no token."""

    role = "AgentRuntimeExecutionRole"

    def __init__(self, *, token_required: bool, token_status: int = 404) -> None:
        self.token_required = token_required
        self.token_status = token_status
        self.token = secrets.token_hex(16)
        self.access_key_id = "ASIA" + secrets.token_hex(8).upper()
        self.secret_access_key = secrets.token_hex(20)
        self.session_token = "metadata-session-" + secrets.token_hex(12)
        self._lock = threading.Lock()
        self._requests: list[MetadataRequest] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                service._record("PUT", self.path, self.headers.get(TOKEN_HEADER))
                if self.path != TOKEN_PATH:
                    return self._answer(404, b"")
                if not service.token_required:
                    return self._answer(service.token_status, b"")
                if not self.headers.get(TTL_HEADER):
                    return self._answer(400, b"")  # as EC2's service: the TTL header is mandatory
                # As EC2's service, the answer repeats the token's lifetime (SDKs check it).
                return self._answer(200, service.token.encode(), {TTL_HEADER: self.headers[TTL_HEADER]})

            def do_GET(self) -> None:
                token = self.headers.get(TOKEN_HEADER)
                service._record("GET", self.path, token)
                if service.token_required and token != service.token:
                    return self._answer(401, b"")
                if self.path == ROLES_PATH:
                    return self._answer(200, service.role.encode())
                if self.path == ROLES_PATH + service.role:
                    return self._answer(200, service.credential_document())
                return self._answer(404, b"")

            def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read ``requests``."""

        self._http = LoopbackServer(Handler, "metadata-service")
        self.url = self._http.url

    def credential_document(self) -> bytes:
        """The instance-metadata credential document, valid for six hours."""
        now = datetime.now(UTC)
        return json.dumps({
            "Code": "Success",
            "LastUpdated": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Type": "AWS-HMAC",
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "Token": self.session_token,
            "Expiration": (now + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }).encode()

    def _record(self, method: str, path: str, token: str | None) -> None:
        with self._lock:
            self._requests.append(MetadataRequest(method, path, token))

    @property
    def requests(self) -> list[MetadataRequest]:
        with self._lock:
            return list(self._requests)
