import pytest
from django.db import transaction

from apps.billing.models import BillingProfile, EntryKind, Hold, LedgerEntry
from apps.billing.selectors import balance_get
from apps.billing.services import CaptureResult, HoldFacts, credit_hold, hold_capture, hold_release
from apps.billing.services.holds import BUDGET_EXCEEDED, INSUFFICIENT_CREDITS_MESSAGE, ORGANIZATION_FROZEN, SPEND_CAP_EXCEEDED
from apps.core.errors import ApplicationError
from tests.billing.conftest import USD, balance_tuple, fund


def entry_count(organization) -> int:
    return LedgerEntry.objects.filter(organization=organization).count()


def test_hold_reserves_credit(organization, api_key):
    fund(organization, 10 * USD)

    hold = credit_hold(organization=organization, api_key=api_key[0], task_id="task_1", amount_micros=3 * USD)

    assert (hold.state, hold.amount_micros) == ("open", 3 * USD)
    view = balance_get(organization=organization)
    assert (view.balance_micros, view.held_micros, view.available_micros) == (10 * USD, 3 * USD, 7 * USD)


def test_hold_for_the_same_task_twice_holds_once(organization, api_key):
    fund(organization, 10 * USD)

    first = credit_hold(organization=organization, api_key=api_key[0], task_id="task_1", amount_micros=3 * USD)
    second = credit_hold(organization=organization, api_key=api_key[0], task_id="task_1", amount_micros=3 * USD)

    assert first.pk == second.pk
    assert balance_tuple(organization) == (10 * USD, 3 * USD)


def test_insufficient_credit_is_seed_000_error_and_changes_nothing(organization, api_key):
    fund(organization, 1 * USD)

    with pytest.raises(ApplicationError) as raised:
        credit_hold(organization=organization, api_key=api_key[0], task_id="task_1", amount_micros=1 * USD + 1)

    assert raised.value.status == 402
    assert raised.value.body() == {"error": {"message": INSUFFICIENT_CREDITS_MESSAGE, "type": "insufficient_credits_error",
                                             "code": "insufficient_credits", "param": None}}
    assert balance_tuple(organization) == (1 * USD, 0)
    assert entry_count(organization) == 1
    assert not Hold.objects.exists()


def test_refused_hold_inside_engine_transaction_keeps_the_outer_work(organization, api_key):
    fund(organization, 1 * USD)

    with transaction.atomic():
        credit_hold(organization=organization, api_key=api_key[0], task_id="ok", amount_micros=1 * USD)
        with pytest.raises(ApplicationError):
            credit_hold(organization=organization, api_key=api_key[0], task_id="too_much", amount_micros=1)

    assert list(Hold.objects.values_list("task_id", flat=True)) == ["ok"]
    assert balance_tuple(organization) == (1 * USD, 1 * USD)


def test_frozen_organization_cannot_hold(organization, api_key):
    fund(organization, 10 * USD)
    organization.is_frozen = True
    organization.save()

    with pytest.raises(ApplicationError) as raised:
        credit_hold(organization=organization, api_key=api_key[0], task_id="task_1", amount_micros=1)

    assert (raised.value.status, raised.value.code, raised.value.message) == (403, "organization_frozen", ORGANIZATION_FROZEN)
    assert balance_tuple(organization) == (10 * USD, 0)


def test_spend_cap_counts_open_holds_and_captures(organization, api_key):
    key = api_key[0]
    key.spend_cap_micros = 5 * USD
    key.save()
    fund(organization, 100 * USD)
    credit_hold(organization=organization, api_key=key, task_id="a", amount_micros=3 * USD)
    hold_capture(task_id="a", amount_micros=2 * USD)  # counts 2
    credit_hold(organization=organization, api_key=key, task_id="b", amount_micros=3 * USD)  # counts 3 → 5

    with pytest.raises(ApplicationError) as raised:
        credit_hold(organization=organization, api_key=key, task_id="c", amount_micros=1)

    assert (raised.value.status, raised.value.code, raised.value.message) == (402, "spend_cap_exceeded", SPEND_CAP_EXCEEDED)
    assert balance_tuple(organization) == (98 * USD, 3 * USD)
    hold_release(task_id="b", reason="cancelled")
    assert credit_hold(organization=organization, api_key=key, task_id="c", amount_micros=3 * USD).state == "open"


