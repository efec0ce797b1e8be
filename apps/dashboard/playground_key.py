"""The per-user "Playground" key: playground runs are billed like API calls, through a key of
the organization that the dashboard creates on first use (its secret is never shown)."""
from __future__ import annotations

from django.db import transaction

from apps.accounts.models import ApiKey, Organization, User
from apps.accounts.selectors import api_key_list
from apps.accounts.services import api_key_create

PLAYGROUND_KEY_NAME = "Playground"


def playground_key_get_or_create(*, organization: Organization, user: User) -> ApiKey:
    with transaction.atomic():
        # Serialise concurrent first runs of one user on the organization's row (idempotent create).
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        existing = [k for k in api_key_list(organization=organization).filter(name=PLAYGROUND_KEY_NAME, created_by=user) if k.is_active]
        if existing:
            return existing[0]
        return api_key_create(organization=organization, name=PLAYGROUND_KEY_NAME, created_by=user).api_key
