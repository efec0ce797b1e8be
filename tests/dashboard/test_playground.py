import pytest

from apps.accounts.models import ApiKey
from apps.dashboard.playground_key import PLAYGROUND_KEY_NAME
from apps.tasks.models import Task

pytestmark = pytest.mark.django_db


def test_form_is_generated_from_the_schema(member_client, catalog):
    body = member_client.get("/playground/?model=openai/gpt-4").content.decode()
    assert 'name="p-messages"' in body and 'name="p-temperature"' in body and "More parameters" in body
    assert 'name="p-stream"' not in body  # set by the platform


def test_file_parameters_take_a_url_or_an_upload(member_client, catalog):
    body = member_client.get("/playground/?model=topaz-labs/image-upscale").content.decode()
    assert 'type="url"' in body and 'type="file"' in body and 'enctype="multipart/form-data"' in body


def test_run_creates_a_billed_task_through_the_playground_key(member_client, member, organization, catalog, grant_credit):
    grant_credit(organization, 5_000_000)
    response = member_client.post("/playground/", {"model": "openai/gpt-4", "p-messages": "Say hi", "p-max_tokens": "16", "action": "run"})
    assert response.status_code == 200, response.content.decode()[-2000:]
    task = Task.objects.get(organization=organization)
    assert task.surface == "playground" and task.params["messages"] == [{"role": "user", "content": "Say hi"}]
    assert task.api_key.name == PLAYGROUND_KEY_NAME and task.api_key.created_by == member
    body = response.content.decode()
    assert task.public_id in body and "/v1/tasks" in body and "Say hi" in body
    member_client.post("/playground/", {"model": "openai/gpt-4", "p-messages": "Again", "action": "run"})
    assert ApiKey.objects.filter(organization=organization, name=PLAYGROUND_KEY_NAME).count() == 1


def test_estimate_quotes_without_creating_a_task(member_client, organization, catalog):
    response = member_client.post("/playground/", {"model": "openai/gpt-4", "p-messages": "Hi", "p-max_tokens": "10", "action": "estimate"})
    assert response.status_code == 200
    assert b"At most" in response.content
    assert not Task.objects.exists()


def test_run_without_credit_shows_the_error(member_client, organization, catalog):
    response = member_client.post("/playground/", {"model": "openai/gpt-4", "p-messages": "Hi", "action": "run"})
    assert response.status_code in (400, 402, 403)
    assert b'id="run-error"' in response.content
    assert not Task.objects.exists()


def test_invalid_field_redisplays_the_form(member_client, catalog):
    response = member_client.post("/playground/", {"model": "openai/gpt-4", "p-messages": "Hi", "p-temperature": "9", "action": "run"})
    assert response.status_code == 400
    assert b"errorlist" in response.content


def test_unknown_model(member_client, catalog):
    assert member_client.get("/playground/?model=nope/nothing").status_code == 404
