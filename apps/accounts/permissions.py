"""Who may do what in an organization: the one permission table.

| action            | owner | admin | member |
|-------------------|-------|-------|--------|
| use the API/playground, view tasks & usage | yes | yes | yes |
| manage API keys   | yes   | yes   | no     |
| billing (credits, payments, auto-recharge) | yes | yes | no |
| invite/remove members, change roles | yes | yes (not owners) | no |
| rename/delete organization, transfer ownership | yes | no | no |
"""
from apps.accounts.models import Role

MANAGE_KEYS = "manage_keys"
MANAGE_BILLING = "manage_billing"
MANAGE_MEMBERS = "manage_members"
MANAGE_ORGANIZATION = "manage_organization"
USE_API = "use_api"

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset({USE_API, MANAGE_KEYS, MANAGE_BILLING, MANAGE_MEMBERS, MANAGE_ORGANIZATION}),
    Role.ADMIN: frozenset({USE_API, MANAGE_KEYS, MANAGE_BILLING, MANAGE_MEMBERS}),
    Role.MEMBER: frozenset({USE_API}),
}


def role_can(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())
