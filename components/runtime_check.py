"""Post-deploy check: invoke the runtime once whenever it gets a new version, and fail the update
with a clear message when it does not answer within a bound. A Pulumi dynamic resource on boto3.

Why: a `pulumi up` that "succeeded" only says CloudFormation-level resources reached READY; an
image that crashes on its first request, a model the role may not call, or a wrong endpoint
version all pass. Sending one real prompt through the data plane catches them while the deployer
is still watching, and the failed update says what broke.

When it runs: on create, and on every update whose inputs changed. The component passes the
runtime's version output (and the endpoint's, when a named endpoint is checked), so each new
version is checked exactly once; an unchanged stack does not invoke anything. The check uses a
fresh session id (so a new microVM, hence the new code) and stops that session afterwards, so it
is not billed for the idle timeout; a failure to stop is ignored (the answer is what counts).

How Pulumi runs it: as `components.log_group_resource` explains (provider pickled by reference,
boto3 imported inside the methods, credentials from boto3's chain with the stack's `aws:profile`,
the endpoint from `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE` when set). The region is the runtime ARN's.

The deployer needs `bedrock-agentcore:InvokeAgentRuntime` (and `StopRuntimeSession`) on this
runtime only when the check is on.

Bound: `timeout_seconds` covers the whole call (connection, cold start, the agent's answer). The
call runs in a worker thread with the same read timeout, so an agent that never answers fails
the update after the bound instead of hanging it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic as dynamic
from pulumi.runtime import rpc

from .schema import bounds

# The module path and class name are stored in every stack's state (see log_group_resource).
PROVIDER_REFERENCE = "components.runtime_check.RuntimeCheckProvider"

RUNTIME_ARN = re.compile(r"arn:aws[a-z-]*:bedrock-agentcore:(?P<region>[a-z0-9-]+):\d{12}:runtime/[A-Za-z][A-Za-z0-9_]*-[A-Za-z0-9]+")
QUALIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,47}")
MIN_TIMEOUT, MAX_TIMEOUT = bounds("post_deploy_check.timeout_seconds")  # AgentCore answers for at most 15 minutes
MAX_PROMPT_CHARS = bounds("post_deploy_check.prompt")[1]
EXCERPT_CHARS = 200
_UNKNOWN = rpc.UNKNOWN
_INPUTS = ("runtime_arn", "runtime_version", "qualifier", "prompt", "timeout_seconds")


class RuntimeCheckError(RuntimeError):
    """The runtime did not answer the check; the message says what happened and where to look."""


@dataclass(frozen=True)
class CheckSpec:
    runtime_arn: str
    runtime_version: str
    prompt: str
    qualifier: str = "DEFAULT"
    timeout_seconds: int = 120

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> CheckSpec:
        return cls(
            runtime_arn=str(props["runtime_arn"]),
            runtime_version=str(props.get("runtime_version") or ""),
            prompt=str(props["prompt"]),
            qualifier=str(props.get("qualifier") or "DEFAULT"),
            timeout_seconds=int(props.get("timeout_seconds") or 120),
        )

    @property
    def region(self) -> str:
        match = RUNTIME_ARN.fullmatch(self.runtime_arn)
        assert match is not None, self.runtime_arn  # check() refused anything else
        return match["region"]

    @property
    def where(self) -> str:
        return f"{self.runtime_arn} (endpoint {self.qualifier}, version {self.runtime_version or '?'})"


def spec_problems(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(input, rule broken) for each bad input; values unknown at preview are not judged."""

    def known(key: str) -> bool:
        return props.get(key) is not None and props.get(key) != _UNKNOWN

    problems: list[tuple[str, str]] = []
    if known("runtime_arn") and not RUNTIME_ARN.fullmatch(str(props["runtime_arn"])):
        problems.append(("runtime_arn", "must be a bedrock-agentcore runtime ARN"))
    if known("qualifier") and not QUALIFIER.fullmatch(str(props["qualifier"])):
        problems.append(("qualifier", "must be an endpoint name, [a-zA-Z][a-zA-Z0-9_]{0,47}"))
    prompt = props.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > MAX_PROMPT_CHARS:
        problems.append(("prompt", f"must be a non-empty string of at most {MAX_PROMPT_CHARS} characters"))
    timeout = props.get("timeout_seconds")
    if not isinstance(timeout, int) or isinstance(timeout, bool) or not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        problems.append(("timeout_seconds", f"must be a whole number of seconds from {MIN_TIMEOUT} to {MAX_TIMEOUT}"))
    return problems


