"""ECR lifecycle policy and tags."""

import json

from components.ecr_lifecycle import lifecycle_policy, lifecycle_policy_json
from components.tagging import standard_tags, tag_problems


def test_lifecycle_policy_keeps_newest_and_expires_untagged() -> None:
    rules = lifecycle_policy(7)["rules"]
    untagged, keep = sorted(rules, key=lambda r: r["rulePriority"])
    assert untagged["selection"]["tagStatus"] == "untagged"
    assert untagged["selection"]["countType"] == "sinceImagePushed"
    assert keep["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 7}
    # ECR requires the tagStatus "any" rule to have the highest priority number.
    assert keep["rulePriority"] == max(r["rulePriority"] for r in rules)
    assert json.loads(lifecycle_policy_json(7)) == lifecycle_policy(7)


def test_standard_tags_win_and_reserved_keys_are_refused() -> None:
    tags = standard_tags(environment="dev", stack="dev", project="agentcore", extra={"Team": "ml"})
    assert tags == {"Team": "ml", "Environment": "dev", "Stack": "dev", "Project": "agentcore", "ManagedBy": "pulumi"}
    assert tag_problems({"environment": "x"})
    assert tag_problems({"aws:cloudformation:stack": "x"})
    assert tag_problems({"ok": "bad,value"})
    assert tag_problems({f"k{i}": "v" for i in range(47)})
    assert tag_problems({"Team": "ml", "cost-center": "42"}) == []
