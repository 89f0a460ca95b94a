"""moto's server on loopback: a real CloudWatch Logs HTTP API for the real boto3 client.

Why a server and not moto's in-process mock: the code under test (the log-group dynamic provider)
runs its boto3 calls in Pulumi's provider host, a separate process in production and in one of
the tests; an HTTP endpoint reached through `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS` is the same
boundary for both, and nothing in boto3 is patched.

moto is an emulator, so what the tests rely on is stated here and checked against botocore's
service model by the tests: CreateLogGroup (ResourceAlreadyExistsException, name length
validation), DescribeLogGroups (logGroupName, retentionInDays, kmsKeyId, arn, logGroupArn),
PutRetentionPolicy, TagResource, UntagResource, ListTagsForResource, DeleteLogGroup
(ResourceNotFoundException). `aborted()` makes moto answer OperationAbortedException, an error
the model lists for those operations and moto never produces itself. moto 5.2 has no AssociateKmsKey or DisassociateKmsKey; `MotoServer`
adds both when moto lacks them, doing what the API reference says and nothing more (set or clear
the group's key; ResourceNotFoundException for a missing group). Key policy checks, which the
real service makes, are not emulated.
"""

from __future__ import annotations

import json
import urllib.request
from types import TracebackType

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from moto.core.exceptions import JsonRESTError
from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.responses import LogsResponse
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

# Credentials and a region for clients that talk to the emulator (moto accepts any).
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
MOTO_ACCOUNT_ID = "123456789012"  # moto's default account


def _associate_kms_key(self: LogsResponse) -> str:
    group = self.logs_backend.groups.get(self._get_param("logGroupName"))
    if group is None:
        raise ResourceNotFoundException()
    group.kms_key_id = self._get_param("kmsKeyId")
    return ""


def _disassociate_kms_key(self: LogsResponse) -> str:
    group = self.logs_backend.groups.get(self._get_param("logGroupName"))
    if group is None:
        raise ResourceNotFoundException()
    group.kms_key_id = None
    return ""


def add_missing_kms_operations() -> list[str]:
    """Give moto's logs server AssociateKmsKey/DisassociateKmsKey if it lacks them; returns the
    operations added (empty once moto implements them itself)."""
    added = []
    for name, handler in (("associate_kms_key", _associate_kms_key), ("disassociate_kms_key", _disassociate_kms_key)):
        if not hasattr(LogsResponse, name):
            setattr(LogsResponse, name, handler)
            added.append(name)
    return added


class OperationAborted(JsonRESTError):
    """CloudWatch Logs' answer when another request changes the same group at the same moment
    (botocore's model lists OperationAbortedException for the group-changing operations)."""

    code = 400

    def __init__(self) -> None:
        super().__init__("OperationAbortedException", "Multiple concurrent requests to update the same resource were in conflict.")


@contextmanager
def aborted(operation: str, times: int) -> Iterator[list[int]]:
    """The next `times` calls of `operation` (moto's snake_case handler name) are answered with
    OperationAbortedException, as when AgentCore changes the group concurrently; yields the list
    of aborted calls so far (one entry per abort)."""
    original = getattr(LogsResponse, operation)
    lock, seen = threading.Lock(), []

    def maybe_abort(self: LogsResponse) -> str:
        with lock:
            abort = len(seen) < times
            if abort:
                seen.append(1)
        if abort:
            raise OperationAborted()
        return original(self)

    setattr(LogsResponse, operation, maybe_abort)
    try:
        yield seen
    finally:
        setattr(LogsResponse, operation, original)


class MotoServer:
    """moto's threaded server bound to 127.0.0.1 on a free port; `reset()` empties every backend."""

    def __init__(self) -> None:
        self.added_operations = add_missing_kms_operations()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def __enter__(self) -> MotoServer:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.stop()

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
