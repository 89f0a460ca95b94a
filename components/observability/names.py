"""The exact names of what the observability resources create or read (a name AWS does not find is
a silent failure: a log group nobody writes to, a console that shows nothing).

The service writes container stdout/stderr and the ADOT logs of one endpoint to
/aws/bedrock-agentcore/runtimes/<runtime-id>-<endpoint-name> (prefix in `components.names`), in
streams `<date>/[runtime-logs]<uuid>` and `otel-rt-logs` (AWS docs; CDK `applicationLogGroup`).
"""

from urllib.parse import quote

from ..names import RUNTIME_LOG_GROUP_PREFIX

# Vended-log groups follow the console's convention so the AgentCore console finds them:
# /aws/vendedlogs/bedrock-agentcore/runtime/<LOG_TYPE>/<runtime-id>.
VENDED_LOG_GROUP_PREFIX = "/aws/vendedlogs/bedrock-agentcore/runtime/"
APPLICATION_LOGS = "APPLICATION_LOGS"
USAGE_LOGS = "USAGE_LOGS"
TRACES = "TRACES"
VENDED_LOG_TYPES = (APPLICATION_LOGS, USAGE_LOGS)

# Each log type gets a delivery source `<runtime>-<suffix>`, a destination `<runtime>-<suffix>-dst`
# and a delivery between them. The suffixes are short enough that the longest runtime name (48)
# still fits AWS::Logs::DeliverySource / DeliveryDestination names (1-60 characters of [\w-]), so
# the names never need shortening and `<runtime>-*` matches this runtime's and no other's
# (runtime names have no hyphen).
DELIVERY_SUFFIXES = {APPLICATION_LOGS: "app", USAGE_LOGS: "usage", TRACES: "traces"}
DESTINATION_SUFFIX = "-dst"

# The account-level logs resource policy Transaction Search needs (shared by every stack: same
# name, same content).
TRANSACTION_SEARCH_POLICY_NAME = "AgentCoreTransactionSearchXRayAccess"
TRANSACTION_SEARCH_DESTINATION = "CloudWatchLogs"
TRANSACTION_SEARCH_LOG_GROUPS = ("aws/spans", "/aws/application-signals/data")


def runtime_log_group_name(runtime_id: str, endpoint_name: str) -> str:
    """The log group the service creates on an endpoint's first invocation."""
    return f"{RUNTIME_LOG_GROUP_PREFIX}{runtime_id}-{endpoint_name}"


def vended_log_group_name(log_type: str, runtime_id: str) -> str:
    if log_type not in VENDED_LOG_TYPES:
        raise ValueError(f"log_type must be {APPLICATION_LOGS} or {USAGE_LOGS}, got {log_type!r}")
    return f"{VENDED_LOG_GROUP_PREFIX}{log_type}/{runtime_id}"


def vended_log_group_pattern(log_type: str, runtime_name: str) -> str:
    """This runtime's vended-log group of one type, whatever its id (see `runtime_log_group_pattern`)."""
    return vended_log_group_name(log_type, f"{runtime_name}-*")


def delivery_source_name(runtime_name: str, log_type: str) -> str:
    """Known at preview (no runtime id needed), unique per account and region as runtime names are."""
    return f"{runtime_name}-{DELIVERY_SUFFIXES[log_type]}"


def delivery_destination_name(runtime_name: str, log_type: str) -> str:
    return f"{delivery_source_name(runtime_name, log_type)}{DESTINATION_SUFFIX}"


def log_delivery_policy_name(runtime_name: str) -> str:
    """The logs resource policy that lets the delivery service write this runtime's vended logs."""
    return f"agentcore-{runtime_name}-log-delivery"


def trace_delivery_policy_name(runtime_name: str) -> str:
    """The X-Ray resource policy that lets the delivery service put this runtime's spans."""
    return f"agentcore-{runtime_name}-traces-delivery"


def alarm_name(runtime_name: str, endpoint_name: str, kind: str) -> str:
    return f"{runtime_name}-{endpoint_name}-{kind}"


def dashboard_name(runtime_name: str, region: str) -> str:
    # Dashboard names are unique per account, not per region, so the region is part of the name.
    return f"agentcore-{runtime_name}-{region}"


_CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


def dashboard_console_url(partition: str, region: str, name: str) -> str | None:
    """Console link to the dashboard; None in partitions without a public console (ISO)."""
    host = _CONSOLE_HOSTS.get(partition)
    if host is None:
        return None
    return f"https://{host}/cloudwatch/home?region={region}#dashboards/dashboard/{quote(name, safe='')}"
