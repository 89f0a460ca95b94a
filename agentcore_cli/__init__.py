"""`agentcore`: the developer loop for this project's runtime (invoke, chat, dev, logs)."""
