"""The IAM documents of the component, as plain data built from plain strings:

- `documents`: the statement and document shapes every policy here uses;
- `arns`: the ARNs of this stack's own resources, in any partition;
- `runtime`: the execution role's trust and permissions (image pull, identity, models);
- `deployer`: the deployer role's trust (principals, GitHub OIDC) and permissions;
- `kms`: the stack's own KMS key: its key policy and the deployer's share;
- `memory`: AgentCore Memory's share of both roles (the runtime's events and records, the
  deployer's management of the stack's memory);
- `telemetry`: both roles' share for logs, traces and metrics, and the resource policies the
  log-delivery and X-Ray services need.

Partition, account and region come in as arguments (the component reads them from the provider),
so each ARN is right in every partition; nothing here hard-codes `arn:aws`. Actions are exact (no
wildcards), every resource is this stack's own, and `"Resource": "*"` appears only for actions
that AWS authorises on `*` alone; the tests check both against the IAM catalogue.
"""
