"""Random interleavings of hold, capture, release, cancel, top-up and replays keep the ledger exact."""
import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from apps.accounts.services import organization_create
from apps.billing.checks import ledger_problems
from apps.billing.services import credit_grant, credit_hold, hold_capture, hold_release
from apps.core.errors import ApplicationError
from tests.billing.conftest import balance_tuple

AMOUNTS = st.integers(min_value=0, max_value=5_000_000)
_sequence = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    owner = None

    @initialize()
    def new_organization(self):
        self.organization = organization_create(name=f"Prop {next(_sequence)}", owner=self.owner)
        self.balance = self.held = 0
        self.open: dict[str, int] = {}
        self.resolved: list[str] = []
        self.topup_keys: list[str] = []

    @rule(amount=st.integers(min_value=1, max_value=10_000_000))
    def top_up(self, amount):
        key = f"{self.organization.public_id}:topup:{next(_sequence)}"
        credit_grant(organization=self.organization, amount_micros=amount, kind="topup", idempotency_key=key, reason="prop")
        self.topup_keys.append(key)
        self.balance += amount

    @precondition(lambda self: self.topup_keys)
    @rule(data=st.data())
    def replay_top_up(self, data):
        key = data.draw(st.sampled_from(self.topup_keys))
        credit_grant(organization=self.organization, amount_micros=1, kind="topup", idempotency_key=key, reason="replay")

    @rule(amount=AMOUNTS)
    def submit(self, amount):
        task_id = f"task_{next(_sequence)}"
        available = self.balance - self.held
        try:
            credit_hold(organization=self.organization, api_key=None, task_id=task_id, amount_micros=amount)
        except ApplicationError as exc:
            assert (exc.status, exc.code) == (402, "insufficient_credits")
            assert amount > available
            return
        assert amount <= available
        self.open[task_id] = amount
        self.held += amount

    @precondition(lambda self: self.open)
    @rule(data=st.data(), cost=st.integers(min_value=0, max_value=8_000_000))
    def capture(self, data, cost):
        task_id = data.draw(st.sampled_from(sorted(self.open)))
        amount = self.open.pop(task_id)
        result = hold_capture(task_id=task_id, amount_micros=cost)
        room = max(0, self.balance - self.held)
        expected_charge = min(cost, amount) + min(max(0, cost - amount), room)
        assert result.captured_micros == expected_charge
        assert result.shortfall_micros == max(0, cost - amount) - min(max(0, cost - amount), room)
        self.balance -= expected_charge
        self.held -= amount
        self.resolved.append(task_id)

    @precondition(lambda self: self.open)
    @rule(data=st.data(), reason=st.sampled_from(["failed", "cancelled"]))
    def release(self, data, reason):
        task_id = data.draw(st.sampled_from(sorted(self.open)))
        hold_release(task_id=task_id, reason=reason)
        self.held -= self.open.pop(task_id)
        self.resolved.append(task_id)

    @precondition(lambda self: self.resolved)
    @rule(data=st.data(), cost=AMOUNTS)
    def replay_resolution(self, data, cost):
        task_id = data.draw(st.sampled_from(self.resolved))
        if data.draw(st.booleans()):
            hold_capture(task_id=task_id, amount_micros=cost)
        else:
            hold_release(task_id=task_id, reason="replay")

    @invariant()
    def ledger_is_exact(self):
        if not hasattr(self, "organization"):
            return
        assert balance_tuple(self.organization) == (self.balance, self.held)
        assert self.balance - self.held >= 0
        assert ledger_problems(finished_tasks_check=lambda ids: set()) == []


def test_random_interleavings_keep_the_invariants(user):
    LedgerMachine.owner = user
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    ))
