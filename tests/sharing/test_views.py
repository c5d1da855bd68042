"""The sharing pages: the share dialog (htmx fragment and plain page), the answer that shows
the link and password once, My shares (administrators: every share), a share's page, change,
new password, revoke and e-mail again. Who may see what is in tests/test_url_matrix.py; the
rules themselves in tests/postdicom/local/test_outside_shares.py."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from postdicom import get_api
from postdicom.local.models import OutsideShare
from postdicom.types import ShareAudience, ShareOptions
from tests.postdicom.local.orders_setup import create

pytestmark = pytest.mark.django_db

SHARE_ORDERS = reverse("sharing:share_orders")
MINE = reverse("sharing:mine")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def order(staff_user, clinic):
    return create(staff_user, clinic, accession_number="ACC-1")


def _post_share(client, order_ids, **fields):
    data = {"order_ids": [str(i) for i in order_ids], "audience": "link", "password_choice": "generate"}
    data.update({"language": "en", **fields})
    return client.post(SHARE_ORDERS, data, **HTMX)


def test_the_dialog_is_a_fragment_for_htmx_and_a_page_otherwise(staff_client, order):
    fragment = staff_client.get(SHARE_ORDERS, {"order_ids": str(order.id)}, **HTMX)
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert b'id="dialog-title"' in fragment.content
    assert b"PE\xc3\x91A, Mar\xc3\xada Jos\xc3\xa9" in fragment.content
    assert b'list="share-contacts"' in fragment.content
    assert "HX-Request" in fragment["Vary"]
    page = staff_client.get(SHARE_ORDERS, {"order_ids": str(order.id)})
    assert b"<html" in page.content
    assert b'name="order_ids"' in page.content


def test_the_bulk_bars_token_never_stays_in_the_address(staff_client, order):
    response = staff_client.get(SHARE_ORDERS, {"csrfmiddlewaretoken": "abc", "order_ids": str(order.id), "next": "/o/"})
    assert response.status_code == 302
    assert "csrfmiddlewaretoken" not in response["Location"]
    assert str(order.id) in response["Location"]


def test_nothing_ticked_says_so(staff_client):
    response = staff_client.get(SHARE_ORDERS, **HTMX)
    assert response.status_code == 400
    assert b"Tick the orders to share first." in response.content
    assert staff_client.get(SHARE_ORDERS, {"order_ids": "not-a-uuid"}).status_code == 400


def test_sharing_shows_the_link_qr_and_password_once(staff_client, order):
    response = _post_share(staff_client, [order.id], title="For Dr. Who")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    [url] = re.findall(r'id="share-url" class="secret" type="text" value="([^"]+)"', html)
    [password] = re.findall(r'id="share-password" class="secret" type="text" value="([^"]+)"', html)
    assert "<svg" in html
    assert 'class="qr' in html
    token = urlsplit(url).path.split("/")[2]
    assert get_api().open_share(token=token, password=password, client_ip="192.0.2.1").ok
    share = OutsideShare.objects.get()
    assert share.title == "For Dr. Who"
    assert password not in share.password_hash


def test_refusals_come_back_next_to_their_fields(staff_client, order):
    response = _post_share(
        staff_client, [order.id], audience="email", email="", password_choice="type", password="", open_limit="0"
    )
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("email", "password", "open_limit"):
        assert f'id="id_{field}_error"' in html
    assert not OutsideShare.objects.exists()
    past = _post_share(staff_client, [order.id], expires="2000-01-01")
    assert past.status_code == 400
    assert 'id="id_expires_error"' in past.content.decode()


def test_folder_dialog_offers_upload_only(staff_client, staff_user):
    folder = get_api().create_folder(actor=staff_user, name="Referrals")
    url = reverse("sharing:share_folder", kwargs={"folder_id": folder.id})
    assert b'value="upload_email"' in staff_client.get(url).content
    assert b'value="upload_email"' not in staff_client.get(SHARE_ORDERS, {"order_ids": str(folder.id)}).content
    response = staff_client.post(
        url, {"audience": "upload_email", "email": "lab@example.org", "password_choice": "none", "language": "es"}
    )
    assert response.status_code == 200
    assert OutsideShare.objects.get().audience == "upload_email"


def test_my_shares_and_every_share(staff_client, admin_client, staff_user, admin_user, order):
    api = get_api()
    api.share_orders(
        actor=staff_user, order_ids=[order.id], audience=ShareAudience(link=True), options=ShareOptions(title="Sam's")
    )
    assert "Sam&#x27;s" in staff_client.get(MINE).content.decode()
    assert "Sam&#x27;s" not in admin_client.get(MINE).content.decode()
    assert "Sam&#x27;s" in admin_client.get(MINE, {"everyone": "1"}).content.decode()
    asked = staff_client.get(MINE, {"everyone": "1"}).content.decode()  # staff: still only theirs
    assert "<h1>My shares</h1>" in asked
    assert staff_client.get(MINE, {"page": "99999999999"}).status_code == 200
    fragment = staff_client.get(MINE, {"active": "on"}, **HTMX)
    assert b"<html" not in fragment.content


def test_change_with_a_new_password_shows_it_once(staff_client, staff_user, order):
    share = get_api().share_orders(
        actor=staff_user, order_ids=[order.id], audience=ShareAudience(link=True), options=ShareOptions()
    )
    url = reverse("sharing:change", kwargs={"share_id": share.id})
    response = staff_client.post(url, {"password_choice": "generate", "open_limit": "3", "downloadable": "on"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [password] = re.findall(
        r'id="share-password" class="secret" type="text" value="([^"]+)"', response.content.decode()
    )
    row = OutsideShare.objects.get()
    assert (row.open_limit, row.downloadable) == (3, True)
    assert row.password_hash
    assert password not in row.password_hash
    kept = staff_client.post(url, {"password_choice": "keep", "open_limit": ""})
    assert kept.status_code == 302
    assert OutsideShare.objects.get().open_limit is None
    bad = staff_client.post(url, {"password_choice": "type", "password": ""})
    assert bad.status_code == 400


def test_resend_without_an_address_says_why(staff_client, staff_user, order):
    share = get_api().share_orders(
        actor=staff_user, order_ids=[order.id], audience=ShareAudience(link=True), options=ShareOptions()
    )
    response = staff_client.post(reverse("sharing:resend", kwargs={"share_id": share.id}), follow=True)
    assert b"This share has no e-mail address" in response.content


def test_revoke_then_the_page_says_revoked(staff_client, staff_user, order):
    share = get_api().share_orders(
        actor=staff_user, order_ids=[order.id], audience=ShareAudience(link=True), options=ShareOptions()
    )
    response = staff_client.post(reverse("sharing:revoke", kwargs={"share_id": share.id}), follow=True)
    assert b"Its link no longer works." in response.content
    assert OutsideShare.objects.get().revoked_at is not None
    change = staff_client.post(reverse("sharing:change", kwargs={"share_id": share.id}), {"password_choice": "keep"})
    assert change.status_code == 403


def test_an_account_folder_share_is_changed_on_its_folder(staff_client, staff_user, clinic):
    from postdicom.local.access import profile_of
    from postdicom.types import Role
    from tests.conftest import make_user

    colleague = make_user("cora", Role.STAFF, [clinic])
    folder = get_api().create_folder(actor=staff_user, name="Team")
    (share,) = get_api().share_folder(
        actor=staff_user, folder_id=folder.id, audience=ShareAudience(user_ids=(profile_of(colleague).uuid,))
    )
    assert staff_client.get(reverse("sharing:change", kwargs={"share_id": share.id})).status_code == 403
    page = staff_client.get(reverse("sharing:detail", kwargs={"share_id": share.id}))
    assert page.status_code == 200
    assert b"Access log" not in page.content


def test_the_navigation_links_to_my_shares(staff_client):
    page = staff_client.get(reverse("orders:list"))
    assert f'href="{MINE}"'.encode() in page.content
