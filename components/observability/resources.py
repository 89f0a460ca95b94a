"""`RuntimeObservability`: the CloudWatch, X-Ray and log-delivery resources around one AgentCore
runtime, as a child of `AgentCoreRuntime`.

It only wires: every name comes from `names`, every threshold and widget from `monitoring`, every
policy document from `components.iam.telemetry`. Inputs that exist only after the runtime does
(its ARN and id) arrive as Outputs and are never guessed, so every resource here depends on the
runtime in the graph. Partition, account and region are the parent's (`aws`), not read again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_aws_native as aws_native

from ..aws_context import AwsContext
from ..iam import telemetry
from ..log_group_resource import AdoptableLogGroup
from ..names import DEFAULT_ENDPOINT, agentcore_name_problem
from ..outputs import register_annotated_outputs
from . import names
from .monitoring import MetricQuery, alarm_specs, dashboard_body
from .settings import ObservabilityConfig

TYPE_TOKEN = "agentcore:observability:RuntimeObservability"


@dataclass(frozen=True)
class RuntimeObservabilityArgs:
    """Inputs of `RuntimeObservability`.

    runtime_name: the runtime's name (plain str: delivery, alarm and dashboard names are derived
        from it at preview time).
    runtime_arn / runtime_id: the runtime resource's `agent_runtime_arn` / `agent_runtime_id`
        outputs.
    aws: where the parent deploys (`aws_context.read_aws_context`).
    config: the validated observability settings.
    endpoint_names: endpoints to cover; `DEFAULT` always exists, add a named endpoint if callers
        use one.
    model_id: the Bedrock model or inference-profile id the agent calls, for the token widget.
    tags: applied to every taggable resource created here.
    kms_key_id: the key every log group created here is encrypted with (the stack's encryption
        key, an Output when the stack creates it); None: `config.log_kms_key_arn`.
    """

    runtime_name: str
    runtime_arn: pulumi.Input[str]
    runtime_id: pulumi.Input[str]
    aws: pulumi.Output[AwsContext]
    config: ObservabilityConfig = field(default_factory=ObservabilityConfig)
    endpoint_names: Sequence[str] = (DEFAULT_ENDPOINT,)
    model_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    kms_key_id: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        problem = agentcore_name_problem(self.runtime_name)
        if problem:
            raise ValueError(f"runtime_name: {problem}")
        if not self.endpoint_names:
            raise ValueError("endpoint_names: give at least one endpoint (DEFAULT always exists)")
        for endpoint in self.endpoint_names:
            problem = agentcore_name_problem(endpoint)
            if problem:
                raise ValueError(f"endpoint_names: {problem}")
        if len(set(self.endpoint_names)) != len(self.endpoint_names):
            raise ValueError(f"endpoint_names: {list(self.endpoint_names)} lists an endpoint twice")


class RuntimeObservability(pulumi.ComponentResource):
    """Log groups with retention, vended-log and trace deliveries, optional Transaction Search,
    alarms and a dashboard for one runtime."""

    runtime_log_group_names: pulumi.Output[dict[str, str]]
    """Endpoint name -> the runtime's log group for it."""
    vended_log_group_names: pulumi.Output[dict[str, str]]
    """Log type -> the log group its delivery writes to."""
    alarm_arns: pulumi.Output[dict[str, str]]
    """Alarm key -> alarm ARN."""
    dashboard_name: pulumi.Output[str | None]
    """Name of the dashboard, when one is created."""
    dashboard_url: pulumi.Output[str | None]
    """Console link to the dashboard, when one is created."""

    def __init__(self, name: str, args: RuntimeObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        self._cfg = args.config
        self._kms_key_id = args.kms_key_id if args.kms_key_id is not None else args.config.log_kms_key_arn
        self._runtime_id = pulumi.Output.from_input(args.runtime_id)
        self._runtime_arn = pulumi.Output.from_input(args.runtime_arn)
        self._deliveries: list[aws_native.logs.Delivery] = []

        runtime_groups = self._runtime_log_groups()
        self._vended_logs()
        search = self._transaction_search()
        self._traces(search)
        self._alarms()
        self._dashboard(runtime_groups)
        register_annotated_outputs(self)

    # -- helpers ---------------------------------------------------------------------------------

    def _child(self, **options: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **options)

    @property
    def _native_tags(self) -> list[dict[str, str]]:
        return [{"key": k, "value": v} for k, v in sorted(self._args.tags.items())]

    def _log_group(self, suffix: str, group_name: pulumi.Output[str]) -> aws.cloudwatch.LogGroup:
        """A plain log group: the vended-log destinations (named by us, never by the service), and
        the runtime's groups when adoption is off."""
        return aws.cloudwatch.LogGroup(
            f"{self._name}-{suffix}",
            name=group_name,
            retention_in_days=self._cfg.log_retention_days,
            kms_key_id=self._kms_key_id,
            tags=dict(self._args.tags),
            opts=self._child(retain_on_delete=self._cfg.retain_logs_on_delete),
        )

    def _policy_json(self, build: Any, **extra: pulumi.Input[Any]) -> pulumi.Output[str]:
        """A policy document from the parent's AWS context (and `extra` deferred values)."""
        return pulumi.Output.all(ctx=self._args.aws, **extra).apply(
            lambda v: json.dumps(build(**v.pop("ctx").where(), **v))
        )

    # -- 1. the runtime's own log groups ----------------------------------------------------------

    def _runtime_log_groups(self) -> list[pulumi.Resource]:
        """AgentCore creates these groups itself, and when is not documented (at runtime creation
        or on the first invocation, field reports disagree), so each is created or adopted:
        retention, key and tags are applied whichever came first (`log_group_resource`). The
        region is the parent's, so the group lands where the runtime is even under an explicit
        provider. With `adopt_runtime_log_groups` false they are plain log groups, as before:
        the same resources an older stack already has (no state change), and what a program in
        another language can run."""
        cfg, endpoints = self._cfg, self._args.endpoint_names
        name_of = {ep: self._runtime_id.apply(lambda rid, ep=ep: names.runtime_log_group_name(rid, ep)) for ep in endpoints}
        self.runtime_log_group_names = pulumi.Output.all(**name_of).apply(lambda v: {ep: v[ep] for ep in endpoints})
        if not cfg.runtime_logs:
            return []
        if not cfg.adopt_runtime_log_groups:
            return [self._log_group(f"runtime-{ep}", group) for ep, group in name_of.items()]
        region = self._args.aws.apply(lambda ctx: ctx.region)
        return [
            AdoptableLogGroup(
                f"{self._name}-runtime-{ep}",
                log_group_name=group,
                retention_in_days=cfg.log_retention_days,
                kms_key_id=self._kms_key_id,
                tags=dict(self._args.tags),
                retain_on_delete=cfg.retain_logs_on_delete,
                region=region,
                opts=self._child(),
            )
            for ep, group in name_of.items()
        ]

    # -- 2. vended logs and traces ------------------------------------------------------------------

    def _vended_logs(self) -> None:
        """APPLICATION_LOGS and USAGE_LOGS, each into a log group of ours."""
        cfg = self._cfg
        types = [t for t, on in ((names.APPLICATION_LOGS, cfg.application_logs), (names.USAGE_LOGS, cfg.usage_logs)) if on]
        groups = {
            log_type: self._log_group(
                log_type.lower().replace("_", "-"),
                self._runtime_id.apply(lambda rid, t=log_type: names.vended_log_group_name(t, rid)),
            )
            for log_type in types
        }
        self.vended_log_group_names = pulumi.Output.all(**{t: g.name for t, g in groups.items()}).apply(
            lambda v: {t: v[t] for t in groups}
        )
        if not groups:
            return
        group_names = pulumi.Output.all(*[g.name for g in groups.values()])
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{self._name}-log-delivery-policy",
            policy_name=names.log_delivery_policy_name(self._args.runtime_name),
            policy_document=self._policy_json(telemetry.log_delivery_resource_policy, log_group_names=group_names),
            opts=self._child(),
        )
        for log_type, group in groups.items():
            self._deliver(log_type, {"delivery_destination_type": "CWL", "destination_resource_arn": group.arn}, [policy])

    def _traces(self, search: list[pulumi.Resource]) -> None:
        """TRACES to X-Ray, under a resource policy for this runtime's spans only. Where this stack
        also turns Transaction Search on (`search`), the delivery waits for it: on a first deploy
        it would otherwise race the activation."""
        if not self._cfg.traces:
            return
        policy = aws.xray.ResourcePolicy(
            f"{self._name}-traces-delivery-policy",
            policy_name=names.trace_delivery_policy_name(self._args.runtime_name),
            policy_document=self._policy_json(telemetry.xray_trace_delivery_policy, runtime_arn=self._runtime_arn),
            opts=self._child(),
        )
        self._deliver(names.TRACES, {"delivery_destination_type": "XRAY"}, [policy, *search])

    def _deliver(self, log_type: str, destination: dict[str, Any], after: list[pulumi.Resource]) -> None:
        """A delivery source, destination and delivery for one log type."""
        suffix = names.DELIVERY_SUFFIXES[log_type]
        source = aws_native.logs.DeliverySource(
            f"{self._name}-{suffix}-source",
            name=names.delivery_source_name(self._args.runtime_name, log_type),
            log_type=log_type,
            resource_arn=self._runtime_arn,
            tags=self._native_tags,
            opts=self._child(),
        )
        target = aws_native.logs.DeliveryDestination(
            f"{self._name}-{suffix}-destination",
            name=names.delivery_destination_name(self._args.runtime_name, log_type),
            tags=self._native_tags,
            opts=self._child(depends_on=after),
            **destination,
        )
        # Deliveries are created one after another, as the CDK construct chains them: a cheap
        # guard against concurrent-modification errors from the delivery APIs.
        self._deliveries.append(aws_native.logs.Delivery(
            f"{self._name}-{suffix}",
            delivery_source_name=source.name,
            delivery_destination_arn=target.arn,
            tags=self._native_tags,
            opts=self._child(depends_on=[source, target, *after, *self._deliveries[-1:]]),
        ))

    # -- 3. Transaction Search ----------------------------------------------------------------------

    def _transaction_search(self) -> list[pulumi.Resource]:
        """One setting per account and region. These resources adopt it when it is already on
        (their create is an idempotent update) and are retained on delete, so destroying one
        stack never turns spans off for the others. Returns what the TRACES delivery waits for."""
        if not self._cfg.transaction_search:
            return []
        spans_policy = aws.cloudwatch.LogResourcePolicy(
            f"{self._name}-transaction-search-policy",
            policy_name=names.TRANSACTION_SEARCH_POLICY_NAME,
            policy_document=self._policy_json(telemetry.transaction_search_resource_policy),
            opts=self._child(retain_on_delete=True),
        )
        destination = aws.xray.TraceSegmentDestination(
            f"{self._name}-transaction-search",
            destination=names.TRANSACTION_SEARCH_DESTINATION,
            opts=self._child(retain_on_delete=True, depends_on=[spans_policy]),
        )
        aws.xray.IndexingRule(
            f"{self._name}-transaction-search-indexing",
            name="Default",
            rule={"probabilistic": {"desired_sampling_percentage": self._cfg.indexing_percentage}},
            opts=self._child(retain_on_delete=True, depends_on=[destination]),
        )
        return [destination]

    # -- 4. alarms and 5. dashboard -----------------------------------------------------------------

    def _alarms(self) -> None:
        """Errors, throttles and p99 latency, one set per endpoint."""
        cfg, args = self._cfg, self._args
        topic = [cfg.alarm_topic_arn] if cfg.alarm_topic_arn else []
        alarms = {
            spec.key: aws.cloudwatch.MetricAlarm(
                f"{self._name}-{spec.key}",
                name=spec.name,
                alarm_description=spec.description,
                comparison_operator=spec.comparison_operator,
                threshold=spec.threshold,
                evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=spec.evaluation_periods,
                treat_missing_data=spec.treat_missing_data,
                metric_queries=[_metric_query(q) for q in spec.queries],
                alarm_actions=topic,
                ok_actions=topic,
                tags=dict(args.tags),
                opts=self._child(),
            )
            for spec in alarm_specs(cfg, args.runtime_name, self._runtime_arn, args.endpoint_names)
        }
        self.alarm_arns = pulumi.Output.all(**{key: a.arn for key, a in alarms.items()}).apply(
            lambda v: {key: v[key] for key in alarms}
        )

    def _dashboard(self, runtime_groups: list[pulumi.Resource]) -> None:
        if not self._cfg.dashboard:
            self.dashboard_name = pulumi.Output.from_input(None)
            self.dashboard_url = pulumi.Output.from_input(None)
            return
        args, runtime_logs = self._args, self._cfg.runtime_logs
        body = pulumi.Output.all(
            ctx=args.aws, runtime_arn=self._runtime_arn, groups=self.runtime_log_group_names, alarms=self.alarm_arns
        ).apply(
            lambda v: dashboard_body(
                region=v["ctx"].region,
                runtime_name=args.runtime_name,
                runtime_arn=v["runtime_arn"],
                endpoint_names=args.endpoint_names,
                runtime_log_groups=list(v["groups"].values()) if runtime_logs else [],
                alarm_arns=list(v["alarms"].values()),
                model_id=args.model_id,
            )
        )
        board = aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=args.aws.apply(lambda ctx: names.dashboard_name(args.runtime_name, ctx.region)),
            dashboard_body=body,
            opts=self._child(depends_on=runtime_groups),
        )
        self.dashboard_name = board.dashboard_name
        self.dashboard_url = pulumi.Output.all(ctx=args.aws, name=board.dashboard_name).apply(
            lambda v: names.dashboard_console_url(v["ctx"].partition, v["ctx"].region, v["name"])
        )


def _metric_query(query: MetricQuery[Any]) -> dict[str, Any]:
    if query.expression is not None:
        return {"id": query.id, "expression": query.expression, "label": query.label, "return_data": query.return_data}
    return {
        "id": query.id,
        "label": query.label,
        "return_data": query.return_data,
        "metric": {
            "namespace": query.namespace,
            "metric_name": query.metric_name,
            "dimensions": dict(query.dimensions or {}),
            "stat": query.stat,
            "period": query.period,
        },
    }
