"""What the suite and the benchmarks run their subjects with; test modules hold only tests.

One module per concern, imported by ``tests/`` and ``bench/`` alike:

- ``processes``: start a server as a subprocess, wait for readiness, stop it with SIGTERM.
- ``agent_image``: agent_image/'s locked environment (synced as the image installs it) and what its
  Dockerfile says (CMD, ENV, Python version).
- ``agents``: the agent implementations the shared API suite runs against, declared in one place
  (how each is built, started and configured against the Bedrock emulator).
- ``contract``: the AgentCore header names as a client sends them.
- ``bedrock_emulator``: a loopback Bedrock Runtime (Converse, ConverseStream) with per-request
  scenarios; ``python -m tests.testkit.bedrock_emulator`` runs it standalone.
- ``otlp_sink``: a loopback OTLP/HTTP receiver that decodes exported spans.
- ``sse``: a strict parser of the agent's server-sent events.
- ``arm64_env``: the aarch64 interpreter and locked site the ARM64 proof runs the agent in.
- ``memory_emulator``: a loopback AgentCore Memory data plane (events, long-term records),
  requests validated with botocore's own ParamValidator against the service model.
- ``policy_pack``: the policy pack's analyzer service, driven as the Pulumi engine drives it.
- ``mutation``: mutation testing of the agent and the component's builders (cosmic-ray, on demand).
- ``pulumi_mocks``, ``program_runs``, ``resource_snapshot``: the Pulumi mock engine, the program
  runs and the resource record the infrastructure tests share; ``bootstrap_runs``, the state-backend
  bootstrap's runs under the same engine; ``cfn_schemas``, ``iam_catalogue`` (identity and
  resource policies),
  ``observability_facts``: AWS's published data those tests check against.
- ``agentcore_emulator``, ``moto_server``, ``cli_harness``: AgentCore's data plane and CloudWatch
  Logs on loopback, and the ``agentcore`` command run as a user runs it.
"""
