"""The reference: the seed plan's agent, written the straightforward way.

This is the baseline the benchmark compares against, so it is kept exactly as the seed wrote it: one
global Strands ``Agent``, ``BedrockAgentCoreApp``'s routes, and a blocking ``agent(prompt)`` call
inside an ``async def`` entrypoint. Do not improve it; its weaknesses are what is being measured.

The only additions are configuration the benchmark needs and the seed left implicit: the model id
comes from ``MODEL_ID`` (the seed used Strands' default id; the emulator answers any id the same
way), and the Bedrock endpoint, region and credentials come from the standard AWS environment
variables that botocore reads (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, ``AWS_REGION``, ...).

Served like the other two servers: ``python -m uvicorn reference_app:app --app-dir bench``.
"""

import os

from bedrock_agentcore.runtime import BedrockAgentCoreApp
from strands import Agent

app = BedrockAgentCoreApp()
agent = Agent(model=os.environ.get("MODEL_ID"))


@app.entrypoint
async def invoke(request):
    prompt = request.get("prompt", "Hello")
    response = agent(prompt)
    return {"completion": str(response)}
