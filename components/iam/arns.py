"""ARNs of this stack's own resources and AWS service hosts, built for any partition (never a
hard-coded `arn:aws`). The forms a user may hand in are checked by `components.arn_patterns`."""


def role_arn(partition: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:role/{name}"


def policy_arn(partition: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:policy/{name}"


def runtime_arn_pattern(partition: str, region: str, account_id: str, runtime_name: str) -> str:
    """Matches this runtime's ARN (`runtime/<name>-<10 chars>`) and no other runtime's."""
    return f"arn:{partition}:bedrock-agentcore:{region}:{account_id}:runtime/{runtime_name}-*"


def workload_identity_directory_arn(partition: str, region: str, account_id: str) -> str:
    return f"arn:{partition}:bedrock-agentcore:{region}:{account_id}:workload-identity-directory/default"


def workload_identity_arn_pattern(partition: str, region: str, account_id: str, runtime_name: str) -> str:
    """The workload identity AgentCore creates for the runtime is named `<runtime name>-<suffix>`."""
    directory = workload_identity_directory_arn(partition, region, account_id)
    return f"{directory}/workload-identity/{runtime_name}-*"


def ecr_repository_arn(partition: str, region: str, account_id: str, repository_name: str) -> str:
    return f"arn:{partition}:ecr:{region}:{account_id}:repository/{repository_name}"


def log_group_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


def memory_arn(partition: str, region: str, account_id: str, memory_id: str) -> str:
    return f"arn:{partition}:bedrock-agentcore:{region}:{account_id}:memory/{memory_id}"


def memory_arn_pattern(partition: str, region: str, account_id: str, name: str) -> str:
    """Matches the ARN of the memory named `name` (`memory/<name>-<10 chars>`) and of no other:
    memory names have no hyphen."""
    return memory_arn(partition, region, account_id, f"{name}-*")


def service_endpoint(service: str, region: str, partition: str) -> str:
    """An AWS service's regional host (`ecr.us-east-1.amazonaws.com`), also the form of its
    `kms:ViaService` value. China's end in amazonaws.com.cn; GovCloud shares amazonaws.com."""
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"{service}.{region}.{suffix}"
