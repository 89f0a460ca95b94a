"""StateBackend: the S3 bucket and KMS key of a team's Pulumi DIY backend, wired together.

The documents, names and rules come from policies.py, names.py and settings.py; this module only
creates resources. The bucket is split into the provider's per-setting resources (versioning,
encryption, ownership, public access block, lifecycle, policy), each a child of the component.
"""

import json

import pulumi
import pulumi_aws as aws

from .names import AwsContext, bucket_name, key_alias
from .policies import bucket_policy, key_policy
from .settings import BackendSettings

TYPE_TOKEN = "state-backend:index:StateBackend"
TAGS = {"ManagedBy": "pulumi", "Purpose": "pulumi-state-backend"}


class StateBackend(pulumi.ComponentResource):
    bucket_name: str
    key_alias: str
    key_arn: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]

    def __init__(self, name: str, settings: BackendSettings, ctx: AwsContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self.bucket_name = bucket_name(settings.bucket_name, ctx)
        self.key_alias = key_alias(settings.key_alias, self.bucket_name)
        key = self._key(name, settings, ctx)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=self.bucket_name,
            force_destroy=False,
            tags=TAGS,
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect),
        )
        self._bucket_settings(name, settings, ctx, bucket, key)

        self.key_arn = key.arn
        self.bucket_arn = bucket.arn
        self.register_outputs({"bucketName": self.bucket_name, "bucketArn": bucket.arn, "keyArn": key.arn, "keyAlias": self.key_alias})

    def _key(self, name: str, settings: BackendSettings, ctx: AwsContext) -> aws.kms.Key:
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Pulumi state in s3://{self.bucket_name} and its stacks' secrets",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            rotation_period_in_days=settings.key_rotation_days,
            deletion_window_in_days=settings.key_deletion_window_days,
            bypass_policy_lockout_safety_check=False,
            policy=json.dumps(key_policy(ctx, self.bucket_name, settings.protect)),
            tags=TAGS,
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect),
        )
        aws.kms.Alias(f"{name}-key-alias", name=self.key_alias, target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=self))
        return key

    def _bucket_settings(self, name: str, settings: BackendSettings, ctx: AwsContext, bucket: aws.s3.Bucket, key: aws.kms.Key) -> None:
        """One provider resource per bucket setting, each a child of the component."""
        child = pulumi.ResourceOptions(parent=self)
        # ACLs off first: the other settings and the policy assume the bucket owner owns everything.
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[self._history_rule(settings)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=key.arn.apply(lambda arn: json.dumps(bucket_policy(ctx, self.bucket_name, arn, settings.protect))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access, ownership]),
        )

    @staticmethod
    def _history_rule(settings: BackendSettings) -> dict[str, object]:
        """Old versions of state files expire; delete markers left alone are removed; uploads
        abandoned halfway (a killed `pulumi up`) are cleaned up after a week."""
        noncurrent: dict[str, int] = {"noncurrent_days": settings.noncurrent_version_days}
        if settings.noncurrent_versions_to_keep:
            noncurrent["newer_noncurrent_versions"] = settings.noncurrent_versions_to_keep
        return {
            "id": "expire-old-state-versions",
            "status": "Enabled",
            "filter": {},
            "noncurrent_version_expiration": noncurrent,
            "expiration": {"expired_object_delete_marker": True},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        }
