"""The transports that speak plain HTTP(S) with httpx: a JWT runtime's data plane and a local agent.

- ``BearerTransport``: the data-plane URL over HTTPS with ``Authorization: Bearer``, for runtimes
  behind a JWT authorizer (a SigV4 client cannot send a bearer token). The URL comes from the
  botocore client's own endpoint resolution, so partitions and ``AWS_ENDPOINT_URL_*`` overrides
  apply exactly as for SigV4.
- ``LocalTransport``: the agent's own HTTP contract, as ``agentcore dev`` serves it.

A module of its own so commands that sign with SigV4 never import httpx.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import httpx

from .client import CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, SESSION_HEADER, Reply, Transport, accept, agentcore_client, payload
from .errors import CliError, ExitCode, service_error
from .events import body_events
from .stack import Runtime


class _HttpTransport(Transport):
    """Shared by the bearer-token and local transports: one streamed POST with httpx."""

    def __init__(self, read_timeout: float) -> None:
        self.read_timeout = read_timeout
        self._http = httpx.Client(timeout=httpx.Timeout(read_timeout, connect=CONNECT_TIMEOUT))

    def _send(self, url: str, headers: dict[str, str], body: bytes, params: dict[str, str] | None = None) -> httpx.Response:
        request = self._http.build_request("POST", url, params=params, headers=headers, content=body)
        try:
            return self._http.send(request, stream=True)
        except httpx.TimeoutException as error:
            raise CliError(f"no answer from {self.label} ({type(error).__name__})", ExitCode.UNREACHABLE) from error
        except httpx.TransportError as error:
            raise CliError(self._unreachable(error), ExitCode.UNREACHABLE) from error

    def _unreachable(self, error: Exception) -> str:
        return f"cannot reach {self.label}: {error}"

    def _reply(self, response: httpx.Response, session_id: str) -> Reply:
        return Reply(
            events=body_events(
                response.headers.get("content-type", ""), self._chunks(response), status=response.status_code
            ),
            session_id=response.headers.get(SESSION_HEADER) or session_id,
            close=response.close,
        )

    def _chunks(self, response: httpx.Response) -> Iterator[bytes]:
        try:
            yield from response.iter_bytes()
        except httpx.TimeoutException as error:
            raise CliError(
                f"no data from {self.label} for {self.read_timeout:g} s: raise --read-timeout", ExitCode.UNREACHABLE
            ) from error
        except httpx.TransportError as error:
            raise CliError(f"the answer stream from {self.label} broke off ({error})", ExitCode.UNREACHABLE) from error
        finally:
            response.close()


class BearerTransport(_HttpTransport):
    def __init__(self, runtime: Runtime, token: str, read_timeout: float = DEFAULT_READ_TIMEOUT) -> None:
        super().__init__(read_timeout)
        self.runtime = runtime
        self.label = runtime.label
        self._token = token
        endpoint = agentcore_client(runtime.region, read_timeout).meta.endpoint_url.rstrip("/")
        # The ARN is one path label: every reserved character escaped, as botocore does.
        self._base = f"{endpoint}/runtimes/{quote(runtime.arn, safe='')}"

    def invoke(self, prompt: str, session_id: str, *, stream: bool) -> Reply:
        response = self._send(
            f"{self._base}/invocations",
            self._headers(session_id) | {"Content-Type": "application/json", "Accept": accept(stream)},
            payload(prompt, stream=stream),
            {"qualifier": self.runtime.qualifier},
        )
        self._raise_for_service_error(response, "InvokeAgentRuntime")
        return self._reply(response, session_id)

    def stop(self, session_id: str) -> None:
        body = json.dumps({"clientToken": str(uuid.uuid4())}).encode()  # botocore sends a fresh one too
        response = self._send(
            f"{self._base}/stopruntimesession",
            self._headers(session_id) | {"Content-Type": "application/json"},
            body,
            {"qualifier": self.runtime.qualifier},
        )
        self._raise_for_service_error(response, "StopRuntimeSession")
        response.close()

    def _headers(self, session_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", SESSION_HEADER: session_id}

    def _raise_for_service_error(self, response: httpx.Response, operation: str) -> None:
        """AgentCore's rest-json errors: the code in ``x-amzn-ErrorType``, a ``message`` in the body."""
        if response.status_code < 400:
            return
        body = response.read()
        response.close()
        code = response.headers.get("x-amzn-errortype", "").split(":", 1)[0]
        try:
            document = json.loads(body)
        except json.JSONDecodeError:
            document = {}
        message = str(document.get("message") or document.get("Message") or "") if isinstance(document, dict) else ""
        if not code and response.status_code in {401, 403}:
            code = "AccessDeniedException"
        raise service_error(code or f"HTTP {response.status_code}", message, operation=operation, target=self.label)


class LocalTransport(_HttpTransport):
    """The agent served by ``agentcore dev`` (or any server on the container contract)."""

    stoppable = False  # its sessions live in the server's memory until it restarts

    def __init__(self, url: str, read_timeout: float = DEFAULT_READ_TIMEOUT) -> None:
        super().__init__(read_timeout)
        self.url = url.rstrip("/")
        self.label = f"the local agent at {self.url}"

    def invoke(self, prompt: str, session_id: str, *, stream: bool) -> Reply:
        response = self._send(
            f"{self.url}/invocations",
            {SESSION_HEADER: session_id, "Content-Type": "application/json", "Accept": accept(stream)},
            payload(prompt, stream=stream),
        )
        return self._reply(response, session_id)

    def stop(self, session_id: str) -> None:
        """Nothing to stop (see ``stoppable``)."""

    def _unreachable(self, error: Exception) -> str:
        return f"no agent answers at {self.url} ({error}): start one with `agentcore dev`"
