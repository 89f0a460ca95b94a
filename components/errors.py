"""Bad-input errors that name the offending key and the rule it breaks.

Every rule the component enforces is reported through `ConfigError`, so a user sees the config key
(`agentcore:idleTimeoutSeconds`) or the component argument (`args.lifecycle.idle_timeout_seconds`)
next to the rule, at `pulumi preview`, before any AWS call is made.
"""

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Problem:
    """One broken rule: `key` is what the user typed, `message` says the rule and the bad value."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class ConfigError(ValueError):
    """Raised for invalid stack config or component arguments; lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, key: str, message: str) -> "ConfigError":
        """Build an error for exactly one problem."""
        return cls([Problem(key, message)])
