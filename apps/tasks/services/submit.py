"""Creating a task: allowlist → resolve → validate → quote → (dry run stops) → one transaction
with the task row and the credit hold → enqueue after commit."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import ApiKey
from apps.catalog.services.params import UPLOAD_PLACEHOLDER
from apps.catalog.types import Quote
from apps.core import statements
from apps.core.errors import CONFLICT, PERMISSION, ApplicationError
from apps.core.redis import redis_client
from apps.tasks.models import Task
from apps.tasks.services.inputs import inputs_delete, upload_check, uploads_store, url_params_check
from apps.tasks.urlsafety import url_check

MODEL_NOT_ALLOWED = "This API key is not allowed to use model {model}."
IDEMPOTENCY_KEY_REUSED = "This Idempotency-Key was already used with a different request body."
IDEMPOTENCY_CONFLICT = "A request with this Idempotency-Key is still being processed. Retry later."
IDEMPOTENCY_LOCK_SECONDS = 30
IDEMPOTENCY_KEY_MAX_LENGTH = Task._meta.get_field("idempotency_key").max_length  # 255, Stripe's limit too
IDEMPOTENCY_KEY_TOO_LONG = f"The Idempotency-Key header may be at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters long."


@dataclass(frozen=True)
class SubmitResult:
    task: Task | None  # None for a dry run
    quote: Quote
    replayed: bool = False


def request_hash(body: Any) -> str:
    """A stable hash of a request body, for Idempotency-Key comparisons (surfaces may pass their own)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _allowlist_check(api_key: ApiKey, requested: str, canonical: str) -> None:
    allowed = api_key.allowed_models or []
    if allowed and requested not in allowed and canonical not in allowed:
        raise ApplicationError(MODEL_NOT_ALLOWED.format(model=requested), code="model_not_allowed", type=PERMISSION,
                               status=403, param="model")


