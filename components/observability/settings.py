"""What a stack decides about its runtime's observability: `observability` in the component's
arguments, `agentcore:observability` (camelCase keys) in stack config. Defaults, bounds and
descriptions are declared in `components.schema`; this model applies them.

Validators raise ValueError with the rule; `components.rules` reports it under the argument or
config key. Numbers are checked strictly (`mode="before"`): a boolean is never a number here, and
other languages' SDKs send whole numbers as floats (60.0 is accepted where an integer is due).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from ..arn_patterns import KMS_KEY_ARN, SNS_TOPIC_ARN
from ..schema import LOG_RETENTION_DAYS, bounds, default


def _positive_number(value: Any) -> float:
    # bool is an int subclass; `alarmEvaluationPeriods: true` must not quietly become 1.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a positive number, got {value!r}")
    return float(value)


def _positive_int(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"must be a positive whole number, got {value!r}")
    return value


_D = "observability."


class ObservabilityConfig(BaseModel):
    """Log retention and encryption, which deliveries exist, Transaction Search, alarm thresholds
    and the dashboard. Unknown keys are rejected so a typo cannot silently fall back to a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_retention_days: int = default(_D + "log_retention_days")
    log_kms_key_arn: str | None = default(_D + "log_kms_key_arn")
    retain_logs_on_delete: bool = default(_D + "retain_logs_on_delete")
    runtime_logs: bool = default(_D + "runtime_logs")
    adopt_runtime_log_groups: bool = default(_D + "adopt_runtime_log_groups")
    application_logs: bool = default(_D + "application_logs")
    usage_logs: bool = default(_D + "usage_logs")
    traces: bool = default(_D + "traces")
    transaction_search: bool = default(_D + "transaction_search")
    transaction_search_enabled_in_region: bool = default(_D + "transaction_search_enabled_in_region")
    indexing_percentage: float = default(_D + "indexing_percentage")
    alarms: bool = default(_D + "alarms")
    alarm_topic_arn: str | None = default(_D + "alarm_topic_arn")
    errors_threshold: float = default(_D + "errors_threshold")
    throttles_threshold: float = default(_D + "throttles_threshold")
    latency_p99_threshold_ms: float = default(_D + "latency_p99_threshold_ms")
    alarm_period_seconds: int = default(_D + "alarm_period_seconds")
    alarm_evaluation_periods: int = default(_D + "alarm_evaluation_periods")
    dashboard: bool = default(_D + "dashboard")

    @field_validator("log_retention_days", mode="before")
    @classmethod
    def _retention_in_allowed_set(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
            raise ValueError(f"must be one of CloudWatch's retention values ({allowed}), got {value!r}")
        return int(value)

    @field_validator("indexing_percentage", mode="before")
    @classmethod
    def _percentage(cls, value: Any) -> float:
        low, high = bounds(_D + "indexing_percentage")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"must be a number from {low} to {high}, got {value!r}")
        return float(value)

    @field_validator("errors_threshold", "throttles_threshold", "latency_p99_threshold_ms", mode="before")
    @classmethod
    def _thresholds_positive(cls, value: Any) -> float:
        return _positive_number(value)

    @field_validator("alarm_evaluation_periods", mode="before")
    @classmethod
    def _periods_positive(cls, value: Any) -> int:
        return _positive_int(value)

    @field_validator("alarm_period_seconds", mode="before")
    @classmethod
    def _period_whole_minutes(cls, value: Any) -> int:
        # AgentCore batches runtime metrics per minute, so a shorter or ragged period has no data.
        seconds = _positive_int(value)
        if seconds % 60:
            raise ValueError(f"must be a positive multiple of 60 (runtime metrics are per minute), got {value!r}")
        return seconds

    @field_validator("log_kms_key_arn", mode="before")
    @classmethod
    def _kms_key_arn(cls, value: Any) -> str | None:
        if value is not None and (not isinstance(value, str) or KMS_KEY_ARN.fullmatch(value) is None):
            raise ValueError(
                "must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>; "
                f"CloudWatch Logs does not take aliases), got {value!r}"
            )
        return value

    @field_validator("alarm_topic_arn", mode="before")
    @classmethod
    def _topic_arn(cls, value: Any) -> str | None:
        if value is not None and (not isinstance(value, str) or SNS_TOPIC_ARN.fullmatch(value) is None):
            raise ValueError(f"must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>), got {value!r}")
        return value

    def inert_settings(self, explicit: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Settings the user gave (`explicit`) that do nothing with the switches as they are, each
        with the switch that would make it count, so a stack file never says more than it does."""
        depends = {
            "alarm_topic_arn": "alarms", "errors_threshold": "alarms", "throttles_threshold": "alarms",
            "latency_p99_threshold_ms": "alarms", "alarm_period_seconds": "alarms",
            "alarm_evaluation_periods": "alarms", "indexing_percentage": "transaction_search",
            "transaction_search_enabled_in_region": "traces", "adopt_runtime_log_groups": "runtime_logs",
        }
        return [(name, switch) for name, switch in depends.items() if name in explicit and not getattr(self, switch)]
