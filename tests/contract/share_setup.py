"""Shares made with the local backend for the contract tests of the owner's and the visitor's
side: a link share of one order, and its token (the part of ``url`` after ``/s/``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.local.models import Institution
from postdicom.types import Share, ShareAudience, ShareOptions
from tests.postdicom.local.orders_setup import create

IP = "203.0.113.7"
PASSWORD = "contraseña larga 42"


def token_of(share: Share) -> str:
    path = urlsplit(share.url).path
    assert path.startswith("/s/"), share.url
    return path[3:].strip("/")


def link_share(owner: User, clinic: Institution, **options: Any) -> Share:
    """A link share of a new order of ``clinic`` (patient with a non-Latin name)."""
    order = create(owner, clinic, patient_name="王^小明", patient_id="P-王")
    settings = {"password": PASSWORD, **options}
    return get_api().share_orders(
        actor=owner, order_ids=[order.id], audience=ShareAudience(link=True), options=ShareOptions(**settings)
    )