def _replay_or_none(api_key: ApiKey, idempotency_key: str, body_hash: str) -> Task | None:
    existing = Task.objects.filter(organization_id=api_key.organization_id, idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.request_body_hash != body_hash:
        raise ApplicationError(IDEMPOTENCY_KEY_REUSED, code="idempotency_key_reused", status=422)
    return existing


def task_submit(
    *,
    api_key: ApiKey,
    model: str,
    params: dict,
    files: dict[str, UploadedFile] | None = None,
    webhook_url: str | None = None,
    idempotency_key: str | None = None,
    request_body_hash: str | None = None,
    dry_run: bool = False,
    stream: bool = False,
    surface: str = "tasks",
    request_id: str | None = None,
    public_id: str | None = None,
) -> SubmitResult:
    """``public_id``: the new task's id when the caller chose it (a waiter registered under it
    first); an idempotent replay answers with the earlier task instead."""
    from apps.catalog import selectors as catalog_selectors
    from apps.catalog import services as catalog_services

    if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ApplicationError(IDEMPOTENCY_KEY_TOO_LONG, code="invalid_idempotency_key")
    # The allowlist holds canonical ids, so an alias is resolved before it is compared.
    resolved = catalog_selectors.model_resolve(name=model)
    _allowlist_check(api_key, model, resolved.id)
    # An uploaded file fills its parameter: the schema sees the placeholder, the worker the file.
    params = {**params, **{name: UPLOAD_PLACEHOLDER for name in (files or {}) if params.get(name) in (None, "")}}
    clean = catalog_services.params_validate(model=resolved, params=params)
    url_params_check(params=clean, file_params=catalog_selectors.file_params(model=resolved))
    if webhook_url:
        url_check(webhook_url, param="webhook_url")
    upload_check(files=files)
    quote = catalog_services.price_quote(model=resolved, params=clean)
    if dry_run:
        return SubmitResult(task=None, quote=quote)

    if not idempotency_key:
        return SubmitResult(task=_create(api_key, resolved, clean, quote, files, webhook_url, None, "", stream,
                                         surface, request_id, public_id), quote=quote)
    body_hash = request_body_hash or request_hash({"model": model, "params": params, "webhook_url": webhook_url})
    existing = _replay_or_none(api_key, idempotency_key, body_hash)
    if existing is not None:
        return SubmitResult(task=existing, quote=quote, replayed=True)
    # A short Redis lock marks "being created": a concurrent duplicate gets 409, not a second hold.
    lock = f"{settings.CACHE_KEY_PREFIX}:idem:{api_key.organization_id}:{hashlib.sha256(idempotency_key.encode()).hexdigest()}"
    if not redis_client().set(lock, "1", nx=True, ex=IDEMPOTENCY_LOCK_SECONDS):
        raise ApplicationError(IDEMPOTENCY_CONFLICT, code="idempotency_conflict", type=CONFLICT, status=409)
    try:
        existing = _replay_or_none(api_key, idempotency_key, body_hash)
        if existing is not None:
            return SubmitResult(task=existing, quote=quote, replayed=True)
        try:
            task = _create(api_key, resolved, clean, quote, files, webhook_url, idempotency_key, body_hash, stream,
                           surface, request_id, public_id)
        except IntegrityError:  # the unique constraint is the last word (lock expired mid-way)
            existing = _replay_or_none(api_key, idempotency_key, body_hash)
            if existing is None:
                raise
            return SubmitResult(task=existing, quote=quote, replayed=True)
        return SubmitResult(task=task, quote=quote)
    finally:
        redis_client().delete(lock)


def _create(api_key, resolved, clean, quote, files, webhook_url, idempotency_key, body_hash, stream, surface,
            request_id, public_id) -> Task:
    from apps.billing import services as billing_services
    from apps.tasks.actors import task_run

    task = Task(
        organization=api_key.organization, api_key=api_key, model_id=resolved.id, task_kind=resolved.task_kind,
        params=clean, quote_micros=quote.amount_micros, price_version_id=quote.price_version_id,
        formula_inputs=quote.formula_inputs, quote_lines=[line.__dict__ for line in quote.lines],
        deadline_at=timezone.now() + timedelta(seconds=settings.TOLLGATE_TASK_DEADLINE_SECONDS),
        stream=stream, webhook_url=webhook_url or "", surface=surface, request_id=request_id or "",
        idempotency_key=idempotency_key, request_body_hash=body_hash,
    )
    if public_id:
        task.public_id = public_id
    if files:
        task.input_files = uploads_store(organization_public_id=api_key.organization.public_id,
                                         task_public_id=task.public_id, files=files)
    # The hold's terms are assumed to be the usual ones and checked by its balance UPDATE, so on
    # PostgreSQL the submit is one statement (one round trip): the task row, the hold, its entry
    # and the balance row lock last. The task's key is set once it committed; a unique violation
    # (Idempotency-Key) fails the statement. Refused, the terms are read, and a submit that
    # assumed them wrongly (a monthly budget, a freeze, no balance row yet) runs again on them.
    terms = billing_services.USUAL_TERMS
    try:
        while True:  # twice at most: on the terms assumed, then on the terms read
            try:
                with transaction.atomic():
                    statements.insert([task], at_commit=True)  # "created" on the timeline: the row itself (selectors.task_timeline)
                    transaction.on_commit(lambda: task_run.send(task.public_id, task.organization_id))
                    billing_services.credit_hold(organization=api_key.organization, api_key=api_key,
                                                 task_id=task.public_id, amount_micros=quote.amount_micros,
                                                 savepoint=False, terms=terms)
                break
            except statements.RowUnchanged:  # the hold was refused, by the commit itself
                if not terms.assumed:
                    raise
                terms = billing_services.hold_terms(api_key.organization_id)
                if terms.usual:
                    raise
                task.pk, task._state.adding = None, True  # where the INSERT ran at once (SQLite), it was rolled back
    except Exception as error:
        inputs_delete(stored=task.input_files)  # no task, no orphaned uploads
        if isinstance(error, statements.RowUnchanged):
            raise billing_services.hold_refusal(api_key.organization) from None
        raise
    return task
