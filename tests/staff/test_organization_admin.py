from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.models import ApiKey, Organization, User
from apps.accounts.services import api_key_create, organization_create
from apps.billing.models import EntryKind, LedgerEntry
from apps.billing.services import credit_grant
from apps.dashboard.staff.services import FREEZE_REASON_REQUIRED
from apps.tasks.models import OrganizationRateLimitPlan, RateLimitPlan

CHANGELIST = "/admin/accounts/organization/"


def _grant(organization, micros, key="seed"):
    return credit_grant(organization=organization, amount_micros=micros, kind=EntryKind.PROMOTIONAL,
                        idempotency_key=key, reason="seed")


def _organizations(count):
    owner, _ = User.objects.get_or_create(email="many@example.com")
    organizations = [organization_create(name=f"Org {i:02d}", owner=owner) for i in range(count)]
    for i, organization in enumerate(organizations):
        if i % 2 == 0:
            _grant(organization, 1_000_000 * (i + 1))
    return organizations


def test_changelist_shows_balance_and_available_credit(client, superuser, organization):
    _grant(organization, 12_500_000)
    client.force_login(superuser)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.pk == organization.pk)
    assert (row.balance_micros, row.held_micros, row.available_micros) == (12_500_000, 0, 12_500_000)
    assert "$12.50" in response.content.decode()


def test_changelist_queries_do_not_grow_with_rows(client, superuser, django_assert_max_num_queries):
    client.force_login(superuser)
    _organizations(3)
    client.get(CHANGELIST)  # warm the content-type cache
    with CaptureQueriesContext(connection) as three_rows:
        assert client.get(CHANGELIST).status_code == 200
    _organizations(20)  # half of them with a balance row, half without

    with django_assert_max_num_queries(len(three_rows.captured_queries)):
        response = client.get(CHANGELIST)

    assert response.context["cl"].result_count == 23
    assert len(response.context["cl"].result_list) == 23


def test_frozen_filter(client, superuser, organization, other_organization):
    Organization.objects.filter(pk=organization.pk).update(is_frozen=True, frozen_reason="dispute")
    client.force_login(superuser)

    response = client.get(CHANGELIST + "?is_frozen__exact=1")

    assert [o.pk for o in response.context["cl"].result_list] == [organization.pk]


