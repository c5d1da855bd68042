"""Headers of every answer under a share link (``/s/<token>/…``), pages, images, downloads
and error pages alike."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

#: The path prefix of share links (``sharing.public.urls`` is included there).
PREFIX = "/s/"


class PublicShareHeaders:
    """* ``Referrer-Policy: no-referrer``: the link is the key; a ``Referer`` would carry it
      to wherever the visitor goes next (and into that server's logs).
    * ``Cache-Control: no-store``: nothing a share showed is kept by the browser or a proxy,
      so an answer given before a revocation or expiry is never shown again afterwards (every
      request goes back to the server, which checks the share in the database).
    * ``X-Robots-Tag: noindex``: a link that leaked is still not listed by search engines.

    Listed after ``SecurityMiddleware``, whose referrer policy only fills in a missing header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path_info.startswith(PREFIX):
            response["Referrer-Policy"] = "no-referrer"
            response["Cache-Control"] = "no-store"
            response["X-Robots-Tag"] = "noindex, nofollow"
            for validator in ("ETag", "Last-Modified", "Expires"):
                if validator in response:
                    del response[validator]
        return response