def run_check(spec: CheckSpec, profile: str | None = None) -> dict[str, Any]:
    """Invoke once; return what answered. RuntimeCheckError for no answer, an error or a time-out."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=10,
        read_timeout=spec.timeout_seconds,
        retries={"mode": "standard", "total_max_attempts": 3},
        user_agent_extra="agentcore-post-deploy-check",
    )
    client = boto3.Session(profile_name=profile).client("bedrock-agentcore", region_name=spec.region, config=config)
    session_id = f"pulumi-check-{uuid.uuid4().hex}"  # 45 characters: AgentCore wants 33 or more
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runtime-check")
    try:
        body = executor.submit(_invoke, client, spec, session_id).result(timeout=spec.timeout_seconds)
    except FutureTimeout:
        raise _no_answer(spec) from None
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    _stop(client, spec, session_id)
    return {"checked_version": spec.runtime_version, "answer_excerpt": _answer(spec, body)[:EXCERPT_CHARS]}


def _no_answer(spec: CheckSpec) -> RuntimeCheckError:
    return RuntimeCheckError(
        f"post-deploy check: {spec.where} did not answer within {spec.timeout_seconds} s; "
        "see the runtime's logs (agentcore logs), or raise the check's timeout"
    )


def _invoke(client: Any, spec: CheckSpec, session_id: str) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

    try:
        response = client.invoke_agent_runtime(
            agentRuntimeArn=spec.runtime_arn,
            qualifier=spec.qualifier,
            runtimeSessionId=session_id,
            payload=json.dumps({"prompt": spec.prompt}).encode(),
            contentType="application/json",
            accept="application/json",
        )
        return bytes(response["response"].read())
    except ClientError as error:
        details = error.response.get("Error", {})
        code, message = details.get("Code", "Unknown"), details.get("Message", "")
        hint = "; the agent failed: see its logs (agentcore logs)" if code == "RuntimeClientError" else ""
        raise RuntimeCheckError(f"post-deploy check: invoking {spec.where} failed: {code}: {message}{hint}") from None
    except ReadTimeoutError:
        raise _no_answer(spec) from None
    except BotoCoreError as error:
        raise RuntimeCheckError(f"post-deploy check: invoking {spec.where} failed: {type(error).__name__}: {error}") from None


def _answer(spec: CheckSpec, body: bytes) -> str:
    """The answer's text: this project's agent's `completion`, else the body as text."""
    text = body.decode("utf-8", errors="replace")
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("error"), str):
        raise RuntimeCheckError(
            f"post-deploy check: {spec.where} answered an error: [{document.get('code', '')}] {document['error']}"
        )
    if isinstance(document, dict) and isinstance(document.get("completion"), str):
        text = document["completion"]
    if not text.strip():
        raise RuntimeCheckError(f"post-deploy check: {spec.where} answered with an empty body")
    return text


def _stop(client: Any, spec: CheckSpec, session_id: str) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client.stop_runtime_session(agentRuntimeArn=spec.runtime_arn, qualifier=spec.qualifier, runtimeSessionId=session_id)
    except (BotoCoreError, ClientError) as error:
        pulumi.log.warn(f"post-deploy check: could not stop its session {session_id}: {error}")


class RuntimeCheckProvider(dynamic.ResourceProvider):
    """Create/update run the check; read and delete touch nothing (a check leaves nothing behind)."""

    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._profile: str | None = None

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        self._profile = req.config.get("aws:profile") or None

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        return dynamic.CheckResult(news, [dynamic.CheckFailure(p, r) for p, r in spec_problems(news)])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = [key for key in _INPUTS if olds.get(key) != news.get(key)]
        return dynamic.DiffResult(changes=bool(changed), replaces=[], stables=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        spec = CheckSpec.from_props(props)
        return dynamic.CreateResult(f"check-{uuid.uuid4().hex[:12]}", {**props, **run_check(spec, self._profile)})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult({**news, **run_check(CheckSpec.from_props(news), self._profile)})

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        return dynamic.ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class RuntimeCheck(dynamic.Resource, module="agentcore", name="RuntimeCheck"):
    """Invokes the runtime once per new version during `pulumi up`; the update fails when it does
    not answer within `timeout_seconds`. Outputs: `checked_version`, `answer_excerpt`."""

    checked_version: pulumi.Output[str]
    answer_excerpt: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        runtime_arn: pulumi.Input[str],
        runtime_version: pulumi.Input[str],
        prompt: str,
        qualifier: pulumi.Input[str] = "DEFAULT",
        timeout_seconds: int = 120,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "runtime_arn": runtime_arn,
            "runtime_version": runtime_version,
            "qualifier": qualifier,
            "prompt": prompt,
            "timeout_seconds": timeout_seconds,
            "checked_version": None,
            "answer_excerpt": None,
        }
        super().__init__(RuntimeCheckProvider(), resource_name, props, opts)
