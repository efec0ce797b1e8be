"""Task outputs in Django storage, served by expiring signed URLs (the signature is the
capability: no API key needed to fetch)."""
from __future__ import annotations

import base64
import mimetypes
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from apps.core import statements
from apps.providers.base import Output
from apps.tasks.models import Task, TaskOutput

SIGNING_SALT = "tollgate.task-output"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "audio/mpeg": "mp3", "audio/wav": "wav",
              "audio/x-wav": "wav", "video/mp4": "mp4", "text/plain": "txt", "application/json": "json"}


def _extension(mime_type: str, filename: str | None) -> str:
    if filename and "." in filename:
        return filename.rsplit(".", 1)[-1][:8].lower()
    return EXTENSIONS.get(mime_type) or (mimetypes.guess_extension(mime_type) or ".bin").lstrip(".")


def output_path(task: Task, index: int, ext: str) -> str:
    return f"tasks/{task.organization.public_id}/{task.public_id}/{index}.{ext}"


def outputs_files_save(*, task: Task, outputs: list[Output]) -> list[TaskOutput]:
    """Saves the provider's output files to storage (before the task may be marked succeeded)
    and returns the rows, unsaved: ``outputs_rows_save`` writes them in the settle's
    transaction. Idempotent per (task, index): a redelivered message overwrites the same paths."""
    rows = []
    for index, output in enumerate(outputs):
        fields = {"kind": output.kind, "mime_type": output.mime_type, "meta": output.meta or {}, "text": output.text,
                  "size_bytes": len(output.text.encode()) if output.text is not None else 0}
        if output.data is not None:
            path = output_path(task, index, _extension(output.mime_type, output.filename))
            if default_storage.exists(path):
                default_storage.delete(path)
            fields["file"] = default_storage.save(path, ContentFile(output.data))
            fields["size_bytes"] = len(output.data)
        rows.append(TaskOutput(task=task, index=index, file=fields.pop("file", ""), **fields))
    return rows


def outputs_rows_save(rows: list[TaskOutput], *, at_commit: bool = False) -> None:
    """One upsert statement for all outputs (a re-run overwrites the same (task, index) rows);
    sets each row's primary key. ``at_commit``: outputs without a file (whose key nobody needs:
    only a file's signed URL names its row) are inserted with the COMMIT instead, keys set once
    it committed; a row kept from an earlier attempt then fails the commit, and the caller saves
    them again."""
    for row in rows:
        row.pk = None  # a key from a rolled-back attempt means nothing
    if at_commit and not any(row.file for row in rows):
        statements.insert(rows, at_commit=True)
        return
    statements.insert(rows, conflict=(["task", "index"], ["kind", "mime_type", "meta", "text", "size_bytes", "file",
                                                          "updated_at"]))


# Completion messages carry at most this much output text; a longer answer is read from the database.
SUMMARY_MAX_TEXT_BYTES = 64 * 1024


def outputs_summary(rows: list[TaskOutput]) -> list[dict] | None:
    """Stored outputs as plain facts for the completion message (``outputs_from_summary`` reads
    them back); None when they are too large to send or a file's row has no primary key yet (its
    signed URL names the row; a text output's key is never read)."""
    if (sum(row.size_bytes for row in rows if not row.file) > SUMMARY_MAX_TEXT_BYTES
            or any(row.pk is None and row.file for row in rows)):
        return None
    return [{"pk": row.pk, "index": row.index, "kind": row.kind, "mime_type": row.mime_type, "text": row.text,
             "meta": row.meta or {}, "file": row.file.name if row.file else ""} for row in rows]


def outputs_from_summary(items: list[dict]) -> list[TaskOutput]:
    """Unsaved TaskOutput objects from ``outputs_summary``: what snapshots and signed URLs read."""
    return [TaskOutput(pk=item["pk"], index=item["index"], kind=item["kind"], mime_type=item["mime_type"],
                       text=item["text"], meta=item["meta"], file=item["file"]) for item in items]


def output_url(output: TaskOutput, *, absolute_base: str | None = None) -> tuple[str, datetime]:
    """(signed URL, expiry) for a file output."""
    token = signing.TimestampSigner(salt=SIGNING_SALT).sign_object({"o": output.pk})
    path = reverse("tasks:file", kwargs={"token": token})
    base = (absolute_base or settings.PUBLIC_BASE_URL).rstrip("/")
    return base + path, timezone.now() + timedelta(seconds=settings.TOLLGATE_OUTPUT_URL_TTL_SECONDS)


class OutputLinkExpired(Exception):
    pass


def output_from_token(token: str) -> TaskOutput | None:
    """The output a token names; None when the token is invalid; raises OutputLinkExpired."""
    signer = signing.TimestampSigner(salt=SIGNING_SALT)
    try:
        value = signer.unsign_object(token, max_age=settings.TOLLGATE_OUTPUT_URL_TTL_SECONDS)
    except signing.SignatureExpired:
        raise OutputLinkExpired from None
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return TaskOutput.objects.filter(pk=value.get("o")).select_related("task").first()


def output_b64(output: TaskOutput) -> str:
    if output.file:
        with default_storage.open(output.file.name, "rb") as handle:
            return base64.b64encode(handle.read()).decode()
    return base64.b64encode((output.text or "").encode()).decode()
