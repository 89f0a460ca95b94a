"""The ECR lifecycle policy: keep the newest images, expire untagged leftovers.

Every image the component pushes is tagged with its content hash, so untagged images are only
build leftovers (overwritten cache manifests, interrupted pushes); ECR keeps manifests a tagged
image index still references. `keep_images` bounds storage and the scan backlog: a rollback can
go back that many builds, and a stack that pins an endpoint to an old runtime version must keep
that version's image among them.
"""

import json

UNTAGGED_EXPIRE_DAYS = 1


def lifecycle_policy(keep_images: int) -> dict[str, object]:
    """The policy document for a validated count (`repository.keep_images`: its bounds, what ECR
    accepts, are declared in `schema` and checked with the other settings)."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images {UNTAGGED_EXPIRE_DAYS} day after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": UNTAGGED_EXPIRE_DAYS,
                },
                "action": {"type": "expire"},
            },
            {
                # tagStatus "any" must be the rule with the highest priority number.
                "rulePriority": 2,
                "description": f"Keep the newest {keep_images} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            },
        ]
    }


def lifecycle_policy_json(keep_images: int) -> str:
    """The policy as the compact, key-sorted JSON string the ECR API stores."""
    return json.dumps(lifecycle_policy(keep_images), sort_keys=True, separators=(",", ":"))
