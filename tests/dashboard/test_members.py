import pytest
from django.core import mail

from apps.accounts.models import Invitation, Membership, Role, User
from apps.accounts.services import LAST_OWNER, invitation_create
from tests.dashboard.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_members_page_lists_people_and_empty_invitations(owner_client, member):
    response = owner_client.get("/members/")
    assert response.status_code == 200
    assert b"member@example.com" in response.content
    assert b"No pending invitations." in response.content


def test_member_cannot_manage_members(member_client):
    response = member_client.get("/members/")
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_invite_sends_email_with_accept_link(owner_client, organization):
    response = owner_client.post("/members/", {"email": "New@Example.com", "role": "admin"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(organization=organization)
    assert (invitation.email, invitation.role) == ("new@example.com", "admin")
    assert len(mail.outbox) == 1
    assert "http://testserver/invitations/" in mail.outbox[0].body


def test_admin_cannot_invite_an_owner(admin_user, organization):
    response = signed_in(admin_user).post("/members/", {"email": "x@example.com", "role": "owner"})
    assert response.status_code == 200  # form redisplayed with the error
    assert not Invitation.objects.exists()


def test_accept_invitation_anonymous_then_signed_in(organization, user):
    _, token = invitation_create(organization=organization, email="joiner@example.com", role=Role.MEMBER,
                                 invited_by=user, accept_url_base="http://testserver/invitations")
    anonymous = signed_in(user).__class__()
    page = anonymous.get(f"/invitations/{token}")
    assert page.status_code == 200 and b"Log in" in page.content and b"Sign up" in page.content
    assert organization.name.encode() in page.content  # the visitor sees what they are joining
    signup = anonymous.post(f"/signup/?next=/invitations/{token}",
                            {"email": "joiner@example.com", "password1": "a long pass phrase 1", "password2": "a long pass phrase 1"})
    assert signup.status_code == 302 and signup["Location"] == f"/invitations/{token}"
    accept = anonymous.post(f"/invitations/{token}")
    assert accept.status_code == 302
    assert Membership.objects.get(user__email="joiner@example.com").organization == organization


def test_accept_invitation_for_another_address_is_refused(organization, user, member):
    _, token = invitation_create(organization=organization, email="someone@example.com", role=Role.MEMBER,
                                 invited_by=user, accept_url_base="http://testserver/invitations")
    response = signed_in(member).post(f"/invitations/{token}")
    assert response.status_code == 403
    assert b"another email address" in response.content


def test_bad_token_is_not_found(member_client):
    assert member_client.post("/invitations/nope").status_code == 404


def test_change_role_and_remove(owner_client, member):
    membership = Membership.objects.get(user=member)
    assert owner_client.post(f"/members/{membership.pk}/role/", {"role": "admin"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    assert owner_client.post(f"/members/{membership.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_last_owner_cannot_be_demoted(owner_client, user):
    membership = Membership.objects.get(user=user)
    response = owner_client.post(f"/members/{membership.pk}/role/", {"role": "member"}, follow=True)
    assert LAST_OWNER.encode() in response.content
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_admin_cannot_remove_the_owner(admin_user, user):
    owner_membership = Membership.objects.get(user=user)
    signed_in(admin_user).post(f"/members/{owner_membership.pk}/remove/")
    assert Membership.objects.filter(pk=owner_membership.pk).exists()


def test_other_organizations_membership_is_not_found(owner_client, rival):
    _, rival_owner, _ = rival
    rival_membership = Membership.objects.get(user=rival_owner)
    assert owner_client.post(f"/members/{rival_membership.pk}/role/", {"role": "member"}).status_code == 404
    assert owner_client.post(f"/members/{rival_membership.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk=rival_membership.pk, role=Role.OWNER).exists()


def test_members_post_needs_csrf(user, organization):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/members/", {"email": "a@example.com", "role": "member"}).status_code == 403
    assert not User.objects.filter(email="a@example.com").exists()
