"""The shapes of IAM policy documents and statements."""

from collections.abc import Sequence
from typing import Any

Statement = dict[str, Any]
PolicyDocument = dict[str, Any]

POLICY_VERSION = "2012-10-17"


def document(statements: Sequence[Statement]) -> PolicyDocument:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def allow(sid: str, actions: Sequence[str], resources: Sequence[str] | str, condition: dict[str, Any] | None = None) -> Statement:
    statement: Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": resources if isinstance(resources, str) else list(resources),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def service_grant(
    sid: str, service: str, actions: Sequence[str], resources: Sequence[str] | str, condition: dict[str, Any]
) -> PolicyDocument:
    """A resource policy with one statement granting an AWS service principal, always conditioned
    (on this account at least: the confused-deputy guard)."""
    return document([{**allow(sid, actions, resources, condition), "Principal": {"Service": service}}])
