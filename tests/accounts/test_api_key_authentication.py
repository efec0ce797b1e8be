from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.authentication import EXPIRED_KEY, INVALID_KEY, MISSING_KEY, REVOKED_KEY
from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create, api_key_revoke, secret_hash


def _get(client: APIClient, header: str | None):
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client.get("/v1/me")


def test_valid_key_identifies_its_organization(api_client, organization):
    response = api_client.get("/v1/me")
    assert response.status_code == 200
    assert response.json()["organization_id"] == organization.public_id


def test_secret_is_never_stored_only_its_hash(api_key):
    row, secret = api_key
    stored = ApiKey.objects.get(pk=row.pk)
    assert stored.key_hash == secret_hash(secret)
    assert secret not in {str(v) for v in vars(stored).values()}
    assert secret.startswith(stored.prefix)


@pytest.mark.parametrize(
    "header, code, message",
    [
        (None, "missing_api_key", None),
        ("Basic abc", "invalid_api_key", None),
        ("Bearer", "invalid_api_key", None),
        ("Bearer tg_live_nope_nope", "invalid_api_key", INVALID_KEY),
        ("Bearer sk-somebody-elses", "invalid_api_key", INVALID_KEY),
    ],
)
def test_bad_credentials_get_401_in_the_error_shape(db, header, code, message):
    response = _get(APIClient(), header)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["type"] == "authentication_error"
    assert error["code"] == code
    if message:
        assert error["message"] == message
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_missing_key_message_explains_the_header(db):
    assert _get(APIClient(), None).json()["error"]["message"] == MISSING_KEY


def test_revoked_key_is_refused_immediately_despite_the_cache(api_client, api_key):
    assert api_client.get("/v1/me").status_code == 200  # now cached
    api_key_revoke(api_key=api_key[0])
    response = api_client.get("/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == REVOKED_KEY


def test_expired_key_is_refused(organization, user):
    created = api_key_create(organization=organization, name="old", created_by=user, expires_at=timezone.now() - timedelta(seconds=1))
    response = _get(APIClient(), f"Bearer {created.secret}")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == EXPIRED_KEY


def test_last_used_is_written_once_per_window_not_per_request(api_client, api_key, django_assert_max_num_queries):
    api_client.get("/v1/me")
    first = ApiKey.objects.get(pk=api_key[0].pk).last_used_at
    assert first is not None
    with django_assert_max_num_queries(0):
        api_client.get("/v1/me")
    assert ApiKey.objects.get(pk=api_key[0].pk).last_used_at == first


def test_unknown_api_path_answers_json_not_html(db):
    response = APIClient().get("/v1/definitely-not-here")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


def test_the_key_is_looked_up_once_per_request(api_client, api_key, monkeypatch):
    """The rate-limit middleware and the view's authentication share one lookup."""
    from apps.accounts import selectors

    lookups = []
    real_cache = selectors.cache

    class CountingCache:
        def __getattr__(self, name):
            return getattr(real_cache, name)

        def get(self, key, *args, **kwargs):
            if key.startswith("apikey:"):
                lookups.append(key)
            return real_cache.get(key, *args, **kwargs)

    monkeypatch.setattr(selectors, "cache", CountingCache())

    response = api_client.get("/v1/me")

    assert response.status_code == 200 and response["X-RateLimit-Limit"]
    assert len(lookups) == 1


def test_touch_asks_the_shared_cache_once_per_window_per_process(api_key, monkeypatch, django_assert_max_num_queries):
    from django.core.cache import cache

    from apps.accounts import services

    asked = []
    real_add = cache.add
    monkeypatch.setattr(cache, "add", lambda *a, **k: asked.append(a[0]) or real_add(*a, **k))
    services.api_key_touch(api_key=api_key[0])
    services.api_key_touch(api_key=api_key[0])
    assert len(asked) == 1  # the second use in this process needs no Redis round trip
    first = ApiKey.objects.get(pk=api_key[0].pk).last_used_at
    services.api_key_touch_forget()  # as another process would: it asks, the shared key says "done"
    with django_assert_max_num_queries(0):
        services.api_key_touch(api_key=api_key[0])
    assert len(asked) == 2 and ApiKey.objects.get(pk=api_key[0].pk).last_used_at == first
