"""GitHub Actions' OpenID Connect issuer, as AWS IAM sees it (GitHub's "Configuring OpenID Connect
in Amazon Web Services"): the provider's URL and host, and the audience GitHub's AWS action asks
for. One place, because the trust policy, the provider resource and the ARN rule must agree."""

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
