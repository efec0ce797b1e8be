"""Reads of the accounts area. Tenant reads take the organization explicitly."""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from apps.accounts.models import ApiKey, Invitation, Membership, Organization, User
from apps.accounts.services import api_key_cache_key, secret_hash


def organization_list_for_user(*, user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("name")


def membership_get(*, user: User, organization_id: int) -> Membership | None:
    return Membership.objects.select_related("organization").filter(user=user, organization_id=organization_id).first()


def membership_list(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")


def invitation_list(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(organization=organization).order_by("-created_at")


def api_key_list(*, organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organization=organization).select_related("created_by").order_by("-created_at")


def api_key_get(*, organization: Organization, pk: int) -> ApiKey | None:
    return ApiKey.objects.filter(organization=organization, pk=pk).first()


def api_key_from_secret(*, secret: str) -> ApiKey | None:
    """Looks a presented key up by its hash, cached briefly in Redis (revocation clears it).
    Activity (revoked/expired) is checked by the caller on the returned row."""
    key_hash = secret_hash(secret)
    cache_key = api_key_cache_key(key_hash)
    api_key = cache.get(cache_key)
    if api_key is None:
        api_key = ApiKey.objects.select_related("organization").filter(key_hash=key_hash).first()
        if api_key is None:
            return None
        cache.set(cache_key, api_key, settings.API_KEY_CACHE_SECONDS)
    return api_key


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation behind an emailed token (pending or not; callers check ``is_pending``)."""
    return Invitation.objects.select_related("organization", "invited_by").filter(token_hash=secret_hash(token)).first()
