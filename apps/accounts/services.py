"""Writes of the accounts area: organizations, memberships, invitations, API keys."""
from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import ApiKey, Invitation, Membership, Organization, Role, User
from apps.core.errors import ApplicationError

INVITATION_INVALID = "This invitation is invalid or has expired."
INVITATION_WRONG_USER = "This invitation was sent to another email address."
LAST_OWNER = "An organization must keep at least one owner."


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_cache_key(key_hash: str) -> str:
    return f"apikey:{key_hash}"


@transaction.atomic
def organization_create(*, name: str, owner: User) -> Organization:
    organization = Organization(name=name.strip())
    organization.full_clean()
    organization.save()
    Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    return organization


def user_get_or_create(*, email: str, password: str | None = None) -> tuple[User, bool]:
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user:
        return user, False
    return User.objects.create_user(email=email, password=password), True


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str) -> Membership:
    if membership.role == Role.OWNER and role != Role.OWNER:
        _ensure_other_owner(membership)
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.OWNER:
        _ensure_other_owner(membership)
    membership.delete()


def _ensure_other_owner(membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(organization_id=membership.organization_id, role=Role.OWNER)
    if not owners.exclude(pk=membership.pk).exists():
        raise ApplicationError(LAST_OWNER, code="last_owner")


def invitation_create(*, organization: Organization, email: str, role: str, invited_by: User, accept_url_base: str) -> tuple[Invitation, str]:
    """Creates an invitation and emails a link holding a one-time token (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=User.objects.normalize_email(email).lower(),
        role=role,
        token_hash=secret_hash(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    link = f"{accept_url_base.rstrip('/')}/{token}"
    send_mail(
        f"You are invited to {organization.name} on Tollgate",
        f"{invited_by.email} invited you to join {organization.name} as {role}.\n\nAccept: {link}\n",
        settings.DEFAULT_FROM_EMAIL,
        [invitation.email],
    )
    return invitation, token


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().filter(token_hash=secret_hash(token)).first()
    if invitation is None or not invitation.is_pending:
        raise ApplicationError(INVITATION_INVALID, code="invitation_invalid", status=404)
    if invitation.email != user.email.lower():
        raise ApplicationError(INVITATION_WRONG_USER, code="invitation_wrong_user", status=403)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    return membership


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    secret: str  # the full key: shown once, never stored


def api_key_create(
    *,
    organization: Organization,
    name: str,
    created_by: User | None = None,
    expires_at: datetime | None = None,
    allowed_models: list[str] | None = None,
    spend_cap_micros: int | None = None,
) -> CreatedApiKey:
    for _ in range(5):  # prefix collisions are astronomically rare; retry rather than fail
        public = secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")[:8]
        secret = f"{settings.API_KEY_PREFIX}{public}_{secrets.token_urlsafe(32)}"
        api_key = ApiKey(
            organization=organization,
            name=name.strip() or "API key",
            prefix=f"{settings.API_KEY_PREFIX}{public}",
            key_hash=secret_hash(secret),
            created_by=created_by,
            expires_at=expires_at,
            allowed_models=allowed_models or [],
            spend_cap_micros=spend_cap_micros,
        )
        api_key.full_clean()
        try:
            with transaction.atomic():
                api_key.save()
        except IntegrityError:
            continue
        return CreatedApiKey(api_key=api_key, secret=secret)
    raise RuntimeError("could not allocate a unique API key prefix")


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
    cache.delete(api_key_cache_key(api_key.key_hash))
    return api_key


def api_key_update(*, api_key: ApiKey, **fields) -> ApiKey:
    for name, value in fields.items():
        setattr(api_key, name, value)
    api_key.full_clean()
    api_key.save()
    cache.delete(api_key_cache_key(api_key.key_hash))
    return api_key


# Per process, when each key last asked the shared cache whether its use is due: between two
# asks no request of this process needs a Redis round trip for it.
_touch_asked: dict[int, float] = {}


def api_key_touch(*, api_key: ApiKey) -> None:
    """Records last use at most once per key per API_KEY_TOUCH_SECONDS (not a write per request)."""
    now = time.monotonic()
    if now - _touch_asked.get(api_key.pk, -math.inf) < settings.API_KEY_TOUCH_SECONDS:
        return
    _touch_asked[api_key.pk] = now
    if cache.add(f"apikey-touch:{api_key.pk}", 1, settings.API_KEY_TOUCH_SECONDS):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())


def api_key_touch_forget() -> None:
    """For tests: every key's next use asks the shared cache again."""
    _touch_asked.clear()
