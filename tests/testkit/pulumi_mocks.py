"""Run the real Pulumi program (or a component) against Pulumi's mock engine, offline.

Only the true boundary is mocked: the engine (resource registration) and AWS (invokes and the
outputs a provider would report). The program, the component and every pure module run for real.

- `AwsMocks` answers the invokes the component makes (partition, caller identity, region, ECR
  authorization token, the region's ECR repositories: none unless a test says which exist) and returns realistic outputs for each resource type (ARNs in the mocked
  partition, ECR URLs, an image digest derived from what would be built, runtime ids, log-group,
  delivery, alarm and dashboard ARNs; the runtime's version is the one the test sets, "1" by
  default). An unexpected invoke or resource type fails the test instead of returning nothing.
  With `preview=True` it plans a fresh stack: nothing has been created, so no computed output is
  known.
- `RecordingMonitor` keeps what the stock mock monitor drops: each registration's parent, explicit
  dependencies, `protect` and `retainOnDelete`, and the stack's exported outputs.
- `stack_config` builds the config exactly as the Pulumi CLI hands it to a program: Pulumi.yaml's
  declared defaults, overridden by Pulumi.<stack>.yaml, as strings (arrays and maps as JSON) in
  the PULUMI_CONFIG environment variable.
"""

import asyncio
import base64
import hashlib
import json
import logging
import runpy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS, set_root_resource
from pulumi.runtime.stack import run_in_stack

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "123456789012"
DNS_SUFFIXES = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}


