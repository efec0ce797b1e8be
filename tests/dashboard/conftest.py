"""Fixtures of the dashboard tests: signed-in clients per role, and tasks/usage/credit rows
written through the owning areas' services (or directly for engine-owned rows)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Membership, Role, User
from apps.accounts.services import api_key_create


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(user, organization) -> Client:
    return signed_in(user)


def _joined(organization, email: str, role: str) -> User:
    person = User.objects.create_user(email=email, password="member horse battery")
    Membership.objects.create(user=person, organization=organization, role=role)
    return person


@pytest.fixture
def member(organization) -> User:
    return _joined(organization, "member@example.com", Role.MEMBER)


@pytest.fixture
def admin_user(organization) -> User:
    return _joined(organization, "admin@example.com", Role.ADMIN)


@pytest.fixture
def member_client(member) -> Client:
    return signed_in(member)


@pytest.fixture
def rival(other_organization):
    """(organization, owner, their API key row) of another tenant."""
    organization, _secret = other_organization
    owner = organization.memberships.get().user
    return organization, owner, organization.api_keys.get()


@pytest.fixture
def make_task():
    """Engine-owned rows written directly: the dashboard only reads them."""
    from apps.tasks.models import Task

    def make(*, organization, api_key=None, **fields) -> Task:
        values = {"model_id": "simulated/echo", "task_kind": "chat", "params": {"prompt": "hi"}, "status": "succeeded",
                  "quote_micros": 5_000, "cost_micros": 1_250, "deadline_at": timezone.now() + timedelta(hours=1), **fields}
        return Task.objects.create(organization=organization, api_key=api_key, **values)

    return make


@pytest.fixture
def make_usage():
    from apps.usage.services import usage_record_create

    def make(task, *, cost_micros: int | None = None, input_tokens: int = 10, output_tokens: int = 20):
        return usage_record_create(
            task_id=task.public_id, organization=task.organization, api_key=task.api_key, model_id=task.model_id,
            price_version_id=None, quantities={"input_tokens": input_tokens, "output_tokens": output_tokens},
            cost_micros=task.cost_micros if cost_micros is None else cost_micros, processing_ms=100, output_bytes=10,
            status="succeeded",
        )

    return make


@pytest.fixture
def grant_credit():
    from apps.billing.services import credit_grant

    def grant(organization, amount_micros: int, key: str = "demo"):
        return credit_grant(organization=organization, amount_micros=amount_micros, kind="promotional",
                            idempotency_key=key, reason="demo credit")

    return grant


@pytest.fixture
def second_key(organization, user):
    return api_key_create(organization=organization, name="second", created_by=user).api_key


CATALOG_SUBSET = {"openai/gpt-4", "anthropic/claude-3-haiku", "black-forest-labs/flux-1-schnell",
                  "elevenlabs/text-to-speech", "openai/sora-2", "suno-ai/music", "topaz-labs/image-upscale"}


@pytest.fixture(scope="session")
def shipped_catalog_data() -> dict:
    from apps.catalog.services.catalog_io import catalog_file_default, catalog_load_file

    data = catalog_load_file(catalog_file_default())
    return {**data, "models": [m for m in data["models"] if m["id"] in CATALOG_SUBSET]}


@pytest.fixture
def catalog(db, shipped_catalog_data):
    """A few models of every modality from the shipped catalog (the whole file is slow to import)."""
    from apps.catalog.services.catalog_io import catalog_import

    return catalog_import(data=shipped_catalog_data)