def test_change_page_shows_credit_links_members_keys_and_plan(client, superuser, organization, api_key, user):
    _grant(organization, 3_000_000)
    plan = RateLimitPlan.objects.create(name="Enterprise")
    assignment = OrganizationRateLimitPlan.objects.create(organization=organization, plan=plan)
    client.force_login(superuser)

    response = client.get(f"{CHANGELIST}{organization.pk}/change/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "$3.00 / $0.00 / $3.00" in html
    assert f'{reverse("admin:billing_ledgerentry_changelist")}?organization__id__exact={organization.pk}' in html
    assert reverse("admin:billing_credit_adjust", args=[organization.pk]) in html
    assert reverse("admin:tasks_organizationratelimitplan_change", args=[assignment.pk]) in html
    assert user.email in html
    assert api_key[0].prefix in html
    assert reverse("admin:accounts_organization_revoke_key", args=[organization.pk, api_key[0].pk]) in html


def test_change_page_without_plan_links_to_assigning_one(client, superuser, organization):
    client.force_login(superuser)

    html = client.get(f"{CHANGELIST}{organization.pk}/change/").content.decode()

    assert "Default plan (settings)" in html
    assert f'{reverse("admin:tasks_organizationratelimitplan_add")}?organization={organization.pk}' in html


def test_support_user_views_organizations_tasks_and_ledger(client, support_user, organization, api_key):
    _grant(organization, 1_000_000)
    client.force_login(support_user)

    assert client.get(CHANGELIST).status_code == 200
    change = client.get(f"{CHANGELIST}{organization.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert reverse("admin:billing_credit_adjust", args=[organization.pk]) not in html
    assert reverse("admin:accounts_organization_revoke_key", args=[organization.pk, api_key[0].pk]) not in html
    assert client.get("/admin/tasks/task/").status_code == 200
    assert client.get(f"/admin/billing/ledgerentry/?organization__id__exact={organization.pk}").status_code == 200


def test_support_user_cannot_adjust_credit(client, support_user, organization):
    client.force_login(support_user)
    url = reverse("admin:billing_credit_adjust", args=[organization.pk])

    assert client.get(url).status_code == 403
    response = client.post(url, {"amount_usd": "5", "reason": "goodwill", "nonce": "n1"})

    assert response.status_code == 403
    assert LedgerEntry.objects.filter(organization=organization).count() == 0


def test_support_user_cannot_freeze(client, support_user, organization):
    client.force_login(support_user)

    response = client.post(CHANGELIST, {"action": "freeze", "_selected_action": [organization.pk], "apply": "1",
                                        "reason": "abuse"})

    organization.refresh_from_db()
    assert response.status_code in (200, 302)
    assert (organization.is_frozen, organization.frozen_reason) == (False, "")
    assert "freeze" not in client.get(CHANGELIST).context["cl"].model_admin.get_actions(response.wsgi_request)
    assert client.post(f"{CHANGELIST}{organization.pk}/change/",
                       {"name": "Acme", "is_frozen": "on", "frozen_reason": "x"}).status_code == 403


def test_freeze_action_asks_for_a_reason_then_freezes(client, superuser, organization, other_organization):
    client.force_login(superuser)
    selected = {"action": "freeze", "_selected_action": [organization.pk]}

    confirm = client.post(CHANGELIST, selected)
    assert confirm.status_code == 200
    assert "admin/accounts/organization/freeze.html" in [t.name for t in confirm.templates]
    organization.refresh_from_db()
    assert organization.is_frozen is False

    response = client.post(CHANGELIST, {**selected, "apply": "1", "reason": "Chargeback pattern"})

    assert response.status_code == 302
    organization.refresh_from_db()
    other_organization[0].refresh_from_db()
    assert (organization.is_frozen, organization.frozen_reason) == (True, "Chargeback pattern")
    assert other_organization[0].is_frozen is False
    log = LogEntry.objects.get(object_id=str(organization.pk))
    assert (log.user_id, log.change_message) == (superuser.pk, "Frozen: Chargeback pattern")


def test_unfreeze_action_clears_the_reason(client, superuser, organization):
    Organization.objects.filter(pk=organization.pk).update(is_frozen=True, frozen_reason="dispute")
    client.force_login(superuser)

    response = client.post(CHANGELIST, {"action": "unfreeze", "_selected_action": [organization.pk]})

    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.is_frozen, organization.frozen_reason) == (False, "")


def _change_form(organization, **fields):
    data = {
        "name": organization.name, "frozen_reason": "",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        "api_keys-TOTAL_FORMS": "0", "api_keys-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def test_change_form_freezes_with_reason_and_renames(client, superuser, organization):
    client.force_login(superuser)
    url = f"{CHANGELIST}{organization.pk}/change/"

    refused = client.post(url, _change_form(organization, is_frozen="on"))
    assert refused.status_code == 200
    assert FREEZE_REASON_REQUIRED in refused.content.decode()
    organization.refresh_from_db()
    assert organization.is_frozen is False

    response = client.post(url, _change_form(organization, name="Acme Ltd", is_frozen="on", frozen_reason="KYC"))

    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.name, organization.is_frozen, organization.frozen_reason) == ("Acme Ltd", True, "KYC")


def test_revoke_key_from_the_organization_page(client, superuser, organization, api_key):
    key = api_key[0]
    client.force_login(superuser)
    url = reverse("admin:accounts_organization_revoke_key", args=[organization.pk, key.pk])

    assert client.get(url).status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is None

    response = client.post(url)

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_support_user_cannot_revoke_keys(client, support_user, organization, api_key):
    key = api_key[0]
    client.force_login(support_user)

    assert client.post(reverse("admin:accounts_organization_revoke_key", args=[organization.pk, key.pk])).status_code == 403
    client.post("/admin/accounts/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]})

    key.refresh_from_db()
    assert key.revoked_at is None


def test_revoke_view_rejects_a_key_of_another_organization(client, superuser, organization, other_organization):
    other_key = ApiKey.objects.get(organization=other_organization[0])
    client.force_login(superuser)

    response = client.post(reverse("admin:accounts_organization_revoke_key", args=[organization.pk, other_key.pk]))

    assert response.status_code == 404
    other_key.refresh_from_db()
    assert other_key.revoked_at is None


def test_finance_user_adjusts_credit_with_one_ledger_entry(client, finance_user, organization):
    client.force_login(finance_user)
    url = reverse("admin:billing_credit_adjust", args=[organization.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"amount_usd": "7.25", "reason": "Goodwill for outage #12", "nonce": "abc"})
    client.post(url, {"amount_usd": "7.25", "reason": "Goodwill for outage #12", "nonce": "abc"})  # double submit

    assert response.status_code == 302
    entries = list(LedgerEntry.objects.filter(organization=organization))
    assert [(e.kind, e.amount_micros, e.actor_id, e.reason) for e in entries] == [
        (EntryKind.ADJUSTMENT, 7_250_000, finance_user.pk, "Goodwill for outage #12"),
    ]
    assert organization.balance.balance_micros == 7_250_000


def test_finance_user_cannot_freeze(client, finance_user, organization):
    client.force_login(finance_user)

    client.post(CHANGELIST, {"action": "freeze", "_selected_action": [organization.pk], "apply": "1", "reason": "x"})

    organization.refresh_from_db()
    assert organization.is_frozen is False


def test_changelist_sorts_by_available_credit(client, superuser, organization, other_organization):
    _grant(organization, 2_000_000)
    _grant(other_organization[0], 9_000_000)
    client.force_login(superuser)

    response = client.get(CHANGELIST + "?o=-4")  # the 4th column, available, descending

    assert [o.pk for o in response.context["cl"].result_list] == [other_organization[0].pk, organization.pk]


def _membership_forms(membership, **fields):
    form = {"memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1", "memberships-0-id": str(membership.pk),
            "memberships-0-organization": str(membership.organization_id), "memberships-0-user": str(membership.user_id),
            "memberships-0-role": membership.role}
    form.update({f"memberships-0-{name}": value for name, value in fields.items()})
    return form


def test_membership_inline_keeps_the_last_owner(client, superuser, organization, user):
    from apps.accounts.models import Membership, Role
    from apps.accounts.services import LAST_OWNER

    owner = Membership.objects.get(organization=organization, user=user)
    client.force_login(superuser)
    url = f"{CHANGELIST}{organization.pk}/change/"

    for change in ({"DELETE": "on"}, {"role": Role.MEMBER}):
        response = client.post(url, _change_form(organization, **_membership_forms(owner, **change)))
        assert response.status_code == 200 and LAST_OWNER in response.content.decode()
        owner.refresh_from_db()
        assert owner.role == Role.OWNER

    other = User.objects.create_user(email="second@example.com", password="x" * 12)
    second = Membership.objects.create(organization=organization, user=other, role=Role.OWNER)
    response = client.post(url, _change_form(organization, **_membership_forms(owner, DELETE="on")))
    assert response.status_code == 302  # another owner remains
    assert list(Membership.objects.filter(organization=organization).values_list("pk", flat=True)) == [second.pk]