class AwsMocks(pulumi.runtime.Mocks):
    """What AWS (through the aws, aws-native and docker-build providers) would answer."""

    def __init__(
        self,
        *,
        region: str,
        partition: str = "aws",
        account_id: str = ACCOUNT_ID,
        preview: bool = False,
        runtime_version: str = "1",
        repositories: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.region = region
        # ECR repositories that exist in the account before the run (name -> encryption
        # configuration as DescribeRepositories reports it): an existing stack's repository.
        self.repositories = dict(repositories or {})
        # The version AgentCore reports for the runtime: "1" for a new one. A mock cannot know
        # when the service would count a new version, so it does not guess: tests that need a
        # later version set one, and assert what the component does with it.
        self.runtime_version = runtime_version
        self.partition = partition
        self.account_id = account_id
        self.preview = preview
        self.dns_suffix = DNS_SUFFIXES[partition]
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.calls.append((args.token, dict(args.args)))
        p, a, r = self.partition, self.account_id, self.region
        if args.token == "aws:index/getPartition:getPartition":
            return {"id": p, "partition": p, "dnsSuffix": self.dns_suffix, "reverseDnsPrefix": ".".join(reversed(self.dns_suffix.split(".")))}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"id": a, "accountId": a, "arn": f"arn:{p}:iam::{a}:user/bootstrap", "userId": "AIDAEXAMPLEUSERID"}
        if args.token == "aws:index/getRegion:getRegion":
            return {"id": r, "region": r, "name": r, "endpoint": f"ec2.{r}.{self.dns_suffix}", "description": r}
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            registry = args.args.get("registryId") or a
            password = "mock-ecr-password"
            return {
                "id": registry,
                "registryId": registry,
                "userName": "AWS",
                "password": password,
                "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
                "proxyEndpoint": f"https://{registry}.dkr.ecr.{r}.{self.dns_suffix}",
                "expiresAt": "2030-01-01T00:00:00Z",
            }
        if args.token == "aws:ecr/getRepositories:getRepositories":
            return {"id": r, "names": sorted(self.repositories), "region": r}
        if args.token == "aws:ecr/getRepository:getRepository":
            name = args.args["name"]
            if name not in self.repositories:
                raise RuntimeError(f"RepositoryNotFoundException: {name}")  # as the provider fails
            return {
                "id": name,
                "name": name,
                "arn": f"arn:{p}:ecr:{r}:{a}:repository/{name}",
                "registryId": a,
                "repositoryUrl": f"{a}.dkr.ecr.{r}.{self.dns_suffix}/{name}",
                "encryptionConfigurations": [self.repositories[name]],
                "imageTagMutability": "IMMUTABLE",
                "imageScanningConfigurations": [{"scanOnPush": True}],
                "mostRecentImageTags": [],
                "tags": {},
            }
        raise NotImplementedError(f"unexpected invoke {args.token}")

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        p, a, r = self.partition, self.account_id, self.region
        inputs = dict(args.inputs)
        typ = args.typ
        if not args.custom:
            return "", {}  # a component: the engine keeps no state for it
        if typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider", inputs
        if self.preview:
            return "", inputs  # planned, not created: ids, ARNs and other computed outputs are unknown
        if typ == "aws:iam/role:Role":
            name = inputs["name"]
            return name, {**inputs, "arn": f"arn:{p}:iam::{a}:role/{name}", "uniqueId": "AROAEXAMPLEROLEID"}
        if typ == "aws:iam/rolePolicy:RolePolicy":
            return f"{inputs['role']}:{inputs['name']}", inputs
        if typ == "aws:iam/policy:Policy":
            arn = f"arn:{p}:iam::{a}:policy{inputs.get('path', '/')}{inputs['name']}"
            return arn, {**inputs, "arn": arn, "policyId": "ANPAEXAMPLEPOLICYID", "attachmentCount": 1}
        if typ == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            return f"{inputs['role']}-{hashlib.sha256(inputs['policyArn'].encode()).hexdigest()[:8]}", inputs
        if typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = inputs["url"].removeprefix("https://")
            return f"arn:{p}:iam::{a}:oidc-provider/{host}", {**inputs, "arn": f"arn:{p}:iam::{a}:oidc-provider/{host}"}
        if typ == "aws:ecr/repository:Repository":
            name = inputs["name"]
            return name, {
                **inputs,
                "arn": f"arn:{p}:ecr:{r}:{a}:repository/{name}",
                "registryId": a,
                "repositoryUrl": f"{a}.dkr.ecr.{r}.{self.dns_suffix}/{name}",
            }
        if typ == "aws:kms/key:Key":
            key_id = hashlib.sha256(args.name.encode()).hexdigest()[:32]
            key_id = f"{key_id[:8]}-{key_id[8:12]}-{key_id[12:16]}-{key_id[16:20]}-{key_id[20:]}"
            arn = f"arn:{p}:kms:{r}:{a}:key/{key_id}"
            return key_id, {**inputs, "arn": arn, "keyId": key_id, "keyUsage": "ENCRYPT_DECRYPT", "isEnabled": True}
        if typ == "aws:kms/alias:Alias":
            name = inputs["name"]
            return name, {**inputs, "arn": f"arn:{p}:kms:{r}:{a}:{name}", "targetKeyArn": f"arn:{p}:kms:{r}:{a}:key/{inputs['targetKeyId']}"}
        if typ == "aws:ecr/lifecyclePolicy:LifecyclePolicy":
            return inputs["repository"], {**inputs, "registryId": a}
        if typ == "docker-build:index:Image":
            # A real build's digest depends on what is built: here, on the tags (content hash),
            # platforms and context, so an unchanged agent keeps its digest and a change moves it.
            material = json.dumps([inputs.get("tags"), inputs.get("platforms"), inputs.get("context")], sort_keys=True)
            digest = "sha256:" + hashlib.sha256(material.encode()).hexdigest()
            repo = inputs["tags"][0].rsplit(":", 1)[0]
            return f"{args.name}-image", {**inputs, "digest": digest, "ref": f"{repo}@{digest}", "contextHash": "mock"}
        if typ == "aws-native:bedrockagentcore:Runtime":
            name = inputs["agentRuntimeName"]
            runtime_id = f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
            return runtime_id, {
                **inputs,
                "agentRuntimeId": runtime_id,
                "agentRuntimeArn": f"arn:{p}:bedrock-agentcore:{r}:{a}:runtime/{runtime_id}",
                "agentRuntimeVersion": self.runtime_version,
                "status": "READY",
                "workloadIdentityDetails": {
                    "workloadIdentityArn": f"arn:{p}:bedrock-agentcore:{r}:{a}:workload-identity-directory/default/workload-identity/{runtime_id}"
                },
            }
        if typ == "aws-native:bedrockagentcore:RuntimeEndpoint":
            runtime_arn = f"arn:{p}:bedrock-agentcore:{r}:{a}:runtime/{inputs['agentRuntimeId']}"
            version = inputs.get("agentRuntimeVersion") or "1"
            return f"{inputs['agentRuntimeId']}/{inputs['name']}", {
                **inputs,
                "agentRuntimeArn": runtime_arn,
                "agentRuntimeEndpointArn": f"{runtime_arn}/runtime-endpoint/{inputs['name']}",
                "liveVersion": version,
                "targetVersion": version,
                "status": "READY",
            }
        if typ == "aws-native:bedrockagentcore:Memory":
            # AgentCore names a memory's id `<name>-<10 letters or digits>`.
            name = inputs["name"]
            memory_id = f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
            return f"arn:{p}:bedrock-agentcore:{r}:{a}:memory/{memory_id}", {
                **inputs,
                "memoryId": memory_id,
                "memoryArn": f"arn:{p}:bedrock-agentcore:{r}:{a}:memory/{memory_id}",
                "status": "ACTIVE",
            }
        logs = f"arn:{p}:logs:{r}:{a}"
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            name = inputs["name"]
            return name, {**inputs, "arn": f"{logs}:log-group:{name}", "tagsAll": inputs.get("tags", {})}
        if typ == "pulumi-python:dynamic/agentcore:AdoptableLogGroup":
            # components/log_group_resource.py: id = the group's name; a fresh account has no group.
            name = inputs["log_group_name"]
            return name, {**inputs, "arn": f"{logs}:log-group:{name}", "adopted": False}
        if typ == "pulumi-python:dynamic/agentcore:RuntimeCheck":
            # components/runtime_check.py: an answer came for the version it was given.
            return f"check-{inputs['runtime_version']}", {**inputs, "checked_version": inputs["runtime_version"], "answer_excerpt": "OK"}
        if typ == "aws:cloudwatch/logResourcePolicy:LogResourcePolicy":
            return inputs["policyName"], inputs
        if typ == "aws-native:logs:DeliverySource":
            name = inputs["name"]
            service = inputs["resourceArn"].split(":")[2]
            return name, {**inputs, "arn": f"{logs}:delivery-source:{name}", "resourceArns": [inputs["resourceArn"]], "service": service}
        if typ == "aws-native:logs:DeliveryDestination":
            name = inputs["name"]
            return name, {**inputs, "arn": f"{logs}:delivery-destination:{name}"}
        if typ == "aws-native:logs:Delivery":
            # The service generates delivery ids; derive one from what the delivery connects.
            delivery_id = hashlib.sha256(f"{inputs['deliverySourceName']}>{inputs['deliveryDestinationArn']}".encode()).hexdigest()[:16]
            return delivery_id, {**inputs, "deliveryId": delivery_id, "arn": f"{logs}:delivery:{delivery_id}"}
        if typ == "aws:xray/resourcePolicy:ResourcePolicy":
            return inputs["policyName"], {**inputs, "policyRevisionId": "1", "lastUpdatedTime": "2026-01-01T00:00:00Z"}
        if typ == "aws:xray/traceSegmentDestination:TraceSegmentDestination":
            return r, {**inputs, "status": "ACTIVE"}  # one per account and region
        if typ == "aws:xray/indexingRule:IndexingRule":
            return inputs["name"], inputs
        if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            name = inputs["name"]
            return name, {**inputs, "arn": f"arn:{p}:cloudwatch:{r}:{a}:alarm:{name}", "tagsAll": inputs.get("tags", {})}
        if typ == "aws:cloudwatch/dashboard:Dashboard":
            name = inputs["dashboardName"]
            return name, {**inputs, "dashboardArn": f"arn:{p}:cloudwatch::{a}:dashboard/{name}"}
        raise NotImplementedError(f"unexpected resource type {typ}")


