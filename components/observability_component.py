"""`RuntimeObservability`: the CloudWatch, X-Ray and log-delivery resources around one AgentCore
runtime, as a child of `AgentCoreRuntime`.

It only wires: every name, document, threshold and dashboard widget comes from
`components.observability`. Inputs that exist only after the runtime does (its ARN and id) arrive
as Outputs and are never guessed, so every resource here depends on the runtime in the graph.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_aws_native as aws_native

from . import observability as obs
from .names import agentcore_name_problem


@dataclass(frozen=True)
class RuntimeObservabilityArgs:
    """Inputs of `RuntimeObservability`.

    runtime_name: the runtime's name (plain str: delivery, alarm and dashboard names are derived
        from it at preview time).
    runtime_arn / runtime_id: the runtime resource's `agent_runtime_arn` / `agent_runtime_id`
        outputs.
    config: the validated `agentcore:observability` stack config.
    endpoint_names: endpoints to cover; `DEFAULT` always exists, add a named endpoint if callers
        use one.
    model_id: the Bedrock model or inference-profile id the agent calls, for the token widget.
    tags: applied to every taggable resource created here.
    """

    runtime_name: str
    runtime_arn: pulumi.Input[str]
    runtime_id: pulumi.Input[str]
    config: obs.ObservabilityConfig = field(default_factory=obs.ObservabilityConfig)
    endpoint_names: Sequence[str] = (obs.DEFAULT_ENDPOINT,)
    model_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

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
    alarms and a dashboard for one runtime.

    Outputs: `runtime_log_group_names` (endpoint -> name), `vended_log_group_names` (log type ->
    name), `alarm_arns` (alarm key -> ARN), `dashboard_name`, `dashboard_url`.
    """

    runtime_log_group_names: pulumi.Output[dict[str, str]]
    vended_log_group_names: pulumi.Output[dict[str, str]]
    alarm_arns: pulumi.Output[dict[str, str]]
    dashboard_name: pulumi.Output[str | None]
    dashboard_url: pulumi.Output[str | None]

    def __init__(self, name: str, args: RuntimeObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("agentcore:observability:RuntimeObservability", name, None, opts)
        cfg = args.config
        runtime_id = pulumi.Output.from_input(args.runtime_id)
        runtime_arn = pulumi.Output.from_input(args.runtime_arn)

        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region

        def child(**options: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, **options)

        native_tags = [{"key": k, "value": v} for k, v in sorted(args.tags.items())]

        def log_group(suffix: str, group_name: pulumi.Output[str]) -> aws.cloudwatch.LogGroup:
            return aws.cloudwatch.LogGroup(
                f"{name}-{suffix}",
                name=group_name,
                retention_in_days=cfg.log_retention_days,
                kms_key_id=cfg.log_kms_key_arn,
                tags=dict(args.tags),
                opts=child(retain_on_delete=cfg.retain_logs_on_delete),
            )

        # 1. The runtime's own log groups, created right after the runtime and so before any
        #    invocation could make the service create them without retention. A group the service
        #    already created (runtime invoked before this component existed) must be imported.
        self.runtime_log_group_names = pulumi.Output.all(
            *[runtime_id.apply(lambda rid, ep=ep: obs.runtime_log_group_name(rid, ep)) for ep in args.endpoint_names]
        ).apply(lambda names: dict(zip(args.endpoint_names, names, strict=True)))
        runtime_groups = [
            log_group(f"runtime-{ep}", runtime_id.apply(lambda rid, ep=ep: obs.runtime_log_group_name(rid, ep)))
            for ep in (args.endpoint_names if cfg.runtime_logs else ())
        ]

        # 2. Vended logs (APPLICATION_LOGS, USAGE_LOGS) into our own groups, and TRACES to X-Ray.
        vended_types = [t for t, on in ((obs.APPLICATION_LOGS, cfg.application_logs), (obs.USAGE_LOGS, cfg.usage_logs)) if on]
        vended_groups = {
            log_type: log_group(
                log_type.lower().replace("_", "-"),
                runtime_id.apply(lambda rid, t=log_type: obs.vended_log_group_name(t, rid)),
            )
            for log_type in vended_types
        }
        self.vended_log_group_names = pulumi.Output.all(*[g.name for g in vended_groups.values()]).apply(
            lambda names: dict(zip(vended_groups, names, strict=True))
        )

        deliveries: list[aws_native.logs.Delivery] = []

        def deliver(log_type: str, destination: dict[str, Any], after: list[pulumi.Resource]) -> None:
            suffix = obs.DELIVERY_SUFFIXES[log_type]
            source = aws_native.logs.DeliverySource(
                f"{name}-{suffix}-source",
                name=obs.delivery_source_name(args.runtime_name, log_type),
                log_type=log_type,
                resource_arn=runtime_arn,
                tags=native_tags,
                opts=child(),
            )
            target = aws_native.logs.DeliveryDestination(
                f"{name}-{suffix}-destination",
                name=obs.delivery_destination_name(args.runtime_name, log_type),
                tags=native_tags,
                opts=child(depends_on=after),
                **destination,
            )
            # Deliveries are created one after another, as the CDK construct chains them: a cheap
            # guard against concurrent-modification errors from the delivery APIs.
            deliveries.append(aws_native.logs.Delivery(
                f"{name}-{suffix}",
                delivery_source_name=source.name,
                delivery_destination_arn=target.arn,
                tags=native_tags,
                opts=child(depends_on=[source, target, *after, *deliveries[-1:]]),
            ))

        if vended_groups:
            delivery_policy = aws.cloudwatch.LogResourcePolicy(
                f"{name}-log-delivery-policy",
                policy_name=obs.log_delivery_policy_name(args.runtime_name),
                policy_document=pulumi.Output.all(
                    partition.partition, region, account_id, *[g.name for g in vended_groups.values()]
                ).apply(lambda v: json.dumps(obs.log_delivery_resource_policy(
                    partition=v[0], region=v[1], account_id=v[2], log_group_names=v[3:],
                ))),
                opts=child(),
            )
            for log_type, group in vended_groups.items():
                deliver(log_type, {"delivery_destination_type": "CWL", "destination_resource_arn": group.arn}, [delivery_policy])

        if cfg.traces:
            xray_policy = aws.xray.ResourcePolicy(
                f"{name}-traces-delivery-policy",
                policy_name=obs.trace_delivery_policy_name(args.runtime_name),
                policy_document=pulumi.Output.all(partition.partition, region, account_id, runtime_arn).apply(
                    lambda v: json.dumps(obs.xray_trace_delivery_policy(
                        partition=v[0], region=v[1], account_id=v[2], runtime_arn=v[3],
                    ))
                ),
                opts=child(),
            )
            deliver(obs.TRACES, {"delivery_destination_type": "XRAY"}, [xray_policy])

        # 3. Transaction Search is one setting per account and region. These resources adopt it
        #    when it is already on (their create is an idempotent update) and are retained on
        #    delete, so destroying one stack never turns spans off for the others.
        if cfg.transaction_search:
            account_level = child(retain_on_delete=True)
            spans_policy = aws.cloudwatch.LogResourcePolicy(
                f"{name}-transaction-search-policy",
                policy_name=obs.TRANSACTION_SEARCH_POLICY_NAME,
                policy_document=pulumi.Output.all(partition.partition, region, account_id).apply(
                    lambda v: json.dumps(obs.transaction_search_resource_policy(partition=v[0], region=v[1], account_id=v[2]))
                ),
                opts=account_level,
            )
            destination = aws.xray.TraceSegmentDestination(
                f"{name}-transaction-search",
                destination=obs.TRANSACTION_SEARCH_DESTINATION,
                opts=child(retain_on_delete=True, depends_on=[spans_policy]),
            )
            aws.xray.IndexingRule(
                f"{name}-transaction-search-indexing",
                name="Default",
                rule={"probabilistic": {"desired_sampling_percentage": cfg.indexing_percentage}},
                opts=child(retain_on_delete=True, depends_on=[destination]),
            )

        # 4. Alarms, one set per endpoint.
        topic = [cfg.alarm_topic_arn] if cfg.alarm_topic_arn else []
        alarms = {
            spec.key: aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
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
                opts=child(),
            )
            for spec in obs.alarm_specs(cfg, args.runtime_name, runtime_arn, args.endpoint_names)
        }
        self.alarm_arns = pulumi.Output.all(*[a.arn for a in alarms.values()]).apply(
            lambda arns: dict(zip(alarms, arns, strict=True))
        )

        # 5. Dashboard.
        if cfg.dashboard:
            board = aws.cloudwatch.Dashboard(
                f"{name}-dashboard",
                dashboard_name=region.apply(lambda r: obs.dashboard_name(args.runtime_name, r)),
                dashboard_body=pulumi.Output.all(region, runtime_arn, self.runtime_log_group_names, self.alarm_arns).apply(
                    lambda v: obs.dashboard_body(
                        region=v[0],
                        runtime_name=args.runtime_name,
                        runtime_arn=v[1],
                        endpoint_names=args.endpoint_names,
                        runtime_log_groups=list(v[2].values()) if cfg.runtime_logs else [],
                        alarm_arns=list(v[3].values()),
                        model_id=args.model_id,
                    )
                ),
                opts=child(depends_on=runtime_groups),
            )
            self.dashboard_name = board.dashboard_name
            self.dashboard_url = pulumi.Output.all(partition.partition, region, board.dashboard_name).apply(
                lambda v: obs.dashboard_console_url(v[0], v[1], v[2])
            )
        else:
            self.dashboard_name = pulumi.Output.from_input(None)
            self.dashboard_url = pulumi.Output.from_input(None)

        self.register_outputs({
            "runtimeLogGroupNames": self.runtime_log_group_names,
            "vendedLogGroupNames": self.vended_log_group_names,
            "alarmArns": self.alarm_arns,
            "dashboardName": self.dashboard_name,
            "dashboardUrl": self.dashboard_url,
        })


def _metric_query(query: obs.MetricQuery[Any]) -> dict[str, Any]:
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
