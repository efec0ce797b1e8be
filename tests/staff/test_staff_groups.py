from io import StringIO

from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.dashboard.staff.services import FINANCE_GROUP, SUPPORT_GROUP


def _codenames(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_staff_groups_is_idempotent(db):
    call_command("staff_groups", stdout=StringIO())
    first = {name: _codenames(name) for name in (SUPPORT_GROUP, FINANCE_GROUP)}

    out = StringIO()
    call_command("staff_groups", stdout=out)

    assert Group.objects.filter(name__in=[SUPPORT_GROUP, FINANCE_GROUP]).count() == 2
    assert {name: _codenames(name) for name in (SUPPORT_GROUP, FINANCE_GROUP)} == first
    assert out.getvalue().splitlines() == [
        f"{SUPPORT_GROUP}: {len(first[SUPPORT_GROUP])} permissions",
        f"{FINANCE_GROUP}: {len(first[FINANCE_GROUP])} permissions",
    ]


def test_support_group_only_views_and_finance_adds_credit_adjustment(staff_groups):
    support, finance = _codenames(SUPPORT_GROUP), _codenames(FINANCE_GROUP)

    assert {"accounts.view_organization", "accounts.view_apikey", "billing.view_ledgerentry", "billing.view_balance",
            "tasks.view_task", "usage.view_usagerecord", "catalog.view_providerhealth"} <= support
    assert all(name.split(".")[1].startswith("view_") for name in support)
    assert "billing.adjust_credit" not in support
    assert "staff.view_revenue_report" not in support
    assert finance - support == {
        "billing.adjust_credit", "billing.change_billingprofile", "staff.view_revenue_report",
        "staff.view_providercostestimate", "staff.add_providercostestimate", "staff.change_providercostestimate",
    }


def test_staff_groups_resets_a_hand_edited_group(staff_groups):
    support = Group.objects.get(name=SUPPORT_GROUP)
    support.permissions.clear()

    call_command("staff_groups", stdout=StringIO())

    assert "accounts.view_organization" in _codenames(SUPPORT_GROUP)
