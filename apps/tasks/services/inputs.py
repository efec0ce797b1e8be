"""Task inputs: uploaded files saved to storage at submit, URL parameters checked at submit
and fetched (through apps.tasks.urlsafety) by the worker."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

from apps.catalog.services.params import UPLOAD_PLACEHOLDER
from apps.core.errors import ApplicationError
from apps.providers.base import InputFile
from apps.tasks.urlsafety import url_check, url_fetch

UPLOAD_TOO_LARGE = "The uploaded file {param} is larger than {limit} bytes."
NOT_A_URL_PREFIXES = ("data:", UPLOAD_PLACEHOLDER)  # inline data and uploaded files are never fetched


def upload_check(*, files: dict[str, UploadedFile] | None) -> None:
    for name, upload in (files or {}).items():
        if upload.size is not None and upload.size > settings.TOLLGATE_UPLOAD_MAX_BYTES:
            raise ApplicationError(UPLOAD_TOO_LARGE.format(param=name, limit=settings.TOLLGATE_UPLOAD_MAX_BYTES),
                                   code="file_too_large", status=413, param=name)


def uploads_store(*, organization_public_id: str, task_public_id: str,
                  files: dict[str, UploadedFile] | None) -> dict[str, list[dict[str, Any]]]:
    stored: dict[str, list[dict[str, Any]]] = {}
    for index, (name, upload) in enumerate((files or {}).items()):
        filename = (upload.name or "upload").rsplit("/", 1)[-1][:100]
        path = default_storage.save(f"tasks/{organization_public_id}/{task_public_id}/inputs/{index}-{filename}", upload)
        stored.setdefault(name, []).append({"path": path, "filename": filename, "size": upload.size,
                                            "content_type": upload.content_type or "application/octet-stream"})
    return stored


def url_params_check(*, params: dict[str, Any], file_params: dict[str, str]) -> None:
    """Cheap checks at submit time (400 url_not_allowed); webhook_url is checked by the caller."""
    for name in file_params:
        value = params.get(name)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and item and not item.startswith(NOT_A_URL_PREFIXES):
                url_check(item, param=name)


def input_files_load(*, params: dict[str, Any], file_params: dict[str, str],
                     stored: dict[str, list[dict[str, Any]]]) -> dict[str, InputFile]:
    """Everything the adapter gets as files: uploads, then fetched URLs. A list parameter's
    items become ``name[0]``, ``name[1]``..."""
    files: dict[str, InputFile] = {}
    for name, entries in (stored or {}).items():
        for position, entry in enumerate(entries):
            with default_storage.open(entry["path"], "rb") as handle:
                key = name if len(entries) == 1 else f"{name}[{position}]"
                files[key] = InputFile(filename=entry["filename"], content=handle.read(), content_type=entry["content_type"])
    for name, cardinality in file_params.items():
        value = params.get(name)
        if not value or name in files:
            continue
        urls = value if isinstance(value, list) else [value]
        for position, url in enumerate(urls):
            if not isinstance(url, str) or url.startswith(NOT_A_URL_PREFIXES):
                continue
            fetched = url_fetch(url, param=name)
            key = name if cardinality == "single" else f"{name}[{position}]"
            files[key] = InputFile(filename=fetched.filename, content=fetched.content, content_type=fetched.content_type)
    return files


def inputs_delete(*, stored: dict[str, list[dict[str, Any]]] | None) -> None:
    for entries in (stored or {}).values():
        for entry in entries:
            default_storage.delete(entry["path"])
