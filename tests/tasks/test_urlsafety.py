"""User URLs: only public http(s), re-checked after DNS and redirects; size and time limits."""
from __future__ import annotations

import socket

import pytest

from apps.core.errors import ApplicationError
from apps.tasks import urlsafety
from apps.tasks.urlsafety import URL_NOT_ALLOWED, url_check, url_fetch


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "http://localhost:8000/", "http://10.1.2.3/a.png", "http://169.254.169.254/latest/meta-data",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://192.168.0.1/", "http://100.64.0.1/", "http://0.0.0.0/",
    "http://224.0.0.1/", "ftp://example.com/a", "file:///etc/passwd", "http://user:pw@example.com/", "not a url",
    "http://metadata.google.internal/",
])
def test_url_check_refuses(url):
    with pytest.raises(ApplicationError) as excinfo:
        url_check(url, param="image_url")
    assert (excinfo.value.status, excinfo.value.code, excinfo.value.message) == (400, "url_not_allowed", URL_NOT_ALLOWED)


def test_url_check_accepts_public_urls():
    assert url_check("https://example.com/a.png") == "https://example.com/a.png"
    assert url_check("http://8.8.8.8/a.png") == "http://8.8.8.8/a.png"


def test_name_resolving_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, port, **kw: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))])
    with pytest.raises(ApplicationError) as excinfo:
        url_fetch("http://innocent.example/a.png", param="image_url")
    assert excinfo.value.code == "url_not_allowed"


def test_redirect_to_loopback_is_refused(local_server, monkeypatch):
    # 127.0.0.1 stands in for a public host here; the redirect target 127.0.0.2 is loopback.
    monkeypatch.setattr(urlsafety, "address_is_public", lambda address: address == "127.0.0.1")
    port = local_server.server_address[1]
    local_server.responder = lambda path, n: (302, {"location": f"http://127.0.0.2:{port}/secret"}, b"")
    with pytest.raises(ApplicationError) as excinfo:
        url_fetch(f"{local_server.url}/start", param="image_url")
    assert excinfo.value.code == "url_not_allowed"
    assert [r["path"] for r in local_server.requests] == ["/start"]


def test_fetch_from_allowed_private_server_with_size_limit(local_server, settings):
    settings.TOLLGATE_ALLOW_PRIVATE_URLS = True
    local_server.responder = lambda path, n: (200, {"content-type": "image/png"}, b"\x89PNG" + b"0" * 96)
    fetched = url_fetch(f"{local_server.url}/pic.png", param="image_url")
    assert (fetched.content_type, len(fetched.content), fetched.filename) == ("image/png", 100, "pic.png")

    settings.TOLLGATE_FETCH_MAX_BYTES = 50
    with pytest.raises(ApplicationError) as excinfo:
        url_fetch(f"{local_server.url}/pic.png", param="image_url")
    assert (excinfo.value.status, excinfo.value.code) == (413, "file_too_large")


def test_fetch_http_error_is_fetch_failed(local_server, settings):
    settings.TOLLGATE_ALLOW_PRIVATE_URLS = True
    local_server.responder = lambda path, n: (404, {}, b"")
    with pytest.raises(ApplicationError) as excinfo:
        url_fetch(f"{local_server.url}/missing.png", param="image_url")
    assert (excinfo.value.status, excinfo.value.code) == (400, "fetch_failed")


@pytest.mark.django_db(transaction=True)
def test_task_with_url_input_fetches_it_in_the_worker(funded, api_key, worker, local_server, settings):
    from apps.tasks.services import task_submit
    from tests.tasks.conftest import wait_finished

    settings.TOLLGATE_ALLOW_PRIVATE_URLS = True
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
           b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
    local_server.responder = lambda path, n: (200, {"content-type": "image/png"}, png)
    task = task_submit(api_key=api_key[0], model="test/edit",
                       params={"prompt": "x", "image_url": f"{local_server.url}/in.png"}).task
    assert wait_finished(task.public_id).status == "succeeded"
    assert [r["path"] for r in local_server.requests] == ["/in.png"]


@pytest.mark.django_db(transaction=True)
def test_task_whose_url_is_refused_at_fetch_fails_uncharged(funded, api_key, worker, monkeypatch):
    from apps.tasks.services import task_submit
    from tests.tasks.conftest import FUNDS_MICROS, balance, wait_finished

    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, port, **kw: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))])
    task = task_submit(api_key=api_key[0], model="test/edit",
                       params={"prompt": "x", "image_url": "http://rebind.example/a.png"}).task
    task = wait_finished(task.public_id)
    assert (task.status, task.error_code) == ("failed", "url_not_allowed")
    assert balance(funded).balance_micros == FUNDS_MICROS
