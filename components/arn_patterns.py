"""The forms of ARNs a user may hand the component (keys, policies, principals, topics).

Why one place: the same ARN shape is accepted by more than one setting (a KMS key for the ECR
repository, for the state secrets and for the log groups), and a rule that differs between two
copies lets a value through one door that the other refuses. Every pattern accepts any AWS
partition (`aws`, `aws-cn`, `aws-us-gov`, ...); callers use `fullmatch`.
"""

import re

from .github_oidc import GITHUB_OIDC_HOST

KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+")
POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::(?:[0-9]{12}|aws):policy/[\w+=,.@/-]+")
PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:(?:root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)")
OIDC_PROVIDER_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/" + re.escape(GITHUB_OIDC_HOST))
SNS_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}")
