import pytest

from apps.billing.models import LedgerEntry
from apps.billing.selectors import balance_get
from apps.billing.services import credit_grant
from apps.billing.services.credits import ADJUSTMENT_EXCEEDS_AVAILABLE
from apps.core.errors import ApplicationError
from tests.billing.conftest import USD, balance_tuple, fund


def test_grant_adds_credit_and_one_entry(organization, user):
    entry = credit_grant(organization=organization, amount_micros=25 * USD, kind="promotional",
                         idempotency_key="welcome", reason="Welcome", actor=user)

    assert (entry.kind, entry.amount_micros, entry.held_delta_micros, entry.actor) == ("promotional", 25 * USD, 0, user)
    assert balance_get(organization=organization).available_micros == 25 * USD


def test_replayed_grant_writes_one_entry(organization):
    first = fund(organization, 5 * USD, key="k1")
    second = fund(organization, 5 * USD, key="k1")

    assert first.pk == second.pk
    assert LedgerEntry.objects.filter(organization=organization).count() == 1
    assert balance_tuple(organization) == (5 * USD, 0)


def test_negative_adjustment_within_available(organization, user):
    fund(organization, 5 * USD)

    credit_grant(organization=organization, amount_micros=-2 * USD, kind="adjustment", idempotency_key="fix",
                 reason="double grant", actor=user)

    assert balance_tuple(organization) == (3 * USD, 0)


def test_negative_adjustment_beyond_available_changes_nothing(organization, user):
    fund(organization, 1 * USD)

    with pytest.raises(ApplicationError) as raised:
        credit_grant(organization=organization, amount_micros=-2 * USD, kind="adjustment", idempotency_key="fix",
                     reason="oops", actor=user)

    assert (raised.value.message, raised.value.code) == (ADJUSTMENT_EXCEEDS_AVAILABLE, "adjustment_exceeds_available")
    assert balance_tuple(organization) == (1 * USD, 0)
    assert LedgerEntry.objects.filter(organization=organization).count() == 1


@pytest.mark.parametrize(("kind", "amount"), [("promotional", 0), ("topup", -1), ("hold", 5), ("adjustment", 0)])
def test_invalid_grants_write_nothing(organization, kind, amount):
    with pytest.raises(ApplicationError):
        credit_grant(organization=organization, amount_micros=amount, kind=kind, idempotency_key="x", reason="r")

    assert LedgerEntry.objects.count() == 0


def test_entries_refuse_update_and_delete(organization):
    entry = fund(organization, 1 * USD)

    entry.amount_micros = 10 * USD
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_micros=0)
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()

    assert LedgerEntry.objects.get(pk=entry.pk).amount_micros == 1 * USD
