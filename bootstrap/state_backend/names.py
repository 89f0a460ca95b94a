"""Names, ARNs and URLs of the state backend, derived in one place.

ARNs take the partition (and endpoints the DNS suffix) from `aws.get_partition`, so the same
program works in aws, aws-cn and aws-us-gov.

URL forms (sources in /work/notes/docs-bootstrap.md):
- backend: `s3://<bucket>/<prefix>?region=<region>`; Pulumi's DIY backend keeps its files under
  `<prefix>/.pulumi/` and gocloud.dev's s3blob driver reads the region from the query;
- secrets provider: `awskms://alias/<name>?region=<region>` (gocloud.dev's awskms opener uses
  host + path as the key id, so an alias keeps the URL free of the ARN's ':' characters).
"""

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class AwsContext:
    """Where the backend is created, as AWS reports it."""

    partition: str
    dns_suffix: str
    account_id: str
    region: str


def bucket_name(configured: str, ctx: AwsContext) -> str:
    """The configured name, or one unique per account and region (bucket names are global)."""
    return configured or f"pulumi-state-{ctx.account_id}-{ctx.region}"


def key_alias(configured: str, bucket: str) -> str:
    return configured or f"alias/{bucket}"


def bucket_arn(bucket: str, ctx: AwsContext) -> str:
    return f"arn:{ctx.partition}:s3:::{bucket}"


def account_root_arn(ctx: AwsContext) -> str:
    return f"arn:{ctx.partition}:iam::{ctx.account_id}:root"


def s3_service_endpoint(ctx: AwsContext) -> str:
    """The value KMS reports as `kms:ViaService` for requests S3 makes in this region."""
    return f"s3.{ctx.region}.{ctx.dns_suffix}"


def backend_url(bucket: str, prefix: str, region: str) -> str:
    path = f"/{prefix}" if prefix else ""
    return f"s3://{bucket}{path}?{urlencode({'region': region})}"


def secrets_provider(alias: str, region: str) -> str:
    return f"awskms://{alias}?{urlencode({'region': region})}"
