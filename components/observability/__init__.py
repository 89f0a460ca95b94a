"""Observability of one AgentCore runtime, by concern:

- `settings`: what a stack decides (`observability` argument, `agentcore:observability` config);
- `names`: the exact names of log groups, deliveries, policies, alarms and the dashboard;
- `monitoring`: the metrics the runtime publishes, the alarms on them and the dashboard body;
- `resources`: `RuntimeObservability`, the child component that creates the resources.

The IAM side (execution role and deployer statements, resource policies) is in
`components.iam.telemetry`.
"""
