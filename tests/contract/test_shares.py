"""Sharing orders and folders by link, on every backend; other audiences where offered."""

from __future__ import annotations

import collections
import datetime as dt
import functools

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound, Unsupported
from postdicom.local.models import Institution
from postdicom.types import (
    FOLDER_SHARE_KINDS,
    ORDER_SHARE_KINDS,
    Capability,
    ShareAudience,
    ShareKind,
    ShareOptions,
)
from tests.contract.admin_setup import deactivated
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


_AUDIENCES = {
    ShareKind.EMAIL: ShareAudience(email="dr@example.org"),
    ShareKind.LINK: ShareAudience(link=True),
    ShareKind.UPLOAD_EMAIL: ShareAudience(email="dr@example.org", upload_only=True),
    ShareKind.UPLOAD_LINK: ShareAudience(link=True, upload_only=True),
}
_Asking = collections.namedtuple("_Asking", "name options")
#: A link share asking for each option a backend may refuse (``ShareOffer.options_refused``).
_REFUSABLE_OPTIONS = (
    _Asking("generate_password", ShareOptions(generate_password=True)),
    _Asking("open_limit", ShareOptions(password="a long pass phrase 42", open_limit=3)),
    _Asking("notify_on_first_open", ShareOptions(password="a long pass phrase 42", notify_on_first_open=True)),
    _Asking("title", ShareOptions(password="a long pass phrase 42", title="Resonancia")),
    _Asking("message", ShareOptions(password="a long pass phrase 42", message="Para la segunda opinión.")),
)


def test_the_share_offer_is_what_the_backend_makes(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    """``share_offer`` tells the share dialog the truth: each kind it offers is made, each it
    refuses (with a reason) is ``Unsupported``; likewise each option it refuses."""
    offered(api, Capability.SHARE_OFFER)
    offer = api.share_offer(actor=staff_user)
    folder_offer = api.share_offer(actor=staff_user, folder=True)
    assert set(offer.kinds) | set(offer.refused) == set(ORDER_SHARE_KINDS)
    assert set(folder_offer.kinds) | set(folder_offer.refused) == set(FOLDER_SHARE_KINDS)
    assert ShareKind.LINK in offer.kinds
    assert all(offer.refused.values())  # each refusal says why
    assert all(folder_offer.options_refused.values())
    order = create(staff_user, clinic)
    folder = get_api().create_folder(actor=staff_user, name="Offered")
    typed = ShareOptions(password="a long pass phrase 42")
    for kind in ORDER_SHARE_KINDS:
        share = functools.partial(api.share_orders, actor=staff_user, order_ids=[order.id], audience=_AUDIENCES[kind])
        if kind in offer.kinds:
            assert share(options=typed).kind is kind
        else:
            with pytest.raises(Unsupported):
                share(options=typed)
    for kind in FOLDER_SHARE_KINDS:
        share_in = functools.partial(api.share_folder, actor=staff_user, folder_id=folder.id, audience=_AUDIENCES[kind])
        if kind in folder_offer.kinds:
            assert share_in(options=typed)[0].kind is kind
        else:
            with pytest.raises(Unsupported):
                share_in(options=typed)
    link = functools.partial(
        api.share_orders, actor=staff_user, order_ids=[order.id], audience=_AUDIENCES[ShareKind.LINK]
    )
    for asking in _REFUSABLE_OPTIONS:
        if asking.name in offer.options_refused:
            with pytest.raises(Unsupported):
                link(options=asking.options)
        else:
            assert link(options=asking.options).kind is ShareKind.LINK
    in_spanish = ShareOptions(password="a long pass phrase 42", language="es")
    assert link(options=in_spanish).kind is ShareKind.LINK  # refused or not, every share has one
    with pytest.raises(Forbidden):
        api.share_offer(actor=deactivated(outsider))
