"""Provider credentials entered in the admin, stored encrypted."""
from __future__ import annotations

from django.db import transaction

from apps.catalog.crypto import encrypt_fields
from apps.catalog.models import ProviderCredential


@transaction.atomic
def provider_credential_set(*, family: str, fields: dict[str, str], is_enabled: bool = True) -> ProviderCredential:
    credential, _ = ProviderCredential.objects.get_or_create(family=family, defaults={"encrypted_fields": ""})
    credential.encrypted_fields = encrypt_fields({k: str(v) for k, v in fields.items() if v not in (None, "")})
    credential.is_enabled = is_enabled
    credential.full_clean()
    credential.save()
    return credential
