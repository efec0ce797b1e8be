"""Running a task (called by the actors): claim → provider call (outside any transaction) →
store outputs → settle; PENDING jobs are polled by delayed messages; retryable failures fail
over to the next route, then go back to Dramatiq for a delayed retry."""
from __future__ import annotations

import contextlib
import logging
import time
from datetime import timedelta

import dramatiq
import httpx
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from apps.core import statements
from apps.core.db import connection_release
from apps.core.errors import ApplicationError
from apps.core.text import without_nul
from apps.providers.base import ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import provider_client
from apps.providers.registry import get_adapter
from apps.tasks.channels import stream_append
from apps.tasks.models import Task, TaskStatus
from apps.tasks.outputs import outputs_files_save
from apps.tasks.selectors import rate_limit_plan_for
from apps.tasks.services.inputs import input_files_load
from apps.tasks.services.settle import task_settle_failure, task_settle_success
from apps.tasks.services.transitions import task_event_add

logger = logging.getLogger(__name__)
RETRIES_EXHAUSTED = "The provider kept failing: {message}"


def _claim(task: Task) -> bool:
    """queued|running → running with a lease, unless another worker holds a live lease.

    A queued task is claimed by one compare-and-set from ``queued`` that also checks the
    organization's running cap (a subquery) and stamps ``started_at``: one round trip. A task
    claimed from queued was untouched since it was read (every other writer claims it first),
    so the caller's copy stays valid; a running one (a re-sent or poll message) is re-read."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.TOLLGATE_TASK_TIME_LIMIT_SECONDS)
    if task.status == TaskStatus.QUEUED:
        sql, params = _claim_queued_statement("id", task.pk, task.organization_id, lease=lease, now=now)
        claimed = statements.execute(sql, params) == 1
        if claimed:
            _claimed(task, lease=lease, now=now)
        return claimed
    live_lease = Q(lease_until__gt=now)
    claimed = (Task.objects.filter(pk=task.pk, status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING])
               .exclude(live_lease).update(status=TaskStatus.RUNNING, lease_until=lease, updated_at=now))
    if claimed:
        task.refresh_from_db()
    return bool(claimed)


def _claimed(task: Task, *, lease, now) -> None:
    task.status, task.lease_until, task.started_at, task.updated_at = TaskStatus.RUNNING, lease, now, now


def _claim_queued_statement(column: str, value, organization_id: int, *, lease, now) -> tuple[str, list]:
    """The claim from queued as one hand-written statement: every task runs it, and building it
    with the ORM (a counting subquery) cost more CPU than running it (measured: ~11 % of a
    worker's CPU). Plain SQL that SQLite and PostgreSQL both run; values bound as the ORM would.
    The count stops at the cap: it reads at most ``limit`` running tasks, however many run."""
    limit = rate_limit_plan_for(organization_id=organization_id).max_running_tasks
    table = statements.quoted(Task)
    lease, now = statements.db_value(Task, "lease_until", lease), statements.db_value(Task, "updated_at", now)
    return (
        f'UPDATE {table} SET "status" = %s, "lease_until" = %s, "started_at" = %s, "updated_at" = %s '
        f'WHERE "{column}" = %s AND "status" = %s AND "organization_id" = %s AND (SELECT COUNT(*) FROM '
        f'(SELECT 1 FROM {table} WHERE "organization_id" = %s AND "status" = %s LIMIT %s) AS running) < %s',
        [TaskStatus.RUNNING.value, lease, now, now, value, TaskStatus.QUEUED.value, organization_id, organization_id,
         TaskStatus.RUNNING.value, limit, limit],
    )


def _read_and_claim(task_id: str, organization_id: int) -> tuple[Task | None, bool | None]:
    """PostgreSQL: the task's read and its claim from queued in one statement, one round trip
    (the claim as a data-modifying CTE; the read sees the row as it was before the claim).
    ``organization_id``, from the message, names the cap to check before the row is read; a
    task of another organization is not claimed, and the claim counts as not tried (None)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.TOLLGATE_TASK_TIME_LIMIT_SECONDS)
    sql, params = _claim_queued_statement("public_id", task_id, organization_id, lease=lease, now=now)
    task, claimed = _TASK_TO_RUN.get_after(f"claimed AS ({sql} RETURNING 1)", params,
                                           "SELECT COUNT(*) FROM claimed", public_id=task_id)
    if task is not None and task.organization_id != organization_id:
        return task, None
    if task is not None and claimed:
        _claimed(task, lease=lease, now=now)
    return task, bool(claimed)


def lease_release(*, task_pk: int, **fields) -> None:
    statements.update(Task, where={"pk": task_pk}, values={"lease_until": None, "updated_at": timezone.now(), **fields})


def _http_client() -> httpx.Client:
    return provider_client(timeout_seconds=settings.TOLLGATE_PROVIDER_TIMEOUT_SECONDS,
                           connect_timeout_seconds=settings.TOLLGATE_PROVIDER_CONNECT_TIMEOUT_SECONDS)


