"""A CloudWatch Logs group that is created, or adopted when it already exists: a Pulumi dynamic
resource on boto3.

Why: AgentCore creates `/aws/bedrock-agentcore/runtimes/<runtime id>-<endpoint>` itself, and field
reports disagree on when (at runtime creation: hashicorp/terraform-provider-aws#47629; on the first
invocation: aws/aws-cdk#37997). A plain `aws.cloudwatch.LogGroup` with that name then fails with
ResourceAlreadyExistsException and stops `pulumi up` half-way. No provider offers create-or-adopt
(pulumi-aws and aws-native both create; the `import` option fails when the group is absent and
needs the live settings as inputs), so this resource does it: CreateLogGroup, and on
ResourceAlreadyExistsException apply retention, KMS key and tags to the group that is there.
Creating first (never describe-then-create) leaves no window in which the service can slip in.

How Pulumi runs it (pulumi 3.272's `pulumi.dynamic`, read from the installed package):
- The provider object is pickled with dill into every resource's state. A class defined in an
  importable module is pickled by reference, so the state holds only
  `components.log_group_resource.AdoptableLogGroupProvider`: that path is a contract with every
  existing stack (update, refresh and delete load it), and a test pins it. The CLI starts the
  provider host (`python -m pulumi.dynamic`) in the project directory, where `components` imports
  (the whole package: an import error anywhere in components/ also stops these groups' updates).
- boto3 is imported inside the methods: only the provider host needs it, not a preview under
  mocks, and nothing unpicklable (a client, a session) ever sits on the provider object.
- Region: the `region` input when given, else the stack's `aws:region` (the provider host hands
  the stack config to `configure`), else boto3's own chain (AWS_REGION, the profile). Credentials:
  boto3's standard chain (environment, `aws:profile` from the stack config or AWS_PROFILE, SSO,
  container or instance role) - the ones the deployer runs Pulumi with. Static keys or assume-role
  settings given only to the AWS provider's config (`aws:accessKey`, `aws:assumeRoles`) are NOT
  seen here. The endpoint honours boto3's `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS` (the tests point it
  at a local emulator).
- Programs in other languages (the component through PulumiPlugin.yaml) cannot use it: Pulumi
  starts the Python provider host in the consumer's directory (pulumi/pulumi#5455), so they set
  `observability.adoptRuntimeLogGroups: false`.
- Secrets: nothing secret is captured or passed (names, numbers, ARNs, tags), so the provider is
  not stored as a secret (`serialize_as_secret_always = False`, pulumi/pulumi#15864).

CloudWatch Logs operations used (botocore's `logs` model; the tests check each against it):
CreateLogGroup, DescribeLogGroups, PutRetentionPolicy, AssociateKmsKey, DisassociateKmsKey,
TagResource, UntagResource, ListTagsForResource, DeleteLogGroup.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
import pulumi.dynamic as dynamic
from pulumi.runtime import rpc

from .arn_patterns import KMS_KEY_ARN
from .schema import LOG_RETENTION_DAYS

# The module path and class name are stored in every stack's state (see the module docstring).
PROVIDER_REFERENCE = "components.log_group_resource.AdoptableLogGroupProvider"

# CreateLogGroup's logGroupName pattern and length.
LOG_GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]{1,512}")
MAX_TAGS = 50
# Seconds to wait before retrying a call CloudWatch Logs aborted for a concurrent change.
ABORTED_RETRY_DELAYS = (0.5, 1.0, 2.0)

_UNKNOWN = rpc.UNKNOWN  # what an input not yet known at preview looks like
_REPLACING = ("log_group_name", "region")
_UPDATING = ("retention_in_days", "kms_key_id", "tags", "retain_on_delete")


class LogGroupError(RuntimeError):
    """A CloudWatch Logs call failed; the message names the group, the operation and AWS's error."""


@dataclass(frozen=True)
class LogGroupSpec:
    """What the user declared for one group (the resource's inputs)."""

    log_group_name: str
    retention_in_days: int
    kms_key_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    retain_on_delete: bool = False
    region: str | None = None

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> LogGroupSpec:
        return cls(
            log_group_name=props["log_group_name"],
            retention_in_days=int(props["retention_in_days"]),
            kms_key_id=props.get("kms_key_id") or None,
            tags=dict(props.get("tags") or {}),
            retain_on_delete=bool(props.get("retain_on_delete")),
            region=props.get("region") or None,
        )


