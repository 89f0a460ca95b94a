"""Hand each request's AgentCore identity to tools through ``bedrock_agentcore``'s request context.

AgentCore Runtime sends every invocation a workload access token, and tools that use AgentCore
Identity (``bedrock_agentcore.identity``'s ``@requires_access_token`` and ``@requires_api_key``)
read it, with the request and session ids, from ``BedrockAgentCoreContext``: context variables,
so values set in the request's task are seen by its turn (Strands copies the context into the
threads it runs tools in) and by no other request.

Why lazily: importing that module loads the SDK's whole runtime package, a cost the app would pay
at every cold start for a feature only some tools use. So the SDK is imported the first time a
request brings a token, and the ids are set whenever the SDK is loaded (a tool that uses Identity
imports it); while nothing has loaded it, nothing could read the context, so nothing is set.
"""

from __future__ import annotations

import sys

_CONTEXT_MODULE = "bedrock_agentcore.runtime.context"


def publish(request_id: str, session_id: str, workload_token: str | None) -> None:
    """Set this request's ids and workload access token where AgentCore Identity looks for them."""
    if not workload_token and _CONTEXT_MODULE not in sys.modules:
        return
    from bedrock_agentcore.runtime.context import BedrockAgentCoreContext  # noqa: PLC0415 - lazy on purpose

    BedrockAgentCoreContext.set_request_context(request_id, session_id)
    if workload_token:
        BedrockAgentCoreContext.set_workload_access_token(workload_token)
