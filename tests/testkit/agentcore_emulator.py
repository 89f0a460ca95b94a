"""A loopback emulator of AgentCore's data plane (InvokeAgentRuntime, StopRuntimeSession).

Why: the CLI talks to AgentCore through boto3's real ``bedrock-agentcore`` client; moto mocks
only the control plane. Pointing ``AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`` here exercises the whole
client path (signing, URL building, header serialisation, streaming body, error parsing) offline.

What it checks, all read from botocore's own service model (``botocore.loaders``), so it cannot
drift from the client: the operation's method and URI template (the runtime ARN is one
percent-encoded path label), every header member's length bounds (the session id's 33
characters), required members, that the request is SigV4-signed for ``bedrock-agentcore`` in
the ARN's region (or carries the bearer token for a runtime set up with one: AgentCore refuses
the other method), and that the runtime and endpoint (``qualifier``) exist. Answers carry the
output shape's headers and errors the modelled status, ``x-amzn-ErrorType`` and ``message``.

Invocations are forwarded to a real agent server (the container contract) with AgentCore's
headers, and its answer streamed back chunk by chunk; a client that leaves mid-stream closes the
upstream request, as the platform does. A container 4xx/5xx becomes 424 ``RuntimeClientError``
with the platform's message (the container's body is not passed on).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.loaders
import httpx

from tests.testkit.loopback import LoopbackServer, ServedOnLoopback

SERVICE = "bedrock-agentcore"
_SIGV4 = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,")
_ARN_REGION = re.compile(r"^arn:[^:]+:bedrock-agentcore:(?P<region>[^:]+):")
_RELAYED = ("content-type", "accept")


def service_model() -> dict[str, Any]:
    return botocore.loaders.Loader().load_service_model(SERVICE, "service-2")


@dataclass
class Operation:
    """One modelled operation: how to match its URL, and its input/output/error shapes."""

    name: str
    method: str
    path: re.Pattern[str]
    input: dict[str, Any]
    output: dict[str, Any]
    errors: frozenset[str]


@dataclass
class RuntimeEntry:
    agent_url: str
    qualifiers: frozenset[str]
    bearer_token: str | None


@dataclass
class Recorded:
    """A request the emulator accepted (or refused, with ``error`` set)."""

    operation: str
    arn: str
    qualifier: str | None
    headers: dict[str, str]
    body: bytes
    error: str | None = None


@dataclass
class _Failure:
    code: str
    message: str


class ServiceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class AgentCoreEmulator(ServedOnLoopback):
    """Serve on 127.0.0.1; register runtimes with ``add_runtime``; read ``.requests`` / ``.stops``."""

    runtimes: dict[str, RuntimeEntry] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.model = service_model()
        self.operations = [self._operation(name) for name in ("InvokeAgentRuntime", "StopRuntimeSession")]
        self._lock = threading.Lock()
        self._http = LoopbackServer(_handler(self), "agentcore-emulator")
        self.url = self._http.url
        self.sessions: set[tuple[str, str, str]] = set()  # (arn, qualifier, session id) that ran

    # -- set-up --------------------------------------------------------------------------------

    def add_runtime(
        self, arn: str, agent_url: str, *, qualifiers: tuple[str, ...] = ("DEFAULT",), bearer_token: str | None = None
    ) -> None:
        self.runtimes[arn] = RuntimeEntry(agent_url.rstrip("/"), frozenset(qualifiers), bearer_token)

    def fail_next(self, code: str, message: str = "emulated failure") -> None:
        """Answer the next request with this modelled error (its status comes from the model)."""
        self.status_of(code)  # a typo fails here, not in the request
        self.failures.append(_Failure(code, message))

    def status_of(self, code: str) -> int:
        return int(self.model["shapes"][code]["error"]["httpStatusCode"])

    @property
    def stops(self) -> list[Recorded]:
        return [r for r in self.requests if r.operation == "StopRuntimeSession" and r.error is None]

    @property
    def invocations(self) -> list[Recorded]:
        return [r for r in self.requests if r.operation == "InvokeAgentRuntime" and r.error is None]

    # -- the model -----------------------------------------------------------------------------

    def _operation(self, name: str) -> Operation:
        spec = self.model["operations"][name]
        template = urlsplit(spec["http"]["requestUri"]).path
        pattern = re.escape(template)
        for label in re.findall(r"\{(\w+)\}", template):
            pattern = pattern.replace(re.escape("{" + label + "}"), f"(?P<{label}>[^/]+)")
        return Operation(
            name=name,
            method=spec["http"]["method"],
            path=re.compile(f"^{pattern}$"),
            input=self.model["shapes"][spec["input"]["shape"]],
            output=self.model["shapes"][spec["output"]["shape"]],
            errors=frozenset(error["shape"] for error in spec.get("errors", [])),
        )

    def check_request(
        self, operation: Operation, labels: Mapping[str, str], query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> dict[str, Any]:
        """The input members found in the request; ServiceError(ValidationException) for a broken rule."""
        members: dict[str, Any] = {}
        payload_member = operation.input.get("payload")
        json_body = json.loads(body) if body and payload_member is None else {}
        for name, member in operation.input["members"].items():
            location, wire = member.get("location"), member.get("locationName", name)
            value = {
                "header": headers.get(wire.lower()),
                "uri": labels.get(wire),
                "querystring": query.get(wire),
            }.get(location) if location else (body if name == payload_member else json_body.get(name))
            if value is None:
                continue
            shape = self.model["shapes"][member["shape"]]
            if shape.get("type") == "string":
                low, high = shape.get("min", 0), shape.get("max")
                if len(value) < low or (high is not None and len(value) > high):
                    raise ServiceError(
                        "ValidationException",
                        f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
                        f"Member must have length between {low} and {high}",
                    )
                if shape.get("pattern") and not re.fullmatch(shape["pattern"], value):
                    raise ServiceError("ValidationException", f"Value at '{name}' failed to satisfy its pattern")
            members[name] = value
        missing = [name for name in operation.input.get("required", []) if name not in members]
        if missing:
            raise ServiceError("ValidationException", f"missing required members: {', '.join(missing)}")
        return members

    def response_headers(self, operation: Operation, values: Mapping[str, str]) -> dict[str, str]:
        """The output shape's header members, under the wire names the model gives them."""
        headers = {}
        for name, member in operation.output["members"].items():
            if member.get("location") == "header" and name in values:
                headers[member["locationName"]] = values[name]
        return headers

    # -- authorisation and routing -------------------------------------------------------------

    def authorise(self, arn: str, headers: Mapping[str, str]) -> RuntimeEntry:
        runtime = self.runtimes.get(arn)
        authorization = headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            if runtime is not None and runtime.bearer_token is None:
                raise ServiceError("AccessDeniedException", "Authorization method mismatch: this agent uses SigV4.")
            if runtime is not None and authorization != f"Bearer {runtime.bearer_token}":
                raise ServiceError("AccessDeniedException", "The bearer token is not valid for this agent.")
        else:
            signed = _SIGV4.match(authorization)
            arn_region = _ARN_REGION.match(arn)
            if signed is None or signed["service"] != SERVICE:
                raise ServiceError("AccessDeniedException", f"Requests must be SigV4-signed for {SERVICE}.")
            if arn_region is None or signed["region"] != arn_region["region"]:
                raise ServiceError("AccessDeniedException", "The request was signed for another region than the runtime's.")
            if runtime is not None and runtime.bearer_token is not None:
                raise ServiceError("AccessDeniedException", "Authorization method mismatch: this agent uses OAuth.")
        if runtime is None:
            raise ServiceError("ResourceNotFoundException", f"No agent found with ARN {arn}")
        return runtime

    def next_failure(self) -> _Failure | None:
        with self._lock:
            return self.failures.pop(0) if self.failures else None

    def record(self, entry: Recorded) -> None:
        with self._lock:
            self.requests.append(entry)


