import pytest

from apps.accounts.models import Organization

pytestmark = pytest.mark.django_db


def test_signup_then_create_organization(client):
    response = client.post("/signup/", {"email": "new@example.com", "password1": "a long pass phrase 1", "password2": "a long pass phrase 1"})
    assert response.status_code == 302 and response["Location"] == "/organizations/new/"
    response = client.post("/organizations/new/", {"name": "Startup"})
    assert response.status_code == 302
    assert Organization.objects.filter(name="Startup").exists()
    assert b'id="onboarding"' in client.get("/").content


def test_signup_ignores_an_offsite_next(client):
    response = client.post("/signup/?next=https://evil.example.com/", {"email": "n2@example.com", "password1": "a long pass phrase 1", "password2": "a long pass phrase 1"})
    assert response["Location"] == "/organizations/new/"


def test_switching_to_a_foreign_organization_is_not_found(owner_client, rival):
    assert owner_client.post("/organizations/switch/", {"organization": rival[0].pk}).status_code == 404


def test_login_page_renders(client):
    assert client.get("/login/").status_code == 200