def _poll_delay_ms(result: ProviderResult) -> int:
    seconds = result.poll_after_seconds or 5.0
    seconds = min(max(seconds, settings.TOLLGATE_TASK_POLL_MIN_SECONDS), settings.TOLLGATE_TASK_POLL_MAX_SECONDS)
    return int(seconds * 1000)


def _retry_delay_ms(attempt: int, hint_seconds: float | None) -> int:
    backoff = min(settings.TOLLGATE_TASK_RETRY_MIN_BACKOFF_MS * 2 ** max(attempt - 1, 0),
                  settings.TOLLGATE_TASK_RETRY_MAX_BACKOFF_MS)
    return max(backoff, int((hint_seconds or 0) * 1000))


# Every message reads its task with the rows the settle needs (the default webhook, the key):
# compiled once, not per message (building it cost ten times running it).
_TASK_TO_RUN = statements.CompiledSelect(
    lambda public_id: Task.objects.select_related("organization__webhook_settings", "api_key").filter(
        public_id=public_id), "public_id")


def task_execute(*, task_id: str, poll: bool = False, organization_id: int | None = None) -> str:
    """One step of a task. Returns what happened (for logs and tests). Safe to call twice.
    ``organization_id`` (a run message's hint): the read and the claim in one statement."""
    from apps.tasks.actors import task_run

    claimed = None  # not tried yet (False: tried, and the task is not claimable from queued)
    if organization_id is not None and not poll and connection.vendor == "postgresql":
        task, claimed = _read_and_claim(task_id, organization_id)
    else:
        task = _TASK_TO_RUN.get(public_id=task_id)
    if task is None or task.is_finished:
        return "finished"
    if timezone.now() >= task.deadline_at:
        task_settle_failure(task=task, code="task_expired", message="The task did not finish before its deadline.",
                            status=TaskStatus.EXPIRED)
        return "expired"
    poll = poll or task.provider_job is not None  # a re-sent run message must not submit the job twice
    if not claimed and (claimed is None or task.status != TaskStatus.QUEUED):
        claimed = _claim(task)
    if not claimed:
        # Still queued: the organization is at its running cap. Wait, don't drop; the touch
        # (alive for the sweep) is also the check, in one statement.
        if task.status == TaskStatus.QUEUED and statements.update(
                Task, where={"pk": task.pk, "status": TaskStatus.QUEUED}, values={"updated_at": timezone.now()}):
            task_run.send_with_options(args=(task_id, task.organization_id),
                                       delay=int(settings.TOLLGATE_TASK_CAP_DELAY_SECONDS * 1000))
            return "deferred"
        return "busy"
    try:
        return _run_claimed(task, poll=poll)
    except BaseException:
        lease_release(task_pk=task.pk)  # time limit or a bug: let the retry (or the sweep) take it
        raise


def _targets(task: Task, *, poll: bool):
    from apps.catalog import selectors as catalog_selectors

    targets = catalog_selectors.route_targets(model=catalog_selectors.model_resolve(name=task.model_id))
    if poll:  # a provider job lives on the route that accepted it
        same = [t for t in targets if t.family == task.provider_family and t.route_pk == task.route_pk]
        return same[:1] or targets[:1]
    return targets


def _run_claimed(task: Task, *, poll: bool) -> str:
    from apps.catalog import selectors as catalog_selectors
    from apps.catalog import services as catalog_services

    try:
        targets = _targets(task, poll=poll)
        files = {} if poll else input_files_load(
            params=task.params, file_params=catalog_selectors.file_params(model=catalog_selectors.model_resolve(name=task.model_id)),
            stored=task.input_files)
    except ApplicationError as exc:
        task_settle_failure(task=task, code=exc.code, message=exc.message)
        return "failed"
    streamed = {"chunks": 0}

    def on_chunk(delta: str) -> None:
        streamed["chunks"] += 1
        try:
            stream_append(task_id=task.public_id, event="delta", data={"text": delta})
        except Exception:  # noqa: BLE001 - a stream reader's loss never stops the task
            logger.warning("stream append failed for %s", task.public_id, exc_info=True)

    last_error: ProviderError | None = None
    for target in targets:
        request = ProviderRequest(
            task_id=task.public_id, task_kind=task.task_kind, model=task.model_id, upstream_model=target.upstream_model,
            params=task.params, files=files, credentials=dict(target.credentials), base_url=target.base_url,
            timeout_seconds=settings.TOLLGATE_PROVIDER_TIMEOUT_SECONDS, options=dict(target.options),
        )
        started = time.monotonic()
        connection_release()  # no transaction is open here: the provider call holds no pooled connection
        try:
            adapter = get_adapter(target.family)
            http = _http_client()
            with _unexpected_as_provider_error(target.family, task.public_id, poll=poll):
                if poll:
                    result = adapter.poll(request, task.provider_job or {}, http)
                else:
                    result = adapter.run(request, http, on_chunk if task.stream else None)
        except ProviderError as exc:
            _health(catalog_services, target, ok=False, started=started, code=exc.code)
            task_event_add(task_pk=task.pk, message=f"{target.family} failed: {exc.code}",
                           data={"route_pk": target.route_pk, "retryable": exc.retryable})
            if not exc.retryable:
                task_settle_failure(task=task, code=exc.code, message=exc.message)
                return "failed"
            last_error = exc
            if poll or streamed["chunks"]:
                break  # a started stream or a submitted job cannot move to another route
            continue
        _health(catalog_services, target, ok=True, started=started, code="")
        return _handle_result(task, target, _storable(result))
    return _retry_or_fail(task, last_error)


