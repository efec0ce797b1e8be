from decimal import Decimal

import pytest

from apps.billing.models import EntryKind, Hold
from apps.billing.services import credit_grant, credit_hold
from apps.billing.services.holds import ORGANIZATION_FROZEN
from apps.core.errors import ApplicationError
from apps.dashboard.staff.models import ProviderCostEstimate
from apps.dashboard.staff.services import FREEZE_REASON_REQUIRED, organization_freeze, organization_unfreeze


def test_freeze_blocks_new_holds_and_unfreeze_allows_them(organization):
    credit_grant(organization=organization, amount_micros=1_000_000, kind=EntryKind.PROMOTIONAL,
                 idempotency_key="seed", reason="seed")

    organization_freeze(organization=organization, reason="  Abuse report #7  ")

    organization.refresh_from_db()
    assert (organization.is_frozen, organization.frozen_reason) == (True, "Abuse report #7")
    with pytest.raises(ApplicationError) as refused:
        credit_hold(organization=organization, api_key=None, task_id="task_1", amount_micros=10)
    assert refused.value.message == ORGANIZATION_FROZEN
    assert Hold.objects.count() == 0

    organization_unfreeze(organization=organization)

    organization.refresh_from_db()
    assert (organization.is_frozen, organization.frozen_reason) == (False, "")
    assert credit_hold(organization=organization, api_key=None, task_id="task_1", amount_micros=10).amount_micros == 10


def test_freeze_requires_a_reason(organization):
    with pytest.raises(ApplicationError) as refused:
        organization_freeze(organization=organization, reason="   ")

    assert refused.value.message == FREEZE_REASON_REQUIRED
    organization.refresh_from_db()
    assert organization.is_frozen is False


def test_finance_user_edits_cost_estimates_and_support_cannot(client, support_user, finance_user):
    client.force_login(support_user)
    data = {"model_id": "openai/gpt-4o", "cost_share_percent": "62.50", "note": "negotiated"}
    assert client.post("/admin/staff/providercostestimate/add/", data).status_code == 403

    client.force_login(finance_user)
    response = client.post("/admin/staff/providercostestimate/add/", data)

    assert response.status_code == 302
    assert list(ProviderCostEstimate.objects.values_list("model_id", "cost_share_percent")) == [
        ("openai/gpt-4o", Decimal("62.50")),
    ]
