"""The portal's URLs plus one view that fails, for the server-error tests
(``@pytest.mark.urls("tests.portal.failing_urls")``)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal import urls as portal_urls


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the failing test view failed")


urlpatterns = [path("failing/", fail), *portal_urls.urlpatterns]
handler400 = getattr(portal_urls, "handler400", "django.views.defaults.bad_request")
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = getattr(portal_urls, "handler500", "django.views.defaults.server_error")
