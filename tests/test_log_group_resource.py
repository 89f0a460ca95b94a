"""The adopt-or-create log group (components/log_group_resource.py) against a real CloudWatch Logs
HTTP API: moto's server on loopback, reached by the real boto3 client through
AWS_ENDPOINT_URL_CLOUDWATCH_LOGS (set per test). A second boto3 client plays the AgentCore service
(creating the group first) and inspects what the provider left behind.

One test runs the provider the way `pulumi up` does: Pulumi's own provider host
(`python -m pulumi.dynamic`) in a separate process, driven over its gRPC interface with the
serialized provider, so pickling, the import path, `configure` and boto3 in that process are real.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import grpc
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.log_group_resource import (
    PROVIDER_REFERENCE,
    AdoptableLogGroup,
    AdoptableLogGroupProvider,
    LogGroupError,
)
from tests.testkit.moto_server import FAKE_CREDENTIALS, MOTO_ACCOUNT_ID, MotoServer, aborted
from tests.testkit.pulumi_mocks import ROOT

REGION = "us-west-2"
GROUP = "/aws/bedrock-agentcore/runtimes/agent_dev-AbCdEf1234-DEFAULT"
KEY = f"arn:aws:kms:{REGION}:{MOTO_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:{REGION}:{MOTO_ACCOUNT_ID}:key/9999abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture()
def endpoint(moto: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> str:
    """An empty emulator and an environment in which boto3 finds it and nothing of the machine's
    own AWS setup (no profile, no config file, no region: the region comes from the stack)."""
    moto.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", moto.url)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return moto.url


@pytest.fixture()
def service(endpoint: str) -> Any:
    """CloudWatch Logs as AgentCore (or an earlier stack, or a person) sees it."""
    return boto3.client("logs", region_name=REGION)


def configured(region: str | None = REGION) -> AdoptableLogGroupProvider:
    provider = AdoptableLogGroupProvider()
    provider.configure(ConfigureRequest(Config({"aws:region": region} if region else {}, "agentcore")))
    return provider


def props(**overrides: Any) -> dict[str, Any]:
    base = {
        "log_group_name": GROUP,
        "retention_in_days": 30,
        "kms_key_id": KEY,
        "tags": {"CostCenter": "agents-dev", "ManagedBy": "pulumi"},
        "retain_on_delete": False,
        "region": None,
    }
    return {**base, **overrides}


def live(service: Any, name: str = GROUP) -> dict[str, Any] | None:
    groups = service.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return next((g for g in groups if g["logGroupName"] == name), None)


def live_tags(service: Any, name: str = GROUP) -> dict[str, str]:
    group = live(service, name)
    assert group is not None
    return service.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"]


# ----------------------------------------------------------------------------------------------
# Create or adopt
# ----------------------------------------------------------------------------------------------


def test_absent_group_is_created_with_retention_key_and_tags(service: Any) -> None:
    result = configured().create(props())

    group = live(service)
    assert group is not None
    assert (group["retentionInDays"], group["kmsKeyId"]) == (30, KEY)
    assert live_tags(service) == {"CostCenter": "agents-dev", "ManagedBy": "pulumi"}
    assert result.id == GROUP
    assert result.outs["adopted"] is False
    assert result.outs["arn"] == f"arn:aws:logs:{REGION}:{MOTO_ACCOUNT_ID}:log-group:{GROUP}"


def test_group_the_service_created_is_adopted_and_brought_to_the_declared_settings(service: Any) -> None:
    # As AgentCore leaves it: no retention (never expire), no key, a tag someone else set.
    service.create_log_group(logGroupName=GROUP, tags={"Owner": "someone-else"})

    result = configured().create(props())

    group = live(service)
    assert (group["retentionInDays"], group["kmsKeyId"]) == (30, KEY)
    assert live_tags(service) == {"Owner": "someone-else", "CostCenter": "agents-dev", "ManagedBy": "pulumi"}
    assert result.outs["adopted"] is True


def test_group_left_by_an_earlier_stack_with_other_settings_is_corrected(service: Any) -> None:
    service.create_log_group(logGroupName=GROUP, kmsKeyId=OTHER_KEY, tags={"CostCenter": "old"})
    service.put_retention_policy(logGroupName=GROUP, retentionInDays=3653)

    configured().create(props(kms_key_id=None, retention_in_days=14))

    group = live(service)
    assert group["retentionInDays"] == 14
    assert "kmsKeyId" not in group  # the declared state is "no customer key"
    assert live_tags(service) == {"CostCenter": "agents-dev", "ManagedBy": "pulumi"}


def test_group_created_between_preview_and_up_is_adopted(service: Any) -> None:
    provider = configured()
    # `pulumi preview` calls only check and diff: nothing may exist afterwards.
    checked = provider.check({}, props())
    assert checked.failures == []
    assert live(service) is None

    service.create_log_group(logGroupName=GROUP)  # the runtime's first invocation, say

    result = provider.create(checked.inputs)
    assert result.outs["adopted"] is True
    assert live(service)["retentionInDays"] == 30


def test_region_comes_from_the_stack_and_the_input_overrides_it(service: Any) -> None:
    east = boto3.client("logs", region_name="us-east-1")

    configured(region="us-east-1").create(props(kms_key_id=None))
    configured(region="us-east-1").create(props(kms_key_id=None, log_group_name=f"{GROUP}x", region=REGION))

    assert live(east) is not None and live(service) is None
    assert live(service, f"{GROUP}x") is not None and live(east, f"{GROUP}x") is None


# ----------------------------------------------------------------------------------------------
# Update, refresh, delete
# ----------------------------------------------------------------------------------------------


def test_update_applies_new_retention_key_and_tags_and_leaves_foreign_tags(service: Any) -> None:
    provider = configured()
    olds = provider.create(props()).outs
    service.tag_resource(resourceArn=olds["arn"], tags={"Owner": "someone-else"})

    news = props(retention_in_days=365, kms_key_id=OTHER_KEY, tags={"CostCenter": "agents-prod"})
    diff = provider.diff(GROUP, olds, news)
    assert (diff.changes, diff.replaces) == (True, [])
    outs = provider.update(GROUP, olds, news).outs

    group = live(service)
    assert (group["retentionInDays"], group["kmsKeyId"]) == (365, OTHER_KEY)
    # ManagedBy was ours and is no longer declared: removed. Owner was never ours: kept.
    assert live_tags(service) == {"CostCenter": "agents-prod", "Owner": "someone-else"}
    assert outs["adopted"] is False and outs["tags"] == {"CostCenter": "agents-prod"}


def test_update_recreates_a_group_deleted_outside_pulumi(service: Any) -> None:
    provider = configured()
    olds = provider.create(props()).outs
    service.delete_log_group(logGroupName=GROUP)

    provider.update(GROUP, olds, props(retention_in_days=60))

    assert live(service)["retentionInDays"] == 60


def test_refresh_reads_live_settings_and_only_the_tags_it_manages(service: Any) -> None:
    provider = configured()
    outs = provider.create(props()).outs
    service.put_retention_policy(logGroupName=GROUP, retentionInDays=7)
    service.tag_resource(resourceArn=outs["arn"], tags={"Owner": "someone-else", "CostCenter": "changed"})

    read = provider.read(GROUP, outs)
    assert read.id == GROUP
    assert read.outs["retention_in_days"] == 7
    assert read.outs["tags"] == {"CostCenter": "changed", "ManagedBy": "pulumi"}

    service.delete_log_group(logGroupName=GROUP)
    assert provider.read(GROUP, outs).id is None  # gone: Pulumi drops it from the state


def test_delete_deletes_the_group(service: Any) -> None:
    provider = configured()
    outs = provider.create(props()).outs

    provider.delete(GROUP, outs)

    assert live(service) is None
    provider.delete(GROUP, outs)  # already gone (deleted by hand): not an error


def test_delete_keeps_the_group_when_retained(service: Any) -> None:
    provider = configured()
    outs = provider.create(props(retain_on_delete=True)).outs

    provider.delete(GROUP, outs)

    group = live(service)
    assert group is not None and group["retentionInDays"] == 30


def test_diff_replaces_on_name_or_region_and_updates_on_settings() -> None:
    provider = AdoptableLogGroupProvider()
    olds = {**props(), "arn": "arn", "adopted": False}
    unknown = rpc.UNKNOWN

    assert provider.diff(GROUP, olds, props()).changes is False
    assert provider.diff(GROUP, olds, props(log_group_name=f"{GROUP}2")).replaces == ["log_group_name"]
    assert provider.diff(GROUP, olds, props(region="eu-west-1")).replaces == ["region"]
    # A replaced runtime has a new id, unknown at preview: the group is replaced too.
    assert provider.diff(GROUP, olds, props(log_group_name=unknown)).replaces == ["log_group_name"]
    for change in ({"retention_in_days": 90}, {"kms_key_id": None}, {"tags": {}}, {"retain_on_delete": True}):
        diff = provider.diff(GROUP, olds, props(**change))
        assert (diff.changes, diff.replaces) == (True, []), change


@pytest.mark.parametrize(
    ("change", "prop", "rule"),
    [
        ({"log_group_name": "bad name!"}, "log_group_name", "1-512 characters"),
        ({"log_group_name": "x" * 513}, "log_group_name", "1-512 characters"),
        ({"retention_in_days": 0}, "retention_in_days", "retention values"),
        ({"retention_in_days": True}, "retention_in_days", "retention values"),
        ({"kms_key_id": "alias/logs"}, "kms_key_id", "KMS key ARN"),
        ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags", "at most 50"),
        ({"tags": {"k": 1}}, "tags", "strings to strings"),
    ],
)
def test_check_names_the_property_and_the_rule(change: dict[str, Any], prop: str, rule: str) -> None:
    failures = AdoptableLogGroupProvider().check({}, props(**change)).failures
    assert [(f.property, rule in f.reason) for f in failures] == [(prop, True)]


def test_check_accepts_values_unknown_at_preview() -> None:
    unknown = rpc.UNKNOWN
    assert AdoptableLogGroupProvider().check({}, props(log_group_name=unknown, kms_key_id=unknown)).failures == []


# ----------------------------------------------------------------------------------------------
# Errors other than "already exists"
# ----------------------------------------------------------------------------------------------


def test_an_aws_error_names_the_group_the_operation_and_the_aws_error(service: Any) -> None:
    name = "/aws/" + "x" * 600  # CloudWatch refuses names over 512 characters
    with pytest.raises(LogGroupError) as raised:
        configured().create(props(log_group_name=name))
    message = str(raised.value)
    assert f"log group {name!r} in {REGION}: CreateLogGroup failed: InvalidParameterException" in message
    assert live(service, name) is None


def test_an_unreachable_endpoint_names_the_group(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:9")  # discard port: refused
    with pytest.raises(LogGroupError, match=rf"log group '{GROUP}' in {REGION}: CreateLogGroup failed: EndpointConnectionError"):
        configured().create(props())


def test_a_change_aborted_by_a_concurrent_one_is_retried(service: Any) -> None:
    # AgentCore writing to the group while we adopt it: CloudWatch aborts one of the two changes.
    service.create_log_group(logGroupName=GROUP)
    with aborted("put_retention_policy", times=2) as seen:
        result = configured().create(props())
    assert len(seen) == 2
    assert result.outs["adopted"] is True and live(service)["retentionInDays"] == 30


def test_a_change_aborted_every_time_is_reported_with_the_group(service: Any) -> None:
    service.create_log_group(logGroupName=GROUP)
    with aborted("put_retention_policy", times=10) as seen, pytest.raises(LogGroupError) as raised:
        configured().create(props())
    assert len(seen) == 4  # the first call and three retries, then the error
    assert f"log group '{GROUP}' in {REGION}: PutRetentionPolicy failed: OperationAbortedException" in str(raised.value)


def test_no_region_anywhere_is_a_clear_error(endpoint: str) -> None:
    with pytest.raises(LogGroupError, match=rf"log group '{GROUP}': creating a client failed: NoRegionError"):
        configured(region=None).create(props())


# ----------------------------------------------------------------------------------------------
# The contract with Pulumi and with AWS's published model
# ----------------------------------------------------------------------------------------------


def test_provider_is_pickled_by_reference_to_a_stable_path_and_not_as_a_secret() -> None:
    import base64

    pickled = base64.b64decode(serialize_provider(AdoptableLogGroupProvider()))
    module, _, cls = PROVIDER_REFERENCE.rpartition(".")
    # Every existing stack's state names this path: moving the class breaks their update/delete.
    assert module.encode() in pickled and cls.encode() in pickled
    assert b"boto" not in pickled  # nothing of a client or session is captured
    assert AdoptableLogGroupProvider.serialize_as_secret_always is False
    assert AdoptableLogGroup._resource_type_name == "dynamic/agentcore:AdoptableLogGroup"


# (operation, input members sent, output members read, AWS error codes handled)
OPERATIONS = [
    ("CreateLogGroup", {"logGroupName", "kmsKeyId", "tags"}, set(), {"ResourceAlreadyExistsException"}),
    ("DescribeLogGroups", {"logGroupNamePrefix", "nextToken"}, {"logGroups", "nextToken"}, set()),
    ("PutRetentionPolicy", {"logGroupName", "retentionInDays"}, set(), {"OperationAbortedException"}),
    ("AssociateKmsKey", {"logGroupName", "kmsKeyId"}, set(), set()),
    ("DisassociateKmsKey", {"logGroupName"}, set(), set()),
    ("TagResource", {"resourceArn", "tags"}, set(), set()),
    ("UntagResource", {"resourceArn", "tagKeys"}, set(), set()),
    ("ListTagsForResource", {"resourceArn"}, {"tags"}, set()),
    ("DeleteLogGroup", {"logGroupName"}, set(), {"ResourceNotFoundException"}),
]
LOG_GROUP_FIELDS = {"logGroupName", "retentionInDays", "kmsKeyId", "arn", "logGroupArn"}


def test_every_operation_and_field_used_is_in_botocores_model() -> None:
    model = botocore.session.get_session().get_service_model("logs")
    for name, sent, read, errors in OPERATIONS:
        op = model.operation_model(name)
        assert sent <= set(op.input_shape.members), name
        assert read <= set(op.output_shape.members if op.output_shape else ()), name
        assert errors <= {e.name for e in op.error_shapes}, name
    assert LOG_GROUP_FIELDS <= set(model.shape_for("LogGroup").members)


def test_moto_answers_with_the_fields_the_model_promises(service: Any, moto: MotoServer) -> None:
    service.create_log_group(logGroupName=GROUP, kmsKeyId=KEY)
    service.put_retention_policy(logGroupName=GROUP, retentionInDays=30)
    assert LOG_GROUP_FIELDS <= set(live(service))
    assert live(service)["arn"] == live(service)["logGroupArn"] + ":*"
    with pytest.raises(service.exceptions.ResourceAlreadyExistsException):
        service.create_log_group(logGroupName=GROUP)
    with pytest.raises(service.exceptions.ResourceNotFoundException):
        service.delete_log_group(logGroupName=f"{GROUP}-absent")
    # Say which operations the suite adds to moto (none once moto has them itself).
    assert set(moto.added_operations) <= {"associate_kms_key", "disassociate_kms_key"}


# ----------------------------------------------------------------------------------------------
# Through Pulumi's own provider host, as `pulumi up` runs it
# ----------------------------------------------------------------------------------------------


def _struct(values: dict[str, Any]) -> Any:
    return asyncio.run(rpc.serialize_properties(values, {}))


@pytest.fixture()
def provider_host(endpoint: str) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """`python -m pulumi.dynamic` started in the project directory, as the CLI starts it."""
    env = {**os.environ, "PULUMI_PROJECT": "agentcore"}  # the per-test endpoint and credentials
    host = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = int(host.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        host.kill()
        host.wait(timeout=10)
        host.stdout.close()
        host.stderr.close()


def test_pulumi_provider_host_adopts_and_deletes(provider_host: Any, service: Any) -> None:
    urn = "urn:pulumi:dev::agentcore::pulumi-python:dynamic/agentcore:AdoptableLogGroup::runtime-DEFAULT"
    provider_host.Configure(provider_pb2.ConfigureRequest(args=_struct({"aws:region": REGION})))
    service.create_log_group(logGroupName=GROUP)
    inputs = {**props(), "__provider": serialize_provider(AdoptableLogGroupProvider()), "arn": None, "adopted": None}

    checked = provider_host.Check(provider_pb2.CheckRequest(urn=urn, olds=_struct({}), news=_struct(inputs)))
    assert list(checked.failures) == []
    created = provider_host.Create(provider_pb2.CreateRequest(urn=urn, properties=checked.inputs))
    outs = rpc.deserialize_properties(created.properties)

    assert created.id == GROUP and outs["adopted"] is True
    assert live(service)["retentionInDays"] == 30 and live(service)["kmsKeyId"] == KEY
    provider_host.Delete(provider_pb2.DeleteRequest(id=created.id, urn=urn, properties=created.properties))
    assert live(service) is None


def test_pulumi_provider_host_reports_an_aws_error_with_the_group(provider_host: Any) -> None:
    urn = "urn:pulumi:dev::agentcore::pulumi-python:dynamic/agentcore:AdoptableLogGroup::bad"
    provider_host.Configure(provider_pb2.ConfigureRequest(args=_struct({"aws:region": REGION})))
    name = "/aws/" + "x" * 600
    inputs = {**props(log_group_name=name), "__provider": serialize_provider(AdoptableLogGroupProvider())}

    with pytest.raises(grpc.RpcError) as raised:
        provider_host.Create(provider_pb2.CreateRequest(urn=urn, properties=_struct(inputs)))
    assert f"log group {name!r} in {REGION}: CreateLogGroup failed: InvalidParameterException" in raised.value.details()
