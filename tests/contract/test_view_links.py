"""View links (GetViewUrl and its family) on every backend that offers them: made for an order,
a patient or a folder, bound to an address, listed, revoked, opened without signing in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import Institution
from postdicom.types import Capability, ViewLink, ViewLinkKind, ViewLinkRefusal, ViewLinkUse, ViewTarget
from tests.missing import offered
from tests.postdicom.local.orders_setup import create

HERE = "198.51.100.7"
ELSEWHERE = "198.51.100.8"


def token_of(link: ViewLink) -> str:
    assert link.url.startswith("/v/"), link.url
    return link.url.strip("/").split("/")[-1]


def test_a_view_link_to_an_order(api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution) -> None:
    offered(api, Capability.VIEW_URL)
    order = create(staff_user, clinic, patient_name="ΠΑΠΑΔΟΠΟΥΛΟΣ^Νίκος")
    link = api.view_url(
        actor=staff_user, target=ViewTarget(order_id=order.id), client_ip=HERE, lifetime=dt.timedelta(minutes=30)
    )
    assert (link.kind, link.order_ids, link.client_ip) == (ViewLinkKind.ORDER, (order.id,), HERE)
    assert link.expires_at - link.created_at == pytest.approx(dt.timedelta(minutes=30), abs=dt.timedelta(seconds=5))
    assert len(token_of(link)) >= 43
    with pytest.raises(NotFound):
        api.view_url(actor=outsider, target=ViewTarget(order_id=order.id), client_ip=HERE)
    with pytest.raises(InvalidInput):
        api.view_url(actor=staff_user, target=ViewTarget(), client_ip=HERE)
    with pytest.raises(InvalidInput):
        api.view_url(
            actor=staff_user, target=ViewTarget(order_id=order.id), client_ip=HERE, lifetime=dt.timedelta(days=30)
        )


def test_a_view_link_to_a_patients_orders_and_to_a_folder(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    offered(api, Capability.VIEW_URL)
    first = create(staff_user, clinic, patient_name="MÜLLER^Jürgen")
    second = create(staff_user, clinic, patient_name="MÜLLER^Jürgen", modality="MR")
    create(staff_user, clinic, patient_name="OTHER^Person", patient_id="P-0009")
    patient = api.view_url(actor=staff_user, target=ViewTarget(patient_name="Muller, Jurgen"), client_ip=HERE)
    assert patient.kind is ViewLinkKind.PATIENT
    assert set(patient.order_ids) == {first.id, second.id}
    folder = get_api().create_folder(actor=staff_user, name="Für Dr. Weiß")
    in_folder = api.view_url(actor=staff_user, target=ViewTarget(folder_id=folder.id), client_ip=HERE)
    assert (in_folder.kind, in_folder.folder_id) == (ViewLinkKind.FOLDER, folder.id)
    with pytest.raises(InvalidInput):
        api.view_url(actor=staff_user, target=ViewTarget(patient_name="NOBODY^Here"), client_ip=HERE)


def test_view_links_are_listed_for_their_maker_only_and_without_urls(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.VIEW_LINKS)
    order = create(staff_user, clinic)
    older = get_api().view_url(actor=staff_user, target=ViewTarget(order_id=order.id), client_ip=HERE)
    newer = get_api().view_url(actor=staff_user, target=ViewTarget(order_id=order.id), client_ip=ELSEWHERE)
    listed = api.view_links(actor=staff_user)
    assert [(v.id, v.url) for v in listed] == [(newer.id, ""), (older.id, "")]
    assert api.view_links(actor=outsider) == ()
    staff_user.is_active = False
    with pytest.raises(Forbidden):
        api.view_links(actor=staff_user)


def test_a_revoked_view_link_stops_opening(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.REVOKE_VIEW_LINK)
    order = create(staff_user, clinic)
    link = get_api().view_url(actor=staff_user, target=ViewTarget(order_id=order.id), client_ip=HERE)
    with pytest.raises(NotFound):
        api.revoke_view_link(actor=outsider, link_id=link.id)
    api.revoke_view_link(actor=staff_user, link_id=link.id)
    api.revoke_view_link(actor=staff_user, link_id=link.id)
    (listed,) = get_api().view_links(actor=staff_user)
    assert listed.revoked
    opened = get_api().open_view_link(token=token_of(link), client_ip=HERE, use=ViewLinkUse.PAGE)
    assert opened.refusal is ViewLinkRefusal.REVOKED


def test_a_view_link_opens_only_from_its_address(api: PostDicomApi, staff_user: User, clinic: Institution) -> None:
    offered(api, Capability.OPEN_VIEW_LINK)
    order = create(staff_user, clinic)
    link = get_api().view_url(actor=staff_user, target=ViewTarget(order_id=order.id), client_ip=HERE)
    opened = api.open_view_link(token=token_of(link), client_ip=HERE, use=ViewLinkUse.PAGE)
    assert opened.refusal is None
    assert (opened.actor, opened.order_ids) == (staff_user, (order.id,))
    assert [o.id for o in opened.orders] == [order.id]
    refused = api.open_view_link(token=token_of(link), client_ip=ELSEWHERE, use=ViewLinkUse.IMAGES)
    assert (refused.refusal, refused.order_ids) == (ViewLinkRefusal.OTHER_ADDRESS, ())
    unknown = api.open_view_link(token="x" * 43, client_ip=HERE, use=ViewLinkUse.PAGE)
    assert unknown.refusal is ViewLinkRefusal.UNKNOWN
