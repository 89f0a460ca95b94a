"""AgentCore Runtime's header names as a client sends them.

Written out here, not imported from the agent: the tests are the specification every agent
implementation must meet, so they must not take the wire format from the code they check.
"""

from __future__ import annotations

SESSION = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
