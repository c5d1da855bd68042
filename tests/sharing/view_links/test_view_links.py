"""View links: made through the service (who may link to what), opened without signing in
(the page and its scoped DICOMweb), bound to the address, expiring, revocable, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import AuditRecord, ViewLinkRecord
from postdicom.types import AuditAction, OrderDraft, UploadFile, ViewTarget
from tests.uploads.files import pdf_bytes

pytestmark = pytest.mark.django_db

HERE = "127.0.0.1"  # the test client's REMOTE_ADDR


def _link(actor, client_ip=HERE, **target):
    return get_api().view_url(actor=actor, target=ViewTarget(**target), client_ip=client_ip)


def _token(link) -> str:
    return link.url.strip("/").split("/")[-1]


def _studies(client: Client, link) -> list[str]:
    answer = client.get(f"{link.url}dicomweb/studies")
    assert answer.status_code == 200, answer.content
    return sorted(item["0020000D"]["Value"][0] for item in answer.json())


def _events(action: AuditAction, link=None):
    rows = AuditRecord.objects.filter(action=action)
    return rows.filter(target_id=str(link.id)) if link is not None else rows


def test_an_order_link_opens_its_order_only(scans, staff_user, client):
    order_id, ds = scans["ana1"]
    link = _link(staff_user, order_id=order_id)
    assert link.expires_at - timezone.now() == pytest.approx(dt.timedelta(hours=1), abs=dt.timedelta(seconds=30))
    page = client.get(link.url)
    assert page.status_code == 200
    assert b'id="rayport-viewer"' in page.content
    assert f"/v/{_token(link)}/dicomweb".encode() in page.content
    assert "no-store" in page["Cache-Control"]
    assert _studies(client, link) == [ds.StudyInstanceUID]
    other = scans["bea"][1]
    hidden = client.get(f"{link.url}dicomweb/studies/{other.StudyInstanceUID}/metadata")
    assert hidden.status_code == 404
    assert hidden["Content-Type"].startswith("application/json")  # the API's refusal, not a page
    unknown = client.get(f"{link.url}dicomweb/studies/{ds.StudyInstanceUID}/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json()["Success"] is False
    assert _token(link) not in unknown.content.decode()
    # The answers point under the link's own prefix.
    (study,) = client.get(f"{link.url}dicomweb/studies").json()
    assert urlsplit(study["00081190"]["Value"][0]).path.startswith(f"{link.url}dicomweb/studies/")


def test_the_token_is_kept_only_as_its_hash(scans, staff_user):
    link = _link(staff_user, order_id=scans["ana1"][0])
    token = _token(link)
    assert len(token) >= 43  # 256 bits, URL-safe base 64
    row = ViewLinkRecord.objects.get(uuid=link.id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(ViewLinkRecord.objects.values()))
    assert get_api().view_links(actor=staff_user)[0].url == ""


def test_only_from_the_address_it_was_made_for(scans, staff_user):
    link = _link(staff_user, client_ip="10.1.2.3", order_id=scans["ana1"][0])
    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    page = elsewhere.get(link.url)
    assert page.status_code == 403
    assert b"This link works on another network" in page.content
    assert elsewhere.get(f"{link.url}dicomweb/studies").status_code == 403
    there = Client(REMOTE_ADDR="10.1.2.3")
    assert there.get(link.url).status_code == 200
    assert len(_studies(there, link)) == 1
    refused = _events(AuditAction.VIEW_LINK_REFUSED, link)
    assert refused.count() == 2  # the page, and the first image request
    assert {r.detail["from_address"] for r in refused} == {"10.9.9.9"}


def test_refused_image_requests_are_audited_once(scans, staff_user):
    link = _link(staff_user, client_ip="10.1.2.3", order_id=scans["ana1"][0])
    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(3):
        assert elsewhere.get(f"{link.url}dicomweb/studies").status_code == 403
    assert _events(AuditAction.VIEW_LINK_REFUSED, link).count() == 1
    assert elsewhere.get(link.url).status_code == 403  # each refused page counts
    assert _events(AuditAction.VIEW_LINK_REFUSED, link).count() == 2


def test_an_expired_link_gets_a_clear_page(scans, staff_user, client):
    link = _link(staff_user, order_id=scans["ana1"][0])
    assert client.get(link.url).status_code == 200
    ViewLinkRecord.objects.filter(uuid=link.id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    page = client.get(link.url)
    assert page.status_code == 410
    assert b"This link has expired" in page.content
    assert client.get(f"{link.url}dicomweb/studies").status_code == 410
    assert _events(AuditAction.VIEW_LINK_REFUSED, link).first().detail["reason"] == "expired"


def test_revoking_counts_on_the_next_request(scans, staff_user, staff_client, client):
    _order_id, ds = scans["ana1"]
    link = _link(staff_user, order_id=scans["ana1"][0])
    series = f"{link.url}dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
    frames = f"{series}/instances/{ds.SOPInstanceUID}/frames/1"
    shown = client.get(frames)
    assert shown.status_code == 200
    # the browser asks again before showing its copy (no max-age), and is answered 304 until…
    assert shown["Cache-Control"] == "private, no-cache"
    assert client.get(frames, headers={"If-None-Match": shown["ETag"]}).status_code == 304
    confirm = staff_client.get(f"/view-links/{link.id}/revoke/")
    assert confirm.status_code == 200
    assert staff_client.post(f"/view-links/{link.id}/revoke/").status_code == 302
    assert client.get(frames).status_code == 410
    assert client.get(frames, headers={"If-None-Match": shown["ETag"]}).status_code == 410  # …revoked
    page = client.get(link.url)
    assert page.status_code == 410
    assert b"This link was revoked" in page.content
    assert _events(AuditAction.VIEW_LINK_REVOKED, link).count() == 1
    get_api().revoke_view_link(actor=staff_user, link_id=link.id)  # again: nothing new
    assert _events(AuditAction.VIEW_LINK_REVOKED, link).count() == 1


def test_only_the_maker_revokes(scans, staff_user, admin_user, admin_client):
    link = _link(staff_user, order_id=scans["ana1"][0])
    assert admin_client.post(f"/view-links/{link.id}/revoke/").status_code == 404
    with pytest.raises(NotFound):
        get_api().revoke_view_link(actor=admin_user, link_id=link.id)
    assert not ViewLinkRecord.objects.get(uuid=link.id).revoked_at


def test_unknown_token_gets_a_clear_page(db, client):
    page = client.get("/v/not-a-real-token/")
    assert page.status_code == 404
    assert b"No such link" in page.content
    assert client.get("/v/not-a-real-token/dicomweb/studies").status_code == 404


def test_the_refused_page_speaks_spanish(scans, staff_user):
    link = _link(staff_user, order_id=scans["ana1"][0])
    get_api().revoke_view_link(actor=staff_user, link_id=link.id)
    page = Client(HTTP_ACCEPT_LANGUAGE="es").get(link.url)
    assert page.status_code == 410
    assert b"Este enlace fue revocado" in page.content


def test_every_use_is_audited(scans, staff_user, client):
    order_id, _ds = scans["ana1"]
    link = _link(staff_user, order_id=order_id)
    made = _events(AuditAction.VIEW_LINK_CREATED, link).get()
    assert made.actor_id == staff_user.pk
    assert made.detail["for_address"] == HERE
    client.get(link.url)
    client.get(link.url)
    used = _events(AuditAction.VIEW_LINK_USED, link)
    assert used.count() == 2
    assert {event.ip for event in used} == {HERE}
    opened = AuditRecord.objects.filter(action=AuditAction.ORDER_VIEWER_OPENED, target_id=str(order_id))
    assert {event.actor_id for event in opened} == {staff_user.pk}


def test_a_patient_link_covers_the_patients_orders(scans, staff_user, clinic, client):
    link = _link(staff_user, patient_name="garcia, ana")
    assert sorted(link.order_ids) == sorted([scans["ana1"][0], scans["ana2"][0]])
    assert _studies(client, link) == sorted([scans["ana1"][1].StudyInstanceUID, scans["ana2"][1].StudyInstanceUID])
    page = client.get(link.url)
    for order_id, _ds in (scans["ana1"], scans["ana2"]):  # both to choose from
        assert f'<option value="{order_id}"'.encode() in page.content
    # Asking the page for an order the link does not cover (one its maker sees) shows a covered one.
    foreign_id, foreign = scans["bea"]
    asked = client.get(link.url, {"order": str(foreign_id)})
    assert asked.status_code == 200
    assert str(foreign_id).encode() not in asked.content
    assert foreign.StudyInstanceUID.encode() not in asked.content
    assert b"Ruiz" not in asked.content
    # With the birth date, a namesake born another day is left out.
    other = get_api().create_order(
        actor=staff_user,
        institution_id=clinic.uuid,
        draft=OrderDraft(
            patient_name="García^Ana",
            patient_id="Z",
            modality="CT",
            order_date=dt.date(2026, 11, 1),
            birth_date=dt.date(1999, 9, 9),
        ),
    )
    assert other.id in _link(staff_user, patient_name="García^Ana").order_ids
    born = _link(staff_user, patient_name="García^Ana", birth_date=dt.date(1980, 1, 2))
    assert sorted(born.order_ids) == sorted([scans["ana1"][0], scans["ana2"][0]])
    with pytest.raises(InvalidInput):
        _link(staff_user, patient_name="Nobody^Here")


def test_a_folder_link_follows_the_folder(scans, staff_user, client):
    api = get_api()
    folder = api.create_folder(actor=staff_user, name="Teaching")
    api.add_order_to_folders(actor=staff_user, order_id=scans["bea"][0], folder_ids=[folder.id])
    link = _link(staff_user, folder_id=folder.id)
    assert _studies(client, link) == [scans["bea"][1].StudyInstanceUID]
    api.add_order_to_folders(actor=staff_user, order_id=scans["ana1"][0], folder_ids=[folder.id])
    assert len(_studies(client, link)) == 2
    api.remove_orders_from_folder(actor=staff_user, folder_id=folder.id, order_ids=[scans["bea"][0]])
    assert _studies(client, link) == [scans["ana1"][1].StudyInstanceUID]


def test_who_may_link_to_what(scans, staff_user, limited_user, outsider, limited_client, outsider_client):
    order_id = scans["ana1"][0]
    for who in (limited_user, outsider):
        with pytest.raises(NotFound):
            _link(who, order_id=order_id)
    assert limited_client.post(f"/view-links/order/{order_id}/", {"reach": "order", "lifetime": 60}).status_code == 404
    assert outsider_client.get(f"/view-links/order/{order_id}/").status_code == 404
    # Someone else's folder does not exist for them.
    folder = get_api().create_folder(actor=staff_user, name="Mine")
    with pytest.raises(NotFound):
        _link(outsider, folder_id=folder.id)
    # A patient link never reaches what the maker cannot see.
    with pytest.raises(InvalidInput):
        _link(limited_user, patient_name="García^Ana")
    # Assigned, the limited user links to that order, and the link reaches it only.
    get_api().assign_order(actor=staff_user, order_id=order_id, user_id=limited_user.profile.uuid)
    link = _link(limited_user, patient_name="García^Ana")
    assert link.order_ids == (order_id,)


def test_a_link_reaches_only_what_its_maker_still_sees(scans, staff_user, limited_user, client):
    order_id = scans["ana1"][0]
    get_api().assign_order(actor=staff_user, order_id=order_id, user_id=limited_user.profile.uuid)
    link = _link(limited_user, order_id=order_id)
    assert client.get(link.url).status_code == 200
    get_api().unassign_order(actor=staff_user, order_id=order_id, user_id=limited_user.profile.uuid)
    assert client.get(link.url).status_code == 410
    assert client.get(f"{link.url}dicomweb/studies").status_code == 410


def test_a_deactivated_maker_withdraws_the_link(scans, staff_user, client):
    link = _link(staff_user, order_id=scans["ana1"][0])
    staff_user.is_active = False
    staff_user.save(update_fields=["is_active"])
    assert client.get(link.url).status_code == 410


def test_bad_input(scans, staff_user):
    order_id = scans["ana1"][0]
    api = get_api()
    for lifetime in (dt.timedelta(minutes=1), dt.timedelta(days=8)):
        with pytest.raises(InvalidInput) as raised:
            api.view_url(actor=staff_user, target=ViewTarget(order_id=order_id), client_ip=HERE, lifetime=lifetime)
        assert "lifetime" in raised.value.field_errors
    with pytest.raises(InvalidInput) as raised:
        api.view_url(actor=staff_user, target=ViewTarget(order_id=order_id), client_ip="not an address")
    assert "client_ip" in raised.value.field_errors
    with pytest.raises(InvalidInput):
        api.view_url(actor=staff_user, target=ViewTarget(), client_ip=HERE)
    with pytest.raises(InvalidInput):
        api.view_url(actor=staff_user, target=ViewTarget(order_id=order_id, patient_name="X^Y"), client_ip=HERE)


def test_the_pages_that_make_links(scans, staff_client, staff_user):
    order_id = scans["ana1"][0]
    form = staff_client.get(f"/view-links/order/{order_id}/")
    assert form.status_code == 200
    made = staff_client.post(f"/view-links/order/{order_id}/", {"reach": "patient", "lifetime": 240})
    assert made.status_code == 200
    assert "no-store" in made["Cache-Control"]
    (link,) = get_api().view_links(actor=staff_user)
    assert link.kind == "patient"
    assert link.expires_at - link.created_at == pytest.approx(dt.timedelta(hours=4), abs=dt.timedelta(seconds=5))
    assert b"http://testserver/v/" in made.content
    listing = staff_client.get("/view-links/")
    assert link.label.encode() in listing.content
    bad = staff_client.post("/view-links/patient/", {"patient_name": "Nobody", "lifetime": 60})
    assert bad.status_code == 400
    assert b"You see no order of a patient by this name" in bad.content
    good = staff_client.post("/view-links/patient/", {"patient_name": "Ruiz, Bea", "lifetime": 15})
    assert good.status_code == 200
    folder = get_api().create_folder(actor=staff_user, name="Teaching")
    assert staff_client.get(f"/view-links/folder/{folder.id}/").status_code == 200
    assert staff_client.post(f"/view-links/folder/{folder.id}/", {"lifetime": 60}).status_code == 200


def _document(actor, order_id, tmp_path, name="report.pdf"):
    path = tmp_path / name
    path.write_bytes(pdf_bytes())
    (document,) = (
        get_api()
        .upload_documents(
            actor=actor, order_id=order_id, files=[UploadFile(name=name, path=str(path), size=path.stat().st_size)]
        )
        .added
    )
    return document


def test_the_page_shows_the_orders_documents_under_the_link(scans, staff_user, client, tmp_path):
    """Documents are listed in the viewer's configuration with URLs under the link's prefix,
    served inline (never as an attachment) and never cached; the page offers no ZIP."""
    order_id, _ds = scans["ana1"]
    document = _document(staff_user, order_id, tmp_path)
    link = _link(staff_user, order_id=order_id)
    page = client.get(link.url)
    found = re.search(rb'id="rayport-viewer"[^>]*>(.*?)</script>', page.content, re.S)
    assert found is not None
    config = json.loads(found[1])
    (entry,) = config["documents"]
    assert entry["url"] == f"{link.url}orders/{order_id}/documents/{document.id}/"
    assert "downloadUrl" not in entry
    assert config["downloadUrl"] is None
    answer = client.get(entry["url"])
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"%PDF")
    assert answer["Content-Type"] == "application/pdf"
    assert not answer.get("Content-Disposition", "").startswith("attachment")
    assert "no-store" in answer["Cache-Control"]
    assert "default-src 'none'" in answer["Content-Security-Policy"]
    # ?download=1 changes nothing: a view link only shows.
    assert not client.get(f"{entry['url']}?download=1").get("Content-Disposition", "").startswith("attachment")
    read = AuditRecord.objects.filter(action=AuditAction.ORDER_DOCUMENT_VIEWED, target_id=str(order_id))
    assert {event.actor_id for event in read} == {staff_user.pk}  # as the maker


def test_a_document_is_refused_as_the_link_is(scans, staff_user, client, tmp_path):
    """Another order's document (even the maker's), another address, expiry and revocation."""
    order_id, _ds = scans["ana1"]
    other_id, _other = scans["bea"]
    mine = _document(staff_user, order_id, tmp_path)
    foreign = _document(staff_user, other_id, tmp_path, "other.pdf")
    link = _link(staff_user, order_id=order_id)
    url = f"{link.url}orders/{order_id}/documents/{mine.id}/"
    assert client.get(url).status_code == 200
    assert client.get(f"{link.url}orders/{other_id}/documents/{foreign.id}/").status_code == 404
    assert client.get(f"{link.url}orders/{order_id}/documents/{foreign.id}/").status_code == 404
    assert Client(REMOTE_ADDR="10.9.9.9").get(url).status_code == 403
    ViewLinkRecord.objects.filter(pk__isnull=False).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = client.get(url)
    assert expired.status_code == 410
    assert b"expired" in expired.content
    fresh = _link(staff_user, order_id=order_id)
    get_api().revoke_view_link(actor=staff_user, link_id=fresh.id)
    assert client.get(f"{fresh.url}orders/{order_id}/documents/{mine.id}/").status_code == 410
