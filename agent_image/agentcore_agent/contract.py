"""AgentCore Runtime's HTTP contract: the headers it sends each invocation and the /ping statuses.

Why our own constants rather than ``bedrock_agentcore.runtime.models``: importing any module of
that SDK runs its package ``__init__``, which loads the SDK's whole app, client and tracing stack
at startup, and the app needs nothing of it but these strings (see ``identity`` for the one part
it does use, loaded only when needed). The values are AgentCore's wire format, so they cannot drift.
"""

from __future__ import annotations

from enum import StrEnum

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
# The workload access token, under its current name and its older one.
IDENTITY_WAT_HEADER = "X-Amz-Bedrock-AgentCore-Identity-WAT"
ACCESS_TOKEN_HEADER = "WorkloadAccessToken"  # noqa: S105 - a header name, not a secret


class PingStatus(StrEnum):
    """What ``GET /ping`` reports; AgentCore keeps a ``HealthyBusy`` session alive."""

    HEALTHY = "Healthy"
    HEALTHY_BUSY = "HealthyBusy"
