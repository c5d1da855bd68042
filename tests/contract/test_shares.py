"""Sharing orders and folders by link, on every backend; other audiences where offered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import InvalidInput, NotFound, Unsupported
from postdicom.local.models import Institution
from postdicom.types import Capability, ShareAudience, ShareKind, ShareOptions
from tests.missing import offered
from tests.postdicom.local.orders_setup import create

NEXT_WEEK = dt.date.today() + dt.timedelta(days=7)


def test_orders_shared_by_link_with_a_password(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.SHARE_ORDERS)
    order = create(staff_user, clinic)
    options = ShareOptions(password="a long pass phrase 42", expires=NEXT_WEEK, downloadable=True)
    made = api.share_orders(actor=staff_user, order_ids=[order.id], audience=ShareAudience(link=True), options=options)
    assert "/s/" in made.url
    assert (made.kind, made.expires, made.downloadable) == (ShareKind.LINK, NEXT_WEEK, True)
    (listed,) = get_api().list_shares(actor=staff_user).items
    assert listed.id == made.id
    assert [o.id for o in listed.orders] == [order.id]
    with pytest.raises(NotFound):
        api.share_orders(actor=outsider, order_ids=[order.id], audience=ShareAudience(link=True), options=options)


def test_a_folder_shared_by_link(api: PostDicomApi, staff_user: User, outsider: User) -> None:
    offered(api, Capability.SHARE_FOLDER)
    folder = get_api().create_folder(actor=staff_user, name="For Dr. Ibáñez")
    options = ShareOptions(password="a long pass phrase 42", title="Second opinion", expires=NEXT_WEEK)
    (made,) = api.share_folder(
        actor=staff_user, folder_id=folder.id, audience=ShareAudience(link=True), options=options
    )
    assert "/s/" in made.url
    (listed,) = get_api().list_shares(actor=staff_user).items
    assert (listed.id, listed.title) == (made.id, "Second opinion")
    with pytest.raises(NotFound):
        api.share_folder(actor=outsider, folder_id=folder.id, audience=ShareAudience(link=True), options=options)


def test_a_past_expiry_names_the_field(api: PostDicomApi, staff_user: User, clinic: Institution) -> None:
    offered(api, Capability.SHARE_ORDERS)
    order = create(staff_user, clinic)
    options = ShareOptions(password="a long pass phrase 42", expires=dt.date(2020, 1, 1))
    with pytest.raises(InvalidInput) as refused:
        api.share_orders(actor=staff_user, order_ids=[order.id], audience=ShareAudience(link=True), options=options)
    assert "expires" in refused.value.field_errors


def test_an_email_share_is_made_or_refused_as_unsupported(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    """A backend either e-mails the link or says it cannot (PostDICOM's HTTP API shares only
    by link); it never makes a link the recipient is not told of."""
    offered(api, Capability.SHARE_ORDERS)
    order = create(staff_user, clinic)
    audience = ShareAudience(email="dr@example.org")
    options = ShareOptions(generate_password=True)
    made = None
    refusal = ""
    try:
        made = api.share_orders(actor=staff_user, order_ids=[order.id], audience=audience, options=options)
    except Unsupported as refused:
        refusal = refused.message
    if made is None:
        assert refusal
        assert get_api().list_shares(actor=staff_user).items == ()
    else:
        assert made.kind is ShareKind.EMAIL
        assert made.new_password
