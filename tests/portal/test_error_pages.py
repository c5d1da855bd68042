"""The error pages a clinic sees (issue 10 item 5): in the portal's look, in the reader's
language, never Django's technical pages; the 500 page needs neither the database nor the
context processors."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from portal.views.home import server_error

MISSING_ORDER = f"/orders/{uuid.uuid4()}/"


def _page(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("en", "Not found", "This page does not exist, or you may not see it."),
        ("es", "No encontrado", "Esta página no existe o no tiene permiso para verla."),
    ],
)
def test_a_missing_page_in_the_readers_language(staff_client, language, title, message):
    staff_client.cookies["django_language"] = language
    response = staff_client.get(MISSING_ORDER)
    assert response.status_code == 404
    page = _page(response)
    assert f"<h1>{title}</h1>" in page
    assert message in page
    assert 'class="topbar"' in page  # signed in: the portal's layout with its navigation
    assert "URLconf" not in page


def test_an_unknown_address_for_someone_not_signed_in(db):
    client = Client(headers={"accept-language": "es"})
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = _page(response)
    assert "<h1>No encontrado</h1>" in page
    assert 'class="auth-card"' in page
    assert 'class="lang-switch"' in page


def test_an_unknown_http_api_address_is_a_json_404(db):
    """A script that calls an endpoint this server does not have learns it in the API's own
    JSON (PostDICOM's refusal shape), not from a page meant for people."""
    response = Client().get("/dicomweb/getnosuchthing", headers={"Authorization": "Bearer rpk_x"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["Success"] is False
    assert body["Message"] == "The HTTP API has no address /dicomweb/getnosuchthing (docs/api.md lists them)."
    assert body["Errors"] == {"": [body["Message"]]}
    assert response["X-Error-Reason"] == body["Message"]


@pytest.mark.parametrize("mount", ["v", "s"])
def test_an_unknown_address_under_a_link_is_a_json_404_without_the_token(db, mount):
    """A viewer reading a view link's (``/v/``) or a share's (``/s/``) images asks for a path
    the mount does not serve: the API's JSON 404, as under ``/dicomweb/``, and the answer does
    not repeat the token (it opens the link)."""
    token = "Secr3tTokenValue_abcdefgh"
    response = Client().get(f"/{mount}/{token}/dicomweb/studies/1.2/bogus")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["Success"] is False
    assert body["Message"] == (
        f"The HTTP API has no address /{mount}/[token]/dicomweb/studies/1.2/bogus (docs/api.md lists them)."
    )
    assert token not in response.content.decode()
    assert token not in response["X-Error-Reason"]
    # The mount's own pages are still pages for people.
    page = Client().get(f"/{mount}/{token}/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("language", "title"), [("en", "Not allowed"), ("es", "No permitido")])
def test_a_refused_page_in_the_readers_language(staff_client, language, title):
    staff_client.cookies["django_language"] = language
    response = staff_client.get("/administration/")
    assert response.status_code == 403
    assert f"<h1>{title}</h1>" in _page(response)


def test_a_bad_request_has_a_page(db):
    response = Client().get("/accounts/login/", headers={"host": "evil.example"})
    assert response.status_code == 400
    page = _page(response)
    assert "<h1>That request could not be read</h1>" in page
    assert 'class="auth-card"' in page


def test_an_expired_form_says_what_to_do(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = client.post("/folders/new/", {"name": "Cardiology"})
    assert response.status_code == 403
    page = _page(response)
    assert "<h1>This form has expired</h1>" in page
    assert "Reload the page and try again." in page
    assert "CSRF" not in page


@pytest.mark.urls("tests.portal.failing_urls")
def test_a_server_error_has_the_portals_look(staff_user):
    client = Client(raise_request_exception=False, headers={"accept-language": "es"})
    client.force_login(staff_user)
    response = client.get("/failing/")
    assert response.status_code == 500
    page = _page(response)
    assert "<h1>Algo salió mal</h1>" in page
    assert "/static/css/rayport.css" in page
    assert "Traceback" not in page
    assert "RuntimeError" not in page


def test_the_server_error_page_needs_no_database(settings):
    """No ``db`` fixture: any query would fail the test. Context processors would fail too."""
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {"context_processors": ["tests.missing.processor"]}}]
    with translation.override("es"):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "<h1>Algo salió mal</h1>" in _page(response)


def test_a_broken_500_template_still_answers(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    response = server_error(RequestFactory().get("/"))  # no manifest: {% static %} fails
    assert response.status_code == 500
    assert "Something went wrong" in _page(response)
    assert "Algo salió mal" in _page(response)