def test_monthly_budget(organization, api_key):
    fund(organization, 100 * USD)
    BillingProfile.objects.create(organization=organization, monthly_budget_micros=4 * USD)
    credit_hold(organization=organization, api_key=api_key[0], task_id="a", amount_micros=4 * USD)

    with pytest.raises(ApplicationError) as raised:
        credit_hold(organization=organization, api_key=api_key[0], task_id="b", amount_micros=1)

    assert (raised.value.status, raised.value.code, raised.value.message) == (402, "budget_exceeded", BUDGET_EXCEEDED)
    assert balance_tuple(organization) == (100 * USD, 4 * USD)


def test_capture_charges_cost_and_releases_the_rest(organization, api_key):
    fund(organization, 10 * USD)
    credit_hold(organization=organization, api_key=api_key[0], task_id="t", amount_micros=3 * USD)

    result = hold_capture(task_id="t", amount_micros=1_250_000)

    assert result == CaptureResult(captured_micros=1_250_000, released_micros=1_750_000, overrun_micros=0, shortfall_micros=0)
    assert balance_tuple(organization) == (8_750_000, 0)
    kinds = list(LedgerEntry.objects.filter(task_id="t").order_by("pk").values_list("kind", "amount_micros", "held_delta_micros"))
    assert kinds == [("hold", 0, 3 * USD), ("capture", -1_250_000, -1_250_000), ("release", 0, -1_750_000)]


def test_capture_replay_and_late_release_change_nothing(organization, api_key):
    fund(organization, 10 * USD)
    credit_hold(organization=organization, api_key=api_key[0], task_id="t", amount_micros=3 * USD)
    first = hold_capture(task_id="t", amount_micros=1 * USD)

    again = hold_capture(task_id="t", amount_micros=2 * USD)
    hold_release(task_id="t", reason="late failure report")

    assert again == first
    assert balance_tuple(organization) == (9 * USD, 0)
    assert LedgerEntry.objects.filter(task_id="t").count() == 3


@pytest.mark.parametrize("wrong", [None, "amount", "organization", "key"])
def test_capture_with_expected_facts_matches_only_the_described_hold(organization, api_key, wrong):
    """The settle's one-round-trip capture: facts that match resolve the hold with the same
    entries; facts that do not fall back to reading the hold, and charge the same."""
    fund(organization, 10 * USD)
    hold = credit_hold(organization=organization, api_key=api_key[0], task_id="t", amount_micros=3 * USD)
    facts = {"amount_micros": 3 * USD, "organization_id": organization.pk, "api_key_id": hold.api_key_id}
    if wrong == "amount":
        facts["amount_micros"] = 4 * USD
    elif wrong == "organization":
        facts["organization_id"] = organization.pk + 1000
    elif wrong == "key":
        facts["api_key_id"] = None

    result = hold_capture(task_id="t", amount_micros=1_250_000, expected=HoldFacts(**facts))
    again = hold_capture(task_id="t", amount_micros=1_250_000, expected=HoldFacts(**facts))

    assert result == again == CaptureResult(captured_micros=1_250_000, released_micros=1_750_000, overrun_micros=0,
                                            shortfall_micros=0)
    assert balance_tuple(organization) == (8_750_000, 0)
    kinds = list(LedgerEntry.objects.filter(task_id="t").order_by("pk").values_list(
        "kind", "amount_micros", "held_delta_micros", "organization_id", "api_key_id"))
    key_id = hold.api_key_id
    assert kinds == [("hold", 0, 3 * USD, organization.pk, key_id), ("capture", -1_250_000, -1_250_000, organization.pk, key_id),
                     ("release", 0, -1_750_000, organization.pk, key_id)]
    hold.refresh_from_db()
    assert (hold.state, hold.captured_micros) == ("captured", 1_250_000)


