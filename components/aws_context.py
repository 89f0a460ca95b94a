"""Where the stack deploys (partition, account, region), read once from the AWS provider.

`AgentCoreRuntime` reads it with invokes parented to itself, so an explicit provider applies, and
hands it to its children; the policy builders get it as plain strings inside `apply`.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    """Where the stack deploys, as the AWS provider reports it."""

    partition: str
    account_id: str
    region: str

    def where(self) -> dict[str, str]:
        """The keyword arguments of builders that need only the place: partition, region, account."""
        return {"partition": self.partition, "region": self.region, "account_id": self.account_id}

    def scope(self, runtime_name: str) -> dict[str, str]:
        """The keyword arguments every policy builder takes: where, and for which runtime."""
        return {**self.where(), "runtime_name": runtime_name}


def read_aws_context(parent: pulumi.Resource) -> pulumi.Output[AwsContext]:
    """The provider's partition, account and region, as one deferred value."""
    opts = pulumi.InvokeOutputOptions(parent=parent)
    partition = aws.get_partition_output(opts=opts).partition
    account_id = aws.get_caller_identity_output(opts=opts).account_id
    region = aws.get_region_output(opts=opts).region
    return pulumi.Output.all(partition=partition, account_id=account_id, region=region).apply(
        lambda v: AwsContext(partition=v["partition"], account_id=v["account_id"], region=v["region"])
    )
