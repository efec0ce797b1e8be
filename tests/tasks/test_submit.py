"""task_submit without a worker: validation, dry run, idempotency, money checks."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.billing.models import Hold
from apps.core.errors import ApplicationError
from apps.core.redis import redis_client
from apps.tasks.models import Task
from apps.tasks.services import task_submit
from tests.tasks.conftest import FUNDS_MICROS, QUOTE_MICROS, balance

pytestmark = pytest.mark.django_db(transaction=True)
PARAMS = {"prompt": "hello"}


def test_dry_run_quotes_without_task_or_hold(funded, api_key, broker):
    result = task_submit(api_key=api_key[0], model="test/chat", params=PARAMS, dry_run=True)
    assert result.task is None
    assert result.quote.amount_micros == QUOTE_MICROS
    assert Task.objects.count() == 0
    view = balance(funded)
    assert (view.balance_micros, view.held_micros) == (FUNDS_MICROS, 0)


def test_insufficient_credits_creates_nothing(organization, api_key, broker):
    with pytest.raises(ApplicationError) as excinfo:
        task_submit(api_key=api_key[0], model="test/chat", params=PARAMS)
    assert (excinfo.value.status, excinfo.value.code) == (402, "insufficient_credits")
    assert Task.objects.count() == 0
    assert Hold.objects.count() == 0


def test_unknown_model_and_invalid_params_are_refused(funded, api_key, broker):
    with pytest.raises(ApplicationError) as unknown:
        task_submit(api_key=api_key[0], model="nope/model", params=PARAMS)
    with pytest.raises(ApplicationError) as invalid:
        task_submit(api_key=api_key[0], model="test/chat", params={})
    assert (unknown.value.status, unknown.value.code) == (404, "unsupported_model")
    assert (invalid.value.status, invalid.value.code) == (400, "missing_parameter")
    assert Task.objects.count() == 0


def test_key_allowlist_refuses_other_models(funded, api_key, broker):
    api_key[0].allowed_models = ["test/image"]
    api_key[0].save()
    with pytest.raises(ApplicationError) as excinfo:
        task_submit(api_key=api_key[0], model="test/chat", params=PARAMS)
    assert (excinfo.value.status, excinfo.value.code) == (403, "model_not_allowed")
    assert balance(funded).held_micros == 0


def test_idempotency_replays_same_body_and_refuses_another(funded, api_key, broker):
    first = task_submit(api_key=api_key[0], model="test/chat", params=PARAMS, idempotency_key="k1")
    again = task_submit(api_key=api_key[0], model="test/chat", params=PARAMS, idempotency_key="k1")
    assert (again.task.pk, again.replayed, first.replayed) == (first.task.pk, True, False)
    assert balance(funded).held_micros == QUOTE_MICROS
    with pytest.raises(ApplicationError) as excinfo:
        task_submit(api_key=api_key[0], model="test/chat", params={"prompt": "other"}, idempotency_key="k1")
    assert (excinfo.value.status, excinfo.value.code) == (422, "idempotency_key_reused")
    assert Task.objects.count() == 1


def test_idempotency_key_in_flight_is_a_conflict(funded, api_key, broker, settings):
    import hashlib

    lock = f"{settings.CACHE_KEY_PREFIX}:idem:{funded.pk}:{hashlib.sha256(b'k2').hexdigest()}"
    redis_client().set(lock, "1", ex=30)  # another request is creating this key's task
    try:
        with pytest.raises(ApplicationError) as excinfo:
            task_submit(api_key=api_key[0], model="test/chat", params=PARAMS, idempotency_key="k2")
    finally:
        redis_client().delete(lock)
    assert (excinfo.value.status, excinfo.value.code) == (409, "idempotency_conflict")
    assert Task.objects.count() == 0
    assert balance(funded).held_micros == 0


def test_idempotency_keys_are_scoped_per_organization(funded, api_key, other_organization, broker):
    from apps.billing.services import credit_grant

    rival, secret = other_organization
    credit_grant(organization=rival, amount_micros=FUNDS_MICROS, kind="promotional", idempotency_key="f", reason="t")
    first = task_submit(api_key=api_key[0], model="test/chat", params=PARAMS, idempotency_key="same")
    second = task_submit(api_key=rival.api_keys.get(), model="test/chat", params=PARAMS, idempotency_key="same")
    assert first.task.pk != second.task.pk
    assert second.replayed is False


def test_loopback_webhook_and_private_image_url_are_refused(funded, api_key, broker):
    with pytest.raises(ApplicationError) as webhook:
        task_submit(api_key=api_key[0], model="test/chat", params=PARAMS, webhook_url="http://127.0.0.1/hook")
    with pytest.raises(ApplicationError) as image:
        task_submit(api_key=api_key[0], model="test/edit", params={"prompt": "x", "image_url": "http://10.0.0.5/a.png"})
    assert (webhook.value.code, webhook.value.param) == ("url_not_allowed", "webhook_url")
    assert (image.value.status, image.value.code, image.value.param) == (400, "url_not_allowed", "image_url")
    assert balance(funded).held_micros == 0


def test_upload_over_limit_is_413(funded, api_key, broker, settings):
    settings.TOLLGATE_UPLOAD_MAX_BYTES = 10
    upload = SimpleUploadedFile("a.png", b"x" * 11, content_type="image/png")
    with pytest.raises(ApplicationError) as excinfo:
        task_submit(api_key=api_key[0], model="test/edit", params=PARAMS, files={"image": upload})
    assert (excinfo.value.status, excinfo.value.code) == (413, "file_too_large")
    assert Task.objects.count() == 0


def test_upload_is_stored_as_task_input(funded, api_key, broker):
    upload = SimpleUploadedFile("a.png", b"\x89PNG fake", content_type="image/png")
    task = task_submit(api_key=api_key[0], model="test/edit", params=PARAMS, files={"image": upload}).task
    entry = task.input_files["image"][0]
    assert entry["path"].startswith(f"tasks/{funded.public_id}/{task.public_id}/inputs/")
    assert (entry["size"], entry["content_type"]) == (9, "image/png")


def test_a_refused_hold_leaves_no_task_and_no_upload(organization, api_key, broker, settings, tmp_path):
    """On PostgreSQL the hold's UPDATE goes with the COMMIT, so the refusal arrives from the
    commit itself: the task row and the stored upload must go all the same."""
    settings.MEDIA_ROOT = str(tmp_path)
    upload = SimpleUploadedFile("a.png", b"\x89PNG fake", content_type="image/png")
    with pytest.raises(ApplicationError) as excinfo:
        task_submit(api_key=api_key[0], model="test/edit", params=PARAMS, files={"image": upload})
    assert (excinfo.value.status, excinfo.value.code) == (402, "insufficient_credits")
    assert Task.objects.count() == 0 and Hold.objects.count() == 0
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []



@pytest.mark.parametrize("case", ["budget", "budget_and_spend_cap", "frozen"])
def test_a_submit_on_terms_other_than_the_usual_reads_them_and_runs_on_them(funded, api_key, broker, case):
    """The submit assumes the usual hold terms (no budget, not frozen, a balance row) and its
    balance UPDATE checks them: other terms fail it, and the submit reads them and holds on them.
    A key with a spend cap takes the path that reads sums under the lock: the same holds there."""
    if case == "budget_and_spend_cap":
        type(api_key[0]).objects.filter(pk=api_key[0].pk).update(spend_cap_micros=FUNDS_MICROS)
        api_key[0].refresh_from_db()
    from apps.accounts.models import Organization
    from apps.billing.models import BillingProfile
    from apps.billing.services import balance_freeze_mark

    if case == "frozen":
        from django.db import transaction

        with transaction.atomic():
            Organization.objects.filter(pk=funded.pk).update(is_frozen=True)
            balance_freeze_mark(organization_id=funded.pk, frozen=True)
        with pytest.raises(ApplicationError) as refused:
            task_submit(api_key=api_key[0], model="test/chat", params=PARAMS)
        assert (refused.value.status, refused.value.code) == (403, "organization_frozen")
        assert Task.objects.count() == 0 and Hold.objects.count() == 0
        return
    BillingProfile.objects.update_or_create(organization=funded,
                                            defaults={"monthly_budget_micros": QUOTE_MICROS + QUOTE_MICROS // 2})
    first = task_submit(api_key=api_key[0], model="test/chat", params=PARAMS).task  # within the budget
    assert Hold.objects.get(task_id=first.public_id).amount_micros == QUOTE_MICROS
    with pytest.raises(ApplicationError) as refused:
        task_submit(api_key=api_key[0], model="test/chat", params=PARAMS)  # the second would exceed it
    assert (refused.value.status, refused.value.code) == (402, "budget_exceeded")
    assert Task.objects.count() == 1 and Hold.objects.count() == 1
    view = balance(funded)
    assert (view.balance_micros, view.held_micros) == (FUNDS_MICROS, QUOTE_MICROS)