def spec_problems(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(property, rule) for every known input that CloudWatch Logs would refuse; unknown
    (preview-time) values are checked when they are known."""

    def known(key: str) -> bool:
        return key in props and props[key] is not None and props[key] != _UNKNOWN

    problems: list[tuple[str, str]] = []
    name = props.get("log_group_name")
    if name is None:
        problems.append(("log_group_name", "is required"))
    elif known("log_group_name") and (not isinstance(name, str) or LOG_GROUP_NAME.fullmatch(name) is None):
        problems.append(("log_group_name", f"must be 1-512 characters of [.-_/#A-Za-z0-9], got {name!r}"))
    retention = props.get("retention_in_days")
    if retention is None:
        problems.append(("retention_in_days", "is required"))
    elif known("retention_in_days") and (isinstance(retention, bool) or retention not in LOG_RETENTION_DAYS):
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        problems.append(("retention_in_days", f"must be one of CloudWatch's retention values ({allowed}), got {retention!r}"))
    kms = props.get("kms_key_id")
    if known("kms_key_id") and (not isinstance(kms, str) or KMS_KEY_ARN.fullmatch(kms) is None):
        problems.append(("kms_key_id", f"must be a KMS key ARN (CloudWatch Logs takes no alias), got {kms!r}"))
    tags = props.get("tags")
    if known("tags"):
        if not isinstance(tags, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
            problems.append(("tags", f"must map strings to strings, got {tags!r}"))
        elif len(tags) > MAX_TAGS:
            problems.append(("tags", f"at most {MAX_TAGS} tags per log group, got {len(tags)}"))
    return problems


def _aws_error(name: str, region: str | None, operation: str, error: Exception) -> LogGroupError:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        message = error.response.get("Error", {}).get("Message", "")
        detail = f"{code}: {message}" if message else code
    else:  # no credentials, no region, endpoint unreachable: botocore's own errors
        detail = f"{type(error).__name__}: {error}"
    where = f" in {region}" if region else ""
    return LogGroupError(f"CloudWatch Logs log group {name!r}{where}: {operation} failed: {detail}")


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


class _Logs:
    """One group's CloudWatch Logs calls, each failure turned into a LogGroupError naming it."""

    def __init__(self, spec: LogGroupSpec, profile: str | None) -> None:
        import boto3
        from botocore.exceptions import BotoCoreError

        self.spec = spec
        try:
            self.client = boto3.Session(profile_name=profile, region_name=spec.region).client("logs")
        except BotoCoreError as error:  # no region anywhere, unknown profile
            raise _aws_error(spec.log_group_name, spec.region, "creating a client", error) from error

    def call(self, operation: str, *, tolerate: str | None = None, **kwargs: Any) -> dict[str, Any] | None:
        """Call `operation` (botocore's snake_case name); None when AWS answers `tolerate`.

        OperationAbortedException ("multiple concurrent requests to update the same resource") is
        what a group being changed by AgentCore at the same moment answers; botocore does not
        retry it, so this does, briefly, before reporting it."""
        from botocore.exceptions import BotoCoreError, ClientError

        delays = iter(ABORTED_RETRY_DELAYS)
        while True:
            try:
                return getattr(self.client, operation)(**kwargs)
            except (BotoCoreError, ClientError) as error:
                code = _error_code(error)
                if tolerate is not None and code == tolerate:
                    return None
                delay = next(delays, None) if code == "OperationAbortedException" else None
                if delay is None:
                    api_name = self.client.meta.method_to_api_mapping[operation]
                    raise _aws_error(self.spec.log_group_name, self.client.meta.region_name, api_name, error) from error
                time.sleep(delay)

    def describe(self) -> dict[str, Any] | None:
        """The group as DescribeLogGroups lists it (name match is by prefix, so filter exactly)."""
        kwargs: dict[str, Any] = {"logGroupNamePrefix": self.spec.log_group_name}
        while True:
            page = self.call("describe_log_groups", **kwargs) or {}
            for group in page.get("logGroups", []):
                if group.get("logGroupName") == self.spec.log_group_name:
                    return group
            if not page.get("nextToken"):
                return None
            kwargs["nextToken"] = page["nextToken"]


def _group_arn(group: Mapping[str, Any]) -> str:
    # `logGroupArn` is the ARN the tagging APIs take; the older `arn` ends in ":*".
    return group.get("logGroupArn") or group["arn"].removesuffix(":*")


def ensure_log_group(logs: _Logs, previous_tags: Mapping[str, str]) -> tuple[dict[str, Any], bool]:
    """Create the group, or bring the existing one to the declared retention, KMS key and tags.

    Returns the group's outputs and whether it already existed. Tag keys this resource set before
    (`previous_tags`) but no longer declares are removed; tags others set are left alone.
    """
    spec = logs.spec
    create = {"logGroupName": spec.log_group_name, "tags": dict(spec.tags)} if spec.tags else {"logGroupName": spec.log_group_name}
    if spec.kms_key_id:
        create["kmsKeyId"] = spec.kms_key_id
    existed = logs.call("create_log_group", tolerate="ResourceAlreadyExistsException", **create) is None
    group = logs.describe()
    if group is None:
        raise LogGroupError(
            f"CloudWatch Logs log group {spec.log_group_name!r}: "
            f"{'CreateLogGroup said it exists' if existed else 'created'}, but DescribeLogGroups does not list it"
        )
    arn = _group_arn(group)
    if group.get("retentionInDays") != spec.retention_in_days:
        logs.call("put_retention_policy", logGroupName=spec.log_group_name, retentionInDays=spec.retention_in_days)
    if existed and group.get("kmsKeyId") != spec.kms_key_id:
        if spec.kms_key_id:
            logs.call("associate_kms_key", logGroupName=spec.log_group_name, kmsKeyId=spec.kms_key_id)
        else:
            logs.call("disassociate_kms_key", logGroupName=spec.log_group_name)
    if existed and spec.tags:
        logs.call("tag_resource", resourceArn=arn, tags=dict(spec.tags))
    stale = sorted(set(previous_tags) - set(spec.tags))
    if existed and stale:
        logs.call("untag_resource", resourceArn=arn, tagKeys=stale)
    return _outputs(spec, arn), existed


def _outputs(spec: LogGroupSpec, arn: str) -> dict[str, Any]:
    return {
        "log_group_name": spec.log_group_name,
        "retention_in_days": spec.retention_in_days,
        "kms_key_id": spec.kms_key_id,
        "tags": dict(spec.tags),
        "retain_on_delete": spec.retain_on_delete,
        "arn": arn,
    }


class AdoptableLogGroupProvider(dynamic.ResourceProvider):
    """CRUD for `AdoptableLogGroup` (see the module docstring for how Pulumi runs it)."""

    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._region: str | None = None
        self._profile: str | None = None

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        self._region = req.config.get("aws:region") or None
        self._profile = req.config.get("aws:profile") or None

    def _logs(self, props: Mapping[str, Any]) -> _Logs:
        spec = LogGroupSpec.from_props(props)
        if spec.region is None and self._region:
            spec = replace(spec, region=self._region)
        return _Logs(spec, self._profile)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        return dynamic.CheckResult(news, [dynamic.CheckFailure(p, r) for p, r in spec_problems(news)])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        replaces = [k for k in _REPLACING if (olds.get(k) or None) != (news.get(k) or None)]
        changed = replaces + [k for k in _UPDATING if _normal(k, olds.get(k)) != _normal(k, news.get(k))]
        return dynamic.DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        logs = self._logs(props)
        outs, existed = ensure_log_group(logs, previous_tags={})
        return dynamic.CreateResult(logs.spec.log_group_name, {**outs, "region": props.get("region"), "adopted": existed})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        # Adopt-or-create here too: a group deleted outside Pulumi is recreated, not an error.
        logs = self._logs(news)
        outs, _ = ensure_log_group(logs, previous_tags=olds.get("tags") or {})
        return dynamic.UpdateResult({**outs, "region": news.get("region"), "adopted": bool(olds.get("adopted"))})

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        logs = self._logs({**props, "log_group_name": props.get("log_group_name") or id_})
        group = logs.describe()
        if group is None:
            return dynamic.ReadResult(None, {})
        arn = _group_arn(group)
        live_tags = (logs.call("list_tags_for_resource", resourceArn=arn) or {}).get("tags", {})
        declared = props.get("tags") or {}
        return dynamic.ReadResult(id_, {
            **props,
            "retention_in_days": group.get("retentionInDays"),
            "kms_key_id": group.get("kmsKeyId"),
            # Only the keys this resource manages: tags others add are not drift.
            "tags": {k: v for k, v in live_tags.items() if k in declared},
            "arn": arn,
        })

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if props.get("retain_on_delete"):
            return
        self._logs(props).call("delete_log_group", tolerate="ResourceNotFoundException", logGroupName=props["log_group_name"])


def _normal(key: str, value: Any) -> Any:
    if key == "tags":
        return dict(value or {})
    if key == "retain_on_delete":
        return bool(value)
    return value if value != "" else None


class AdoptableLogGroup(dynamic.Resource, module="agentcore", name="AdoptableLogGroup"):
    """A CloudWatch Logs group that `pulumi up` creates, or adopts when it already exists (made by
    AgentCore, or left over by an earlier stack), with retention, KMS key and tags applied either
    way. On delete it is deleted, or kept when `retain_on_delete` is set.

    Outputs: `log_group_name`, `arn` (without the `:*` suffix), `adopted` (True when the group
    existed before this resource was created).
    """

    log_group_name: pulumi.Output[str]
    arn: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        log_group_name: pulumi.Input[str],
        retention_in_days: int,
        kms_key_id: pulumi.Input[str] | None = None,
        tags: Mapping[str, str] | None = None,
        retain_on_delete: bool = False,
        region: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "log_group_name": log_group_name,
            "retention_in_days": retention_in_days,
            "kms_key_id": kms_key_id,
            "tags": dict(tags or {}),
            "retain_on_delete": retain_on_delete,
            "region": region,
            "arn": None,
            "adopted": None,
        }
        super().__init__(AdoptableLogGroupProvider(), resource_name, props, opts)
