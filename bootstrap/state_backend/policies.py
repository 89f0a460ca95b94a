"""The state bucket's policy and the KMS key's policy, as plain documents.

Who may read and write state is decided by IAM in this account (the main program's deployer role
gets exactly the bucket, its prefix and the key); these resource policies add what IAM cannot:

- the bucket refuses plain HTTP and TLS below 1.2, uploads encrypted with anything but this key,
  and (with protection on) deleting the bucket or any version of its history, for every
  principal. Lifecycle expiry is done by S3 itself and is not subject to the bucket policy.
- the key trusts the account (so IAM policies can grant it, and the account can never lose
  control of it) with the administrative actions only; data keys may be generated only by S3 for
  this bucket; Encrypt/Decrypt are open to IAM grants for Pulumi's `awskms://` secrets provider,
  which calls them directly; with protection on, nobody may schedule the key's deletion.
"""

from typing import Any

from .names import AwsContext, account_root_arn, bucket_arn, s3_service_endpoint

Document = dict[str, Any]

# What a key administrator needs, each applying to a key; no cryptographic operation. Includes
# kms:PutKeyPolicy, so an account administrator can always repair this policy (no lockout).
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
# S3 generates a data key for each (bucket-key) write and decrypts it on reads.
S3_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# Pulumi's awskms secrets provider: Encrypt once per stack (its data key), Decrypt on every run.
SECRETS_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt")


def document(statements: list[Document]) -> Document:
    return {"Version": "2012-10-17", "Statement": statements}


def key_policy(ctx: AwsContext, bucket: str, protect: bool) -> Document:
    """The KMS key's policy (in a key policy, Resource "*" means this key). With `protect`, nobody
    may schedule the key's deletion (which would make every state file and stack secret
    unreadable) until the policy is changed, which the account can always do."""
    account = {"AWS": account_root_arn(ctx)}
    arn = bucket_arn(bucket, ctx)
    guard = [{"Sid": "DenyKeyDeletion", "Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}]
    return document(
        [
            {"Sid": "AccountAdministersKey", "Effect": "Allow", "Principal": account, "Action": list(KEY_ADMIN_ACTIONS), "Resource": "*"},
            {
                "Sid": "StateBucketEncryptionViaS3",
                "Effect": "Allow",
                "Principal": account,
                "Action": list(S3_KEY_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": s3_service_endpoint(ctx), "kms:CallerAccount": ctx.account_id},
                    # With an S3 Bucket Key the context is the bucket's ARN; without one, the object's.
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, f"{arn}/*"]},
                },
            },
            {
                "Sid": "StackSecretsProvider",
                "Effect": "Allow",
                "Principal": account,
                "Action": list(SECRETS_KEY_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": ctx.account_id}},
            },
            *(guard if protect else []),
        ]
    )


def bucket_policy(ctx: AwsContext, bucket: str, key_arn: str, protect: bool) -> Document:
    """The state bucket's policy: deny statements only, so it never grants anything."""
    arn = bucket_arn(bucket, ctx)
    everything = [arn, f"{arn}/*"]
    statements: list[Document] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": everything,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": everything,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
        # Uploads without encryption headers get the bucket default (this key); explicit headers
        # must name SSE-KMS with this key's ARN.
        {
            "Sid": "DenyOtherEncryption",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{arn}/*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        },
        # SSE-KMS without a key id would use the AWS managed key aws/s3, not the bucket default.
        {
            "Sid": "DenyAwsManagedKey",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{arn}/*",
            "Condition": {
                "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "true"},
            },
        },
        {
            "Sid": "DenyOtherKmsKeys",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{arn}/*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
        },
    ]
    if protect:
        statements += [
            {"Sid": "DenyBucketDeletion", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": arn},
            {"Sid": "DenyHistoryDeletion", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObjectVersion", "Resource": f"{arn}/*"},
        ]
    return document(statements)
