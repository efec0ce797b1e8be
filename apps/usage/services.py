"""Writes of the usage area."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from apps.accounts.models import ApiKey, Organization
from apps.usage.models import UsageRecord

# Quantities mirrored into columns (the rest stays in the JSON).
COLUMN_QUANTITIES = ("input_tokens", "output_tokens", "characters", "images")


def usage_record_create(*, task_id: str, organization: Organization, api_key: ApiKey | None, model_id: str,
                        price_version_id: int | None, quantities: dict, cost_micros: int, processing_ms: int,
                        output_bytes: int, status: str) -> UsageRecord:
    """One record per task: a replay returns the first record unchanged (unique task_id).
    Call it in the same transaction as hold_capture, with the capture's captured_micros."""
    columns = {name: int(quantities.get(name) or 0) for name in COLUMN_QUANTITIES}
    record = UsageRecord(
        task_id=task_id, organization=organization, api_key=api_key, model_id=model_id,
        price_version_id=price_version_id, quantities={k: str(v) if not isinstance(v, int) else v for k, v in quantities.items()},
        cost_micros=cost_micros, processing_ms=processing_ms, output_bytes=output_bytes, status=status, **columns,
    )
    record.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        existing = UsageRecord.objects.filter(task_id=task_id).first()
        if existing is None:
            raise
        return existing
    return record