def test_overrun_within_available_is_charged_and_flagged(organization, api_key):
    fund(organization, 10 * USD)
    credit_hold(organization=organization, api_key=api_key[0], task_id="t", amount_micros=1 * USD)

    result = hold_capture(task_id="t", amount_micros=3 * USD)

    assert result == CaptureResult(captured_micros=3 * USD, released_micros=0, overrun_micros=2 * USD, shortfall_micros=0)
    capture = LedgerEntry.objects.get(task_id="t", kind=EntryKind.CAPTURE)
    assert (capture.amount_micros, capture.held_delta_micros, capture.is_flagged) == (-3 * USD, -1 * USD, True)
    assert balance_tuple(organization) == (7 * USD, 0)


def test_overrun_beyond_available_charges_what_is_left_and_flags_the_shortfall(organization, api_key):
    fund(organization, 2 * USD)
    credit_hold(organization=organization, api_key=api_key[0], task_id="t", amount_micros=1 * USD)
    credit_hold(organization=organization, api_key=api_key[0], task_id="other", amount_micros=500_000)

    result = hold_capture(task_id="t", amount_micros=5 * USD)

    # available beside the two holds was 0.5: charged 1 + 0.5, 3.5 could not be charged
    assert result == CaptureResult(captured_micros=1_500_000, released_micros=0, overrun_micros=4 * USD, shortfall_micros=3_500_000)
    assert balance_tuple(organization) == (500_000, 500_000)
    assert balance_get(organization=organization).available_micros == 0
    capture = LedgerEntry.objects.get(task_id="t", kind=EntryKind.CAPTURE)
    assert capture.details == {"reported_micros": 5 * USD, "overrun_micros": 4 * USD, "shortfall_micros": 3_500_000}


def test_release_returns_everything_once(organization, api_key):
    fund(organization, 10 * USD)
    credit_hold(organization=organization, api_key=api_key[0], task_id="t", amount_micros=3 * USD)

    hold_release(task_id="t", reason="provider failed")
    hold_release(task_id="t", reason="provider failed")
    result = hold_capture(task_id="t", amount_micros=1 * USD)

    assert result == CaptureResult(captured_micros=0, released_micros=3 * USD, overrun_micros=0, shortfall_micros=0)
    assert balance_tuple(organization) == (10 * USD, 0)
    assert Hold.objects.get(task_id="t").release_reason == "provider failed"
    assert LedgerEntry.objects.filter(task_id="t").count() == 2


def test_release_of_unknown_task_is_a_no_op(db):
    hold_release(task_id="nope", reason="x")

    assert LedgerEntry.objects.count() == 0


def test_balance_of_an_organization_without_entries(organization):
    view = balance_get(organization=organization)

    assert (view.balance_micros, view.held_micros, view.available_micros) == (0, 0, 0)


def test_amounts_above_32_bits_stay_exact(organization, api_key):
    """Guards the binding of values: with psycopg server-side binding a Python int is sent as the
    smallest integer type that holds it. Django's ``F(col) + n`` then wrapped above 2**31 (measured
    while trying it as a connection setting, which is why Django's cursors stay client-side); the
    hot statements (apps.core.statements) bind server-side with the column first, and must not."""
    big = 5_000 * USD  # 5e9 micros > 2**31
    fund(organization, big)
    credit_hold(organization=organization, api_key=api_key[0], task_id="big", amount_micros=big - 1)
    hold_capture(task_id="big", amount_micros=big - 7)

    assert balance_tuple(organization) == (7, 0)
    assert sum(LedgerEntry.objects.filter(organization=organization).values_list("amount_micros", flat=True)) == 7
