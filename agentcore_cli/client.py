"""Send one turn to an agent and get its answer as a stream of events, three ways.

- ``SigV4Transport``: boto3's ``bedrock-agentcore`` client (``InvokeAgentRuntime``,
  ``StopRuntimeSession``), signed with the user's AWS credentials. Its read timeout is raised
  from botocore's 60 s because one turn may legitimately be silent longer than that (a slow tool).
- ``BearerTransport``: the same data-plane URL over plain HTTPS with ``Authorization: Bearer``, for
  runtimes behind a JWT authorizer (a SigV4 client cannot send a bearer token). The URL comes
  from the boto3 client's own endpoint resolution, so partitions and ``AWS_ENDPOINT_URL_*``
  overrides apply exactly as for SigV4.
- ``LocalTransport``: the agent's own HTTP contract, as ``agentcore dev`` serves it.

Each returns a ``Reply`` whose events arrive as the bytes do (see ``events``); failures the user
can fix become ``CliError`` lines (see ``errors``).
"""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import boto3
import httpx
from botocore.config import Config

from .errors import CliError, ExitCode, from_botocore, service_error
from .events import Event, body_events
from .stack import Runtime

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
CONNECT_TIMEOUT = 10.0
# One synchronous AgentCore request may run 15 minutes; a stream stays open up to 60.
DEFAULT_READ_TIMEOUT = 900.0


@dataclass
class Reply:
    """An answer being received: iterate ``events``; ``close`` abandons it (the agent then
    cancels the turn when it notices the client left)."""

    events: Iterator[Event]
    session_id: str
    close: Callable[[], None]


def payload(prompt: str, *, stream: bool) -> bytes:
    """The agent's request body (agent_image/agentcore_agent/payload.py)."""
    return json.dumps({"prompt": prompt, "stream": stream}, ensure_ascii=False).encode()


def accept(stream: bool) -> str:
    return "text/event-stream" if stream else "application/json"


class Transport(ABC):
    """Where turns go; ``label`` names it in messages."""

    label: str

    @abstractmethod
    def invoke(self, prompt: str, session_id: str, *, stream: bool) -> Reply: ...

    def stop(self, session_id: str) -> None:
        """End the session so it stops being billed (a no-op where there is nothing to stop)."""


def agentcore_client(region: str, read_timeout: float) -> Any:
    """boto3's data-plane client for ``region``; AWS_ENDPOINT_URL_BEDROCK_AGENTCORE applies."""
    config = Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": 3},
        user_agent_extra="agentcore-cli",
    )
    return boto3.session.Session().client("bedrock-agentcore", region_name=region, config=config)


class SigV4Transport(Transport):
    def __init__(self, runtime: Runtime, read_timeout: float = DEFAULT_READ_TIMEOUT) -> None:
        self.runtime = runtime
        self.label = runtime.label
        self.read_timeout = read_timeout
        self._client = agentcore_client(runtime.region, read_timeout)

    def invoke(self, prompt: str, session_id: str, *, stream: bool) -> Reply:
        with self._errors("InvokeAgentRuntime"):
            response = self._client.invoke_agent_runtime(
                agentRuntimeArn=self.runtime.arn,
                qualifier=self.runtime.qualifier,
                runtimeSessionId=session_id,
                payload=payload(prompt, stream=stream),
                contentType="application/json",
                accept=accept(stream),
            )
        body = response["response"]
        content_type = response.get("contentType", "")
        # read(1) returns each byte as it arrives; a larger read waits for that many bytes and
        # would hold back the last delta until the next one comes. Cost: about 4 us a byte
        # (0.2 s of CPU for a 45 KB stream, measured against the emulator).
        reads = (lambda: body.read(1)) if content_type.startswith("text/event-stream") else body.read
        return Reply(
            events=body_events(content_type, self._chunks(reads)),
            session_id=response.get("runtimeSessionId") or session_id,
            close=body.close,
        )

    def stop(self, session_id: str) -> None:
        with self._errors("StopRuntimeSession"):
            self._client.stop_runtime_session(
                agentRuntimeArn=self.runtime.arn, qualifier=self.runtime.qualifier, runtimeSessionId=session_id
            )

    def _chunks(self, read: Callable[[], bytes]) -> Iterator[bytes]:
        with self._errors("InvokeAgentRuntime"):
            while chunk := read():
                yield chunk

    def _errors(self, operation: str) -> _BotocoreErrors:
        return _BotocoreErrors(operation, self.label, self.read_timeout)


class _BotocoreErrors:
    """Turn botocore failures inside the block into ``CliError`` lines (others pass through)."""

    def __init__(self, operation: str, target: str, read_timeout: float) -> None:
        self.operation, self.target, self.read_timeout = operation, target, read_timeout

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, Exception):
            mapped = from_botocore(exc, operation=self.operation, target=self.target, read_timeout=self.read_timeout)
            if mapped is not None:
                raise mapped from exc


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

    def _unreachable(self, error: Exception) -> str:
        return f"no agent answers at {self.url} ({error}): start one with `agentcore dev`"
