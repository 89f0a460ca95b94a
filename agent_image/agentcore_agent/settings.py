"""The agent's configuration, read once from environment variables and validated up front.

Why fail at startup: a missing model id or a typo in a number would otherwise surface as a
confusing error on the first invocation (or, for the model id, as Strands silently picking its
own default model). AgentCore reports a container that exits at startup as an initialization
failure, and the message names the variable to fix.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant. Answer concisely. Use the calculate tool for arithmetic and the "
    "current_time tool when you need the current date or time."
)


class ConfigError(ValueError):
    """A configuration variable is missing or breaks its rule; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment (see the README's agent section)."""

    model_id: str
    region: str
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    log_level: str = "INFO"
    max_sessions: int = 100
    max_prompt_chars: int = 100_000
    model_retry_budget_seconds: float = 50.0
    model_max_attempts: int = 3
    model_read_timeout_seconds: float = 120.0
    model_connect_timeout_seconds: float = 10.0
    memory_id: str | None = None
    memory_namespaces: tuple[str, ...] = ()

    @property
    def max_body_bytes(self) -> int:
        """Largest request body read: a maximal prompt fully \\u-escaped (6 bytes a char) plus room."""
        return self.max_prompt_chars * 6 + 64 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every variable; raise ``ConfigError`` naming the first bad one."""
        env = os.environ if environ is None else environ
        model_id = env.get("MODEL_ID", "").strip()
        if not model_id:
            raise ConfigError(
                "MODEL_ID is required: set it to a Bedrock model id or inference profile id "
                "(e.g. us.anthropic.claude-sonnet-4-5-20250929-v1:0)"
            )
        region = (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip()
        if not region:
            raise ConfigError("AWS_REGION is required: set it to the Bedrock region, e.g. us-east-1")
        log_level = env.get("LOG_LEVEL", cls.log_level).strip().upper()
        if log_level not in logging.getLevelNamesMapping():
            raise ConfigError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; got {log_level!r}")
        system_prompt = env.get("SYSTEM_PROMPT", "").strip() or DEFAULT_SYSTEM_PROMPT
        return cls(
            model_id=model_id,
            region=region,
            system_prompt=system_prompt,
            log_level=log_level,
            max_sessions=_positive_int(env, "MAX_SESSIONS", cls.max_sessions),
            max_prompt_chars=_positive_int(env, "MAX_PROMPT_CHARS", cls.max_prompt_chars),
            model_retry_budget_seconds=_positive_float(
                env, "MODEL_RETRY_BUDGET_SECONDS", cls.model_retry_budget_seconds
            ),
            model_max_attempts=_positive_int(env, "MODEL_MAX_ATTEMPTS", cls.model_max_attempts),
            model_read_timeout_seconds=_positive_float(
                env, "MODEL_READ_TIMEOUT_SECONDS", cls.model_read_timeout_seconds
            ),
            model_connect_timeout_seconds=_positive_float(
                env, "MODEL_CONNECT_TIMEOUT_SECONDS", cls.model_connect_timeout_seconds
            ),
            memory_id=env.get("BEDROCK_AGENTCORE_MEMORY_ID", "").strip() or None,
            memory_namespaces=_namespaces(env),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a positive integer; got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be a positive integer; got {raw!r}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a positive number of seconds; got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a positive number of seconds; got {raw!r}")
    return value


def _namespaces(env: Mapping[str, str]) -> tuple[str, ...]:
    """MEMORY_LONG_TERM_NAMESPACES: a JSON array of namespace templates, each with {actorId}."""
    raw = env.get("MEMORY_LONG_TERM_NAMESPACES", "").strip()
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(n, str) and "{actorId}" in n for n in value):
        raise ConfigError(
            'MEMORY_LONG_TERM_NAMESPACES must be a JSON array of namespace templates that contain {actorId}, '
            'e.g. ["/users/{actorId}/facts"]'
        )
    if value and not env.get("BEDROCK_AGENTCORE_MEMORY_ID", "").strip():
        raise ConfigError("MEMORY_LONG_TERM_NAMESPACES needs BEDROCK_AGENTCORE_MEMORY_ID (the memory to read them from)")
    return tuple(value)