@dataclass
class Registration:
    """One registered resource as the engine saw it."""

    type: str
    name: str
    urn: str
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    retain_on_delete: bool
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor, plus what it does not keep."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}
        self.stack_outputs: dict[str, Any] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        state = self.resources.get(response.urn)
        self.registrations[response.urn] = Registration(
            type=request.type,
            name=request.name,
            urn=response.urn,
            parent=request.parent,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            custom=bool(request.custom),
            inputs=rpc.deserialize_properties(request.object),
            outputs=dict(state.state) if state else {},
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.stack_outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Run:
    """The outcome of one mocked `pulumi up`."""

    registrations: list[Registration]
    outputs: dict[str, Any]
    warnings: list[str]
    mocks: AwsMocks

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == typ]

    def one(self, typ: str) -> Registration:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, got {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)


def unwrap_secret(value: Any) -> tuple[bool, Any]:
    """(whether the engine received `value` as a secret, the plain value)."""
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return True, value["value"]
    return False, value


def pulumi_string(value: Any) -> str:
    """A config value in the form Pulumi passes it to programs."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def load_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


def stack_config(stack: str, overrides: dict[str, Any] | None = None, root: Path = ROOT) -> dict[str, str]:
    """Pulumi.yaml defaults, then Pulumi.<stack>.yaml, then `overrides` (full keys), as strings."""
    project = load_yaml(root / "Pulumi.yaml")
    name = project["name"]
    values: dict[str, Any] = {}
    for key, declaration in (project.get("config") or {}).items():
        full = key if ":" in key else f"{name}:{key}"
        if isinstance(declaration, dict) and "default" in declaration:
            values[full] = declaration["default"]
        elif isinstance(declaration, dict) and "value" in declaration:
            values[full] = declaration["value"]
    values.update((load_yaml(root / f"Pulumi.{stack}.yaml").get("config") or {}))
    values.update(overrides or {})
    return {key: pulumi_string(value) for key, value in values.items() if value is not None}


@contextmanager
def _owned_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        # A program that failed (an error raised inside an apply) leaves Pulumi's tasks pending
        # and listed in its settings; cancelled, drained and forgotten here, they cannot fail the
        # next run on a closed loop.
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        SETTINGS.outputs.clear()
        loop.close()
        asyncio.set_event_loop(None)


def run_pulumi(
    body: Callable[[], Any],
    *,
    mocks: AwsMocks,
    project: str,
    stack: str,
    config: dict[str, str],
    monkeypatch: Any,
) -> Run:
    """Run `body` the way Pulumi runs a program (inside a root stack), against the mocks."""
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    monkeypatch.delenv("PULUMI_CONFIG_SECRET_KEYS", raising=False)
    pulumi.runtime.set_all_config({})
    handler = _ListHandler()
    logger = logging.getLogger(f"pulumi-mocks-{id(handler)}")
    logger.addHandler(handler)
    logger.propagate = False
    monitor = RecordingMonitor(mocks)
    with _owned_event_loop() as loop:
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=mocks.preview, logger=logger, monitor=monitor)
        # set_mocks starts a root stack of its own; run_in_stack starts (and finishes, exporting
        # the program's outputs) the real one, as the Python language host does.
        set_root_resource(None)
        loop.run_until_complete(run_in_stack(body))
    warnings = [r.getMessage() for r in handler.records if r.levelno == logging.WARNING]
    return Run(list(monitor.registrations.values()), monitor.stack_outputs, warnings, mocks)


def run_program(
    stack: str,
    monkeypatch: Any,
    *,
    overrides: dict[str, Any] | None = None,
    partition: str = "aws",
    root: Path = ROOT,
    preview: bool = False,
    runtime_version: str = "1",
    repositories: dict[str, dict[str, str]] | None = None,
) -> Run:
    """Run the real `__main__.py` for `stack`, from the project directory, as `pulumi up` would
    (or as the first `pulumi preview` of a new stack would, with `preview`); the runtime reports
    `runtime_version`; `repositories` already exist in the account (`AwsMocks`)."""
    config = stack_config(stack, overrides, root)
    project = load_yaml(root / "Pulumi.yaml")["name"]
    region = config["aws:region"]
    monkeypatch.chdir(root)
    return run_pulumi(
        lambda: runpy.run_path(str(root / "__main__.py"), run_name="__main__"),
        mocks=AwsMocks(region=region, partition=partition, preview=preview, runtime_version=runtime_version, repositories=repositories),
        project=project,
        stack=stack,
        config=config,
        monkeypatch=monkeypatch,
    )
