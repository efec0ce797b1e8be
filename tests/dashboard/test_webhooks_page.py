import html

import pytest

from apps.dashboard.views.webhooks import SECRET_ROTATED, URL_SAVED
from apps.tasks.models import OrganizationWebhookSettings
from apps.tasks.services.webhooks import webhook_settings_get, webhook_settings_update
from apps.tasks.urlsafety import URL_NOT_ALLOWED

pytestmark = pytest.mark.django_db

PAGE = "/settings/webhooks/"


@pytest.fixture(autouse=True)
def public_urls_only(settings):
    settings.TOLLGATE_ALLOW_PRIVATE_URLS = False


def test_owner_sees_url_secret_headers_and_snippet(owner_client, organization):
    webhook = webhook_settings_update(organization=organization, url="https://hooks.example.com/in")

    response = owner_client.get(PAGE)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="https://hooks.example.com/in"' in body
    assert f'data-secret="{webhook.secret}"' in body and "Reveal" in body and "Copy" in body
    assert "Rotate secret" in body
    assert "webhook-id" in body and "webhook-timestamp" in body and "v1,&lt;base64&gt;" in body
    assert "def verify(secret: str, headers: dict, body: str)" in body
    assert 'href="/settings/webhooks/" aria-current="page"' in body


def test_member_gets_the_forbidden_page(member_client):
    response = member_client.get(PAGE)

    assert response.status_code == 403
    assert 'href="/settings/webhooks/"' not in response.content.decode()


def test_saving_a_url_persists_it(owner_client, organization):
    response = owner_client.post(PAGE, {"action": "save", "url": "https://hooks.example.com/tollgate"}, follow=True)

    assert URL_SAVED in response.content.decode()
    assert webhook_settings_get(organization=organization).url == "https://hooks.example.com/tollgate"


def test_clearing_the_url_turns_the_default_off(owner_client, organization):
    webhook_settings_update(organization=organization, url="https://hooks.example.com/in")

    owner_client.post(PAGE, {"action": "save", "url": ""})

    assert webhook_settings_get(organization=organization).url == ""


@pytest.mark.parametrize("url", ["http://10.0.0.5/hook", "http://169.254.169.254/latest", "ftp://example.com/hook",
                                 "http://localhost:8000/hook"])
def test_an_invalid_url_shows_the_engine_error_and_changes_nothing(owner_client, organization, url):
    before = webhook_settings_update(organization=organization, url="https://hooks.example.com/in")

    response = owner_client.post(PAGE, {"action": "save", "url": url})

    assert response.status_code == 400
    assert html.escape(URL_NOT_ALLOWED) in response.content.decode()
    after = webhook_settings_get(organization=organization)
    assert (after.url, after.secret) == ("https://hooks.example.com/in", before.secret)


def test_rotating_replaces_the_secret_and_keeps_the_url(owner_client, organization):
    before = webhook_settings_update(organization=organization, url="https://hooks.example.com/in")

    response = owner_client.post(PAGE, {"action": "rotate"}, follow=True)

    after = webhook_settings_get(organization=organization)
    assert after.secret != before.secret and after.secret.startswith("whsec_")
    assert after.url == "https://hooks.example.com/in"
    body = response.content.decode()
    assert html.escape(SECRET_ROTATED) in body and f'data-secret="{after.secret}"' in body


def test_rotating_needs_post(owner_client, organization):
    before = webhook_settings_get(organization=organization).secret

    owner_client.get(PAGE, {"action": "rotate"})

    assert webhook_settings_get(organization=organization).secret == before


def test_another_organizations_settings_never_appear_or_change(owner_client, organization, rival):
    their_organization, _, _ = rival
    theirs = webhook_settings_update(organization=their_organization, url="https://rival.example.com/hook")

    body = owner_client.get(PAGE).content.decode()
    owner_client.post(PAGE, {"action": "save", "url": "https://hooks.example.com/ours"})
    owner_client.post(PAGE, {"action": "rotate"})

    assert "rival.example.com" not in body and theirs.secret not in body
    after = OrganizationWebhookSettings.objects.get(organization=their_organization)
    assert (after.url, after.secret) == ("https://rival.example.com/hook", theirs.secret)
    assert webhook_settings_get(organization=organization).url == "https://hooks.example.com/ours"


def test_recent_deliveries_are_listed_for_this_organization_only(owner_client, organization, rival, make_task):
    from apps.tasks.models import WebhookDelivery

    ours = make_task(organization=organization)
    theirs = make_task(organization=rival[0])
    WebhookDelivery.objects.create(task=ours, webhook_id="msg_ours", url="https://hooks.example.com/ours",
                                   status="failed", response_code=500, error="HTTP 500")
    WebhookDelivery.objects.create(task=theirs, webhook_id="msg_theirs", url="https://rival.example.com/theirs",
                                   status="succeeded", response_code=200)

    page = owner_client.get("/settings/webhooks/").content.decode()

    assert "hooks.example.com/ours" in page and "HTTP 500" in page
    assert "rival.example.com" not in page