UNREADABLE_REPLY = "{family} returned a reply that could not be read"


@contextlib.contextmanager
def _unexpected_as_provider_error(family: str, task_id: str, *, poll: bool):
    """An adapter's failure that is not a ``ProviderError``, as one, so that it is retried only
    when it can recover: an httpx error the adapter did not map (a connection or a stream
    broken mid-read) is retried like a connection error; anything else (a reply of a shape the
    adapter cannot read, a bug) fails the task at once as ``provider_bad_response``, logged with
    its traceback. Before, it went back to Dramatiq, whose retries called the provider again
    until the task's deadline. A poll is the exception: asking a job's status again costs
    nothing, while failing would abandon a job the provider is running (and charging for), so
    an unreadable status reply is retried within the task's retry budget. The time limit's
    interrupt is not an ``Exception``: untouched."""
    try:
        yield
    except ProviderError:
        raise
    except httpx.HTTPError as error:
        raise ProviderError(f"could not reach {family} ({type(error).__name__})", code="provider_unreachable",
                            retryable=True, status=502) from error
    except Exception as error:
        logger.exception("the %s adapter failed on task %s", family, task_id)
        raise ProviderError(UNREADABLE_REPLY.format(family=family), code="provider_bad_response",
                            retryable=poll, status=502) from error


def _health(catalog_services, target, *, ok: bool, started: float, code: str) -> None:
    if target.route_pk is None:
        return  # the built-in simulated fallback has no route row
    try:
        catalog_services.route_health_record(family=target.family, route_pk=target.route_pk, ok=ok,
                                             latency_ms=int((time.monotonic() - started) * 1000), error_code=code or None)
    except Exception:  # noqa: BLE001 - health is advisory
        logger.warning("route health not recorded", exc_info=True)


def _storable(result: ProviderResult) -> ProviderResult:
    """What the provider sent, as both databases store it: a NUL character (PostgreSQL refuses
    it in text and JSON) replaced (apps/core/text.py). Unchanged, the settle failed on it, and
    the message was retried: the provider called, and paid, again."""
    for output in result.outputs:
        output.text, output.meta = without_nul(output.text), without_nul(output.meta)
        output.mime_type, output.filename = without_nul(output.mime_type), without_nul(output.filename)
    result.usage, result.job = without_nul(result.usage), without_nul(result.job)
    result.provider_request_id = without_nul(result.provider_request_id)
    return result


def _handle_result(task: Task, target, result: ProviderResult) -> str:
    from apps.tasks.actors import task_poll

    common = {"provider_family": target.family, "route_pk": target.route_pk, "simulated": bool(result.simulated
              or target.simulated), "provider_request_id": (result.provider_request_id or "")[:200]}
    if result.state == ResultState.PENDING:
        first = task.provider_job is None
        lease_release(task_pk=task.pk, provider_job=result.job or {}, progress=min(result.progress or 0, 99), **common)
        if first:
            task_event_add(task_pk=task.pk, message="provider job submitted", data={"family": target.family})
        task_poll.send_with_options(args=(task.public_id,), delay=_poll_delay_ms(result))
        return "pending"
    for name, value in common.items():
        setattr(task, name, value)
    rows = outputs_files_save(task=task, outputs=result.outputs)
    settled = task_settle_success(task=task, result=result, output_rows=rows, fields=common)
    return "succeeded" if settled else "finished"


def _retry_or_fail(task: Task, error: ProviderError | None) -> str:
    message = error.message if error else "no route could serve the task"
    attempts = task.attempts + 1
    lease_release(task_pk=task.pk, attempts=attempts)
    if attempts > settings.TOLLGATE_TASK_MAX_RETRIES:
        task_settle_failure(task=task, code=error.code if error else "provider_error",
                            message=RETRIES_EXHAUSTED.format(message=message))
        return "failed"
    delay = _retry_delay_ms(attempts, error.retry_after_seconds if error else None)
    task_event_add(task_pk=task.pk, message=f"retry {attempts} in {delay} ms", data={"code": error.code if error else ""})
    raise dramatiq.Retry(message, delay=delay)
