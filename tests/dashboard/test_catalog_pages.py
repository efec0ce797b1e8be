import pytest

pytestmark = pytest.mark.django_db


def test_browse_lists_models_by_modality(member_client, catalog):
    everything = member_client.get("/catalog/")
    assert everything.status_code == 200
    assert b"openai/gpt-4" in everything.content
    images = member_client.get("/catalog/?modality=image")
    assert images.status_code == 200
    assert b"openai/gpt-4<" not in images.content


def test_browse_empty_state(member_client, catalog):
    response = member_client.get("/catalog/?q=no-such-model-anywhere")
    assert b"No models match" in response.content


def test_model_page_documents_parameters_and_price(member_client, catalog):
    response = member_client.get("/catalog/openai/gpt-4/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<code>messages</code>" in body and "required" in body
    assert "<code>temperature</code>" in body and "0–2" in body
    assert "per 1000000 token" in body or "Not priced yet" in body
    assert '"model": "openai/gpt-4"' in body.replace("&quot;", '"')


def test_unknown_model_is_not_found(member_client, catalog):
    assert member_client.get("/catalog/nobody/nothing/").status_code == 404


def test_catalog_needs_login(client, catalog):
    response = client.get("/catalog/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
