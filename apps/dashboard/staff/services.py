"""Staff writes: freezing organizations and the staff permission groups."""
from __future__ import annotations

from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from apps.accounts.models import Organization, User
from apps.billing.services import balance_freeze_mark
from apps.core.errors import ApplicationError

FREEZE_REASON_REQUIRED = "A reason is required to freeze an organization."

SUPPORT_GROUP = "Support (read-only)"
FINANCE_GROUP = "Finance"
# The platform's own apps; Django's auth/session/admin tables are not part of the support view.
PLATFORM_APP_LABELS = ("accounts", "billing", "catalog", "usage", "tasks")
FINANCE_EXTRA_PERMISSIONS = (
    "billing.adjust_credit",
    "billing.change_billingprofile",
    "staff.view_revenue_report",
    "staff.view_providercostestimate",
    "staff.add_providercostestimate",
    "staff.change_providercostestimate",
)


@transaction.atomic
def organization_freeze(*, organization: Organization, reason: str, actor: User | None = None) -> Organization:
    """Stops the organization from starting tasks (running ones finish). Marks the balance row
    first, under its lock, as the dispute path does: a hold's UPDATE refuses a frozen row, so no
    hold is granted after the freeze commits."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(FREEZE_REASON_REQUIRED, code="missing_parameter", param="reason")
    return _frozen_set(organization=organization, is_frozen=True, reason=reason[:200], actor=actor)


@transaction.atomic
def organization_unfreeze(*, organization: Organization, actor: User | None = None) -> Organization:
    return _frozen_set(organization=organization, is_frozen=False, reason="", actor=actor)


def _frozen_set(*, organization: Organization, is_frozen: bool, reason: str, actor: User | None) -> Organization:
    balance_freeze_mark(organization_id=organization.pk, frozen=is_frozen)  # first: the balance lock
    organization.is_frozen = is_frozen
    organization.frozen_reason = reason
    organization.full_clean()
    organization.save(update_fields=["is_frozen", "frozen_reason", "updated_at"])
    if actor is not None:
        # The audit row, in the change's transaction (the admin change form writes its own).
        message = f"Frozen: {reason}" if is_frozen else "Unfrozen"
        LogEntry.objects.log_actions(user_id=actor.pk, queryset=[organization], action_flag=CHANGE,
                                     change_message=message, single_object=True)
    return organization


def _view_permission_names() -> list[str]:
    names = []
    for label in PLATFORM_APP_LABELS:
        for model in apps.get_app_config(label).get_models():
            names.append(f"{label}.{get_permission_codename('view', model._meta)}")
    return names


def _permissions(names: list[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    found = [p for p in Permission.objects.select_related("content_type")
             if (p.content_type.app_label, p.codename) in wanted]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise LookupError(f"permissions not found (run migrate first): {sorted('.'.join(m) for m in missing)}")
    return found


@transaction.atomic
def staff_groups_sync() -> dict[str, int]:
    """Creates or resets the two staff groups to exactly their permissions; running it again
    changes nothing. Returns {group name: number of permissions}. Superusers need no group."""
    views = _view_permission_names()
    definitions = {SUPPORT_GROUP: views, FINANCE_GROUP: [*views, *FINANCE_EXTRA_PERMISSIONS]}
    counts = {}
    for name, permission_names in definitions.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = _permissions(permission_names)
        group.permissions.set(permissions)
        counts[name] = len(permissions)
    return counts
