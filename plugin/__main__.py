"""Serves AgentCoreRuntime as a Pulumi component provider for `pulumi package add`.

Pulumi starts this file (PulumiPlugin.yaml's `main`); `component_provider_host` infers the
provider schema from the component's type annotations and answers the engine's construct calls.
Python runs a directory's `__main__.py` with that directory first on sys.path, so the repository
root, which holds the `components` package, is added explicitly.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi import ComponentResource  # noqa: E402
from pulumi.provider.experimental import component_provider_host  # noqa: E402

from components import AgentCoreRuntime  # noqa: E402

PACKAGE_NAME = "agentcore"
PACKAGE_VERSION = "0.1.0"
COMPONENTS: list[type[ComponentResource]] = [AgentCoreRuntime]

if __name__ == "__main__":
    component_provider_host(COMPONENTS, name=PACKAGE_NAME, version=PACKAGE_VERSION)