def _handler(emulator: AgentCoreEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {key.lower(): value for key, value in self.headers.items()}
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            for operation in emulator.operations:
                match = operation.path.match(url.path)
                if match and self.command == operation.method:
                    break
            else:
                self._error(404, "UnknownOperationException", f"no operation at {self.command} {url.path}")
                return
            labels = {key: unquote(value) for key, value in match.groupdict().items()}
            arn = labels.get("agentRuntimeArn", "")
            record = Recorded(operation.name, arn, query.get("qualifier"), headers, body)
            try:
                members = emulator.check_request(operation, labels, query, headers, body)
                runtime = emulator.authorise(arn, headers)
                qualifier = members.get("qualifier", "DEFAULT")
                if qualifier not in runtime.qualifiers:
                    raise ServiceError(
                        "ResourceNotFoundException", f"No endpoint or agent found with qualifier '{qualifier}' for agent '{arn}'"
                    )
                failure = emulator.next_failure()
                if failure is not None:
                    raise ServiceError(failure.code, failure.message)
            except ServiceError as error:
                assert error.code in operation.errors, f"{operation.name} cannot answer {error.code}"
                record.error = error.code
                emulator.record(record)
                self._error(emulator.status_of(error.code), error.code, error.message)
                return
            emulator.record(record)
            if operation.name == "StopRuntimeSession":
                self._stop(operation, arn, qualifier, members)
            else:
                self._invoke(operation, runtime, arn, qualifier, members, headers)

        def _stop(self, operation: Operation, arn: str, qualifier: str, members: Mapping[str, Any]) -> None:
            session = members["runtimeSessionId"]
            if (arn, qualifier, session) not in emulator.sessions:
                self._error(404, "ResourceNotFoundException", f"Session {session} not found")
                return
            emulator.sessions.discard((arn, qualifier, session))
            self._send(200, emulator.response_headers(operation, {"runtimeSessionId": session}), b"{}", "application/json")

        def _invoke(
            self,
            operation: Operation,
            runtime: RuntimeEntry,
            arn: str,
            qualifier: str,
            members: Mapping[str, Any],
            headers: Mapping[str, str],
        ) -> None:
            # Like the platform: without a session id from the caller, one is made up (a new microVM).
            session = members.get("runtimeSessionId") or str(uuid.uuid4())
            emulator.sessions.add((arn, qualifier, session))
            upstream = {
                "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session,
                "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id": str(uuid.uuid4()),
                **{name: headers[name] for name in _RELAYED if name in headers},
            }
            if runtime.bearer_token is not None:
                upstream["Authorization"] = headers["authorization"]
            with httpx.Client(timeout=httpx.Timeout(300, connect=5)) as client, client.stream(
                "POST", f"{runtime.agent_url}/invocations", headers=upstream, content=members["payload"]
            ) as answer:
                if answer.status_code >= 400:
                    answer.read()
                    self._error(
                        424,
                        "RuntimeClientError",
                        f"Received error ({answer.status_code}) from runtime. Please check your CloudWatch logs for more information.",
                    )
                    return
                content_type = answer.headers.get("content-type", "application/json")
                response_headers = emulator.response_headers(
                    operation, {"runtimeSessionId": session, "contentType": content_type}
                )
                self.send_response(answer.status_code)
                for name, value in response_headers.items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in answer.iter_raw():
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the caller left; leaving the block closes upstream

        def _error(self, status: int, code: str, message: str) -> None:
            self._send(status, {"x-amzn-ErrorType": code}, json.dumps({"message": message}).encode(), "application/json")

        def _send(self, status: int, headers: Mapping[str, str], body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: tests read ``requests``."""

    return Handler
