import pytest

from apps.accounts.models import Invitation, Membership, Role, User
from apps.accounts.permissions import MANAGE_BILLING, MANAGE_KEYS, MANAGE_MEMBERS, role_can
from apps.accounts.services import (
    INVITATION_INVALID,
    INVITATION_WRONG_USER,
    LAST_OWNER,
    invitation_accept,
    invitation_create,
    membership_remove,
    membership_set_role,
)
from apps.core.errors import ApplicationError


def test_permission_table():
    assert role_can(Role.OWNER, MANAGE_BILLING) and role_can(Role.ADMIN, MANAGE_KEYS)
    assert not role_can(Role.MEMBER, MANAGE_BILLING)
    assert not role_can(Role.MEMBER, MANAGE_KEYS)
    assert not role_can(Role.MEMBER, MANAGE_MEMBERS)


def test_the_last_owner_cannot_be_demoted_or_removed(organization, user):
    owner = Membership.objects.get(organization=organization, user=user)
    with pytest.raises(ApplicationError, match=LAST_OWNER):
        membership_set_role(membership=owner, role=Role.MEMBER)
    with pytest.raises(ApplicationError, match=LAST_OWNER):
        membership_remove(membership=owner)
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_invitation_is_emailed_stored_as_hash_and_accepted_once(organization, user, mailoutbox):
    invitation, token = invitation_create(organization=organization, email="New@Example.com", role=Role.ADMIN,
                                          invited_by=user, accept_url_base="http://testserver/invitations")
    assert token not in invitation.token_hash
    assert f"http://testserver/invitations/{token}" in mailoutbox[0].body
    invitee = User.objects.create_user(email="new@example.com", password="a-long-password")
    membership = invitation_accept(token=token, user=invitee)
    assert membership.role == Role.ADMIN and membership.organization == organization
    with pytest.raises(ApplicationError, match=INVITATION_INVALID):
        invitation_accept(token=token, user=invitee)


def test_invitation_for_someone_else_is_refused(organization, user):
    _, token = invitation_create(organization=organization, email="a@example.com", role=Role.MEMBER,
                                 invited_by=user, accept_url_base="http://x")
    intruder = User.objects.create_user(email="b@example.com", password="a-long-password")
    with pytest.raises(ApplicationError, match=INVITATION_WRONG_USER):
        invitation_accept(token=token, user=intruder)
    assert not Membership.objects.filter(user=intruder).exists()
    assert Invitation.objects.get().accepted_at is None
