import pytest

pytestmark = pytest.mark.django_db


def test_new_organization_sees_the_onboarding_checklist(owner_client):
    response = owner_client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="onboarding"' in body
    assert "Add credits" in body and "Create a key" in body and "Open the playground" in body
    assert "No tasks yet" in body and "No spend in this period yet." in body
    assert "task requests per second" in body


def test_checklist_disappears_when_done(owner_client, organization, api_key, grant_credit, make_task, make_usage):
    grant_credit(organization, 5_000_000)
    make_usage(make_task(organization=organization, api_key=api_key[0], cost_micros=1_500_000))
    body = owner_client.get("/").content.decode()
    assert 'id="onboarding"' not in body
    assert "$5.00" in body  # available credit (the demo ledger has no capture)
    assert body.count("$1.50") >= 2  # today and this month
    assert "<rect" in body and "simulated/echo" in body


def test_member_checklist_points_to_owners(member_client):
    body = member_client.get("/").content.decode()
    assert "Ask an owner to add credits" in body and "Ask an admin for a key" in body
    assert 'href="/billing/"' not in body  # nav hides what the role cannot open


def test_overview_never_shows_another_organization(owner_client, rival, make_task, make_usage, grant_credit):
    grant_credit(rival[0], 9_000_000)
    make_usage(make_task(organization=rival[0], api_key=rival[2], model_id="rival/secret", cost_micros=3_000_000))
    body = owner_client.get("/").content.decode()
    assert "$9.00" not in body and "rival/secret" not in body and "$3.00" not in body


def test_without_organization_redirects_to_create(db, client):
    from apps.accounts.models import User

    lonely = User.objects.create_user(email="lonely@example.com", password="x lonely pass")
    client.force_login(lonely)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/organizations/new/"


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
