"""The public pages of a share link (issue 12): the door, the password and its limits,
refusals at the very next request, and that a share reaches nothing outside what it covers."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from postdicom import get_api
from postdicom.local.models import AuditRecord, OutsideShare, ShareAccess
from postdicom.types import SHARE_FAILURES_BEFORE_LOCK
from tests.sharing.conftest import PASSWORD, share_of, unlock

pytestmark = pytest.mark.django_db


def _row(token: str) -> OutsideShare:
    from postdicom.local.outside.secrets import token_hash

    return OutsideShare.objects.get(token_hash=token_hash(token))


@pytest.fixture
def hashes(monkeypatch):
    """Counts the password checks the service makes (Django's hasher), calling through."""
    from postdicom.local.outside import secrets as share_secrets

    calls = []
    real = share_secrets.check_password

    def counting(password, encoded, *args, **kwargs):
        calls.append(password)
        return real(password, encoded, *args, **kwargs)

    monkeypatch.setattr(share_secrets, "check_password", counting)
    return calls


def test_the_door_asks_for_the_password_and_sends_the_safety_headers(visitor, token_a):
    response = visitor.get(f"/s/{token_a}/")
    assert response.status_code == 200
    assert 'type="password"' in response.text
    assert "Alpha" not in response.text  # nothing of the share before the password
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]


def test_the_right_password_shows_the_shared_order_only(visitor, token_a, order_a, order_b):
    answer, _door = unlock(visitor, token_a)
    assert answer.status_code == 302
    assert answer["Location"] == f"/s/{token_a}/"
    page = visitor.get(f"/s/{token_a}/")
    assert page.status_code == 200
    assert "ALPHA, Ana" in page.text or "Alpha" in page.text
    assert "Bravo" not in page.text
    assert f"/s/{token_a}/dicomweb/studies/{order_a.study}/series/{order_a.series}/instances/" in page.text
    order_page = visitor.get(f"/s/{token_a}/orders/{order_a.id}/")
    assert order_page.status_code == 200
    assert "report-a.pdf" in order_page.text
    assert order_page["Cache-Control"] == "no-store"


def test_an_unknown_link_and_a_wrong_password_look_alike_and_both_hash(visitor, token_a, hashes):
    unknown = secrets.token_urlsafe(32)
    wrong, _door = unlock(visitor, token_a, "not-the-password")
    assert len(hashes) == 1
    stranger, _door2 = unlock(Client(), unknown, "not-the-password")
    assert len(hashes) == 2  # a dummy hash for the unknown link: the same work, the same time
    assert wrong.status_code == stranger.status_code == 200

    def visible(response):  # the page without the per-visitor form token and the link itself
        text = response.text.replace(token_a, "T").replace(unknown, "T")
        return "\n".join(line for line in text.splitlines() if "csrf" not in line)

    assert visible(wrong) == visible(stranger)
    assert "That password is not right" in wrong.text


def test_wrong_passwords_lock_the_share_before_any_hashing(visitor, token_a, hashes):
    for _ in range(SHARE_FAILURES_BEFORE_LOCK - 1):
        answer, _door = unlock(visitor, token_a, "guess")
        assert answer.status_code == 200
    answer, _door = unlock(visitor, token_a, "guess")
    assert answer.status_code == 429
    assert int(answer["Retry-After"]) > 60
    assert "Wait 15 minutes" in answer.text
    counted = len(hashes)
    # Locked: even the right password, from another browser, is not even checked.
    other = Client()
    answer, door = unlock(other, token_a, PASSWORD)
    assert door.status_code == 429  # the door already says so
    assert answer.status_code == 429
    assert len(hashes) == counted
    kinds = list(ShareAccess.objects.filter(share=_row(token_a)).values_list("kind", flat=True))
    assert kinds.count("failed_password") == SHARE_FAILURES_BEFORE_LOCK
    assert "locked" in kinds


def test_one_client_trying_many_links_is_paused_before_any_hashing(settings, token_a, hashes):
    settings.RAYPORT_SHARE_FAILURES_PER_CLIENT = 3
    prober = {"REMOTE_ADDR": "198.51.100.9"}
    for _ in range(2):
        answer, _door = unlock(Client(), secrets.token_urlsafe(32), "guess", **prober)
        assert answer.status_code == 200
    answer, _door = unlock(Client(), secrets.token_urlsafe(32), "guess", **prober)
    assert answer.status_code == 429
    counted = len(hashes)
    answer, _door = unlock(Client(), token_a, PASSWORD, **prober)  # the right one, paused all the same
    assert answer.status_code == 429
    assert len(hashes) == counted
    # Another address is not paused.
    answer, _door = unlock(Client(), token_a, PASSWORD, REMOTE_ADDR="192.0.2.44")
    assert answer.status_code == 302


def test_revocation_counts_at_the_next_request(visitor, staff_user, token_a, order_a):
    unlock(visitor, token_a)
    image = f"/s/{token_a}/dicomweb/studies/{order_a.study}/series/{order_a.series}/instances/{order_a.instance}"
    assert visitor.get(f"/s/{token_a}/").status_code == 200
    shown = visitor.get(f"{image}/thumbnail")
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "no-store"  # nothing of a share outlives its revocation in the browser
    get_api().revoke_share(actor=staff_user, share_id=_row(token_a).uuid)
    gone = visitor.get(f"/s/{token_a}/")
    assert gone.status_code == 410
    assert "withdrawn" in gone.text
    assert visitor.get(f"/s/{token_a}/orders/{order_a.id}/").status_code == 410
    assert visitor.get(f"{image}/thumbnail").status_code == 410
    assert visitor.get(f"/s/{token_a}/dicomweb/studies").status_code == 410
    assert Client().get(f"/s/{token_a}/").status_code == 410  # and at once for a new visitor


def test_expiry_counts_at_the_next_request(visitor, token_a, order_a):
    unlock(visitor, token_a)
    assert visitor.get(f"/s/{token_a}/orders/{order_a.id}/").status_code == 200
    OutsideShare.objects.filter(pk=_row(token_a).pk).update(expires=timezone.localdate() - dt.timedelta(days=1))
    gone = visitor.get(f"/s/{token_a}/orders/{order_a.id}/")
    assert gone.status_code == 410
    assert "expired" in gone.text
    assert visitor.get(f"/s/{token_a}/dicomweb/studies/{order_a.study}/series").status_code == 410


def test_a_used_up_share_shows_its_page_at_once(staff_user, order_a):
    token = share_of(staff_user, order_a, open_limit=1)
    first = Client()
    unlock(first, token)
    assert first.get(f"/s/{token}/").status_code == 200  # the visitor who used it keeps it
    late = Client().get(f"/s/{token}/")
    assert late.status_code == 410
    assert "set number of times" in late.text


def test_refused_visits_are_in_the_owners_access_log(visitor, staff_user, staff_client, token_a, order_a):
    unlock(visitor, token_a)
    image = f"/s/{token_a}/dicomweb/studies/{order_a.study}/series/{order_a.series}/instances/{order_a.instance}"
    OutsideShare.objects.filter(pk=_row(token_a).pk).update(expires=timezone.localdate() - dt.timedelta(days=1))
    assert visitor.get(f"/s/{token_a}/").status_code == 410  # the visitor who had it open
    assert visitor.get(f"{image}/thumbnail").status_code == 410  # and the page's images: logged once
    assert Client().get(f"/s/{token_a}/").status_code == 410  # a new visitor, at the door
    refused = ShareAccess.objects.filter(share=_row(token_a), kind="refused")
    assert list(refused.values_list("detail", flat=True)) == ["expired"]  # same address, moments apart
    assert AuditRecord.objects.filter(action="share.refused", detail__reason="expired").count() == 1
    page = staff_client.get(reverse("sharing:detail", kwargs={"share_id": _row(token_a).uuid}))
    assert "Refused" in page.text
    assert "the link had expired" in page.text


def test_a_share_of_order_a_reaches_nothing_of_order_b(visitor, token_a, order_a, order_b):
    unlock(visitor, token_a)
    base = f"/s/{token_a}"
    studies = visitor.get(f"{base}/dicomweb/studies")
    assert studies.status_code == 200
    assert order_a.study in studies.text
    assert order_b.study not in studies.text
    b_image = f"{base}/dicomweb/studies/{order_b.study}/series/{order_b.series}/instances/{order_b.instance}"
    for path in (
        f"{base}/orders/{order_b.id}/",
        f"{base}/orders/{order_b.id}/documents/{order_b.document}/",
        f"{base}/orders/{order_a.id}/documents/{order_b.document}/",
        f"{base}/dicomweb/studies/{order_b.study}",
        f"{base}/dicomweb/studies/{order_b.study}/series",
        f"{base}/dicomweb/studies/{order_b.study}/metadata",
        f"{b_image}",
        f"{b_image}/frames/1",
        f"{b_image}/thumbnail",
        f"{b_image}/rendered",
    ):
        assert visitor.get(path).status_code == 404, path
    # A's are served.
    assert visitor.get(f"{base}/orders/{order_a.id}/documents/{order_a.document}/").status_code == 200


def test_a_visitor_who_did_not_unlock_gets_nothing(token_a, order_a):
    stranger = Client()
    base = f"/s/{token_a}"
    assert stranger.get(f"{base}/orders/{order_a.id}/").status_code == 302  # to the door
    assert stranger.get(f"{base}/dicomweb/studies").status_code == 403
    image = f"{base}/dicomweb/studies/{order_a.study}/series/{order_a.series}/instances/{order_a.instance}"
    assert stranger.get(f"{image}/thumbnail").status_code == 403


def test_the_unlock_form_needs_the_visitors_form_token(visitor, token_a, hashes):
    visitor.get(f"/s/{token_a}/")
    answer = visitor.post(f"/s/{token_a}/unlock/", {"password": PASSWORD, "share_csrf": "forged"})
    assert answer.status_code == 403
    assert hashes == []


def test_opens_views_and_failures_are_in_the_access_log_and_the_audit_trail(visitor, token_a, order_a):
    unlock(visitor, token_a, "wrong")
    unlock(visitor, token_a)
    visitor.get(f"/s/{token_a}/orders/{order_a.id}/")
    row = _row(token_a)
    kinds = sorted(ShareAccess.objects.filter(share=row).values_list("kind", flat=True))
    assert kinds == ["failed_password", "opened", "viewed"]
    actions = set(AuditRecord.objects.filter(target_id=str(row.uuid)).values_list("action", flat=True))
    assert {"share.password_failed", "share.opened", "share.viewed"} <= actions


def test_the_page_follows_the_shares_language_with_a_switch(staff_user, order_a):
    token = share_of(staff_user, order_a, language="es")
    visitor = Client()
    door = visitor.get(f"/s/{token}/")
    assert '<html lang="es">' in door.text
    assert "Contraseña" in door.text
    english = visitor.get(f"/s/{token}/?lang=en")
    assert '<html lang="en">' in english.text
    assert '<html lang="en">' in visitor.get(f"/s/{token}/").text  # the choice is kept


def test_the_zip_download_only_when_the_share_allows_it(staff_user, order_a, order_b):
    import io
    import zipfile

    closed = share_of(staff_user, order_a)
    visitor = Client()
    unlock(visitor, closed)
    assert "Download" not in visitor.get(f"/s/{closed}/").text
    assert visitor.get(f"/s/{closed}/download/").status_code == 404
    assert visitor.get(f"/s/{closed}/orders/{order_a.id}/download/").status_code == 404
    assert visitor.get(f"/s/{closed}/orders/{order_a.id}/documents/{order_a.document}/?download=1")[
        "Content-Disposition"
    ].startswith("inline")

    open_ = share_of(staff_user, order_a, downloadable=True)
    visitor = Client()
    unlock(visitor, open_)
    assert f"/s/{open_}/download/" in visitor.get(f"/s/{open_}/").text
    answer = visitor.get(f"/s/{open_}/download/")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/zip"
    assert answer["Cache-Control"] == "no-store"
    names = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content))).namelist()  # type: ignore[attr-defined]
    assert "DICOMDIR" in names
    assert any(name.endswith("report-a.pdf") for name in names)
    assert not any("report-b" in name for name in names)  # order B is not in it
    assert visitor.get(f"/s/{open_}/orders/{order_b.id}/download/").status_code == 404
    assert ShareAccess.objects.filter(share=_row(open_), kind="downloaded").count() == 1


def test_the_viewer_reads_images_from_the_links_own_mount(visitor, token_a, order_a, order_b):
    import json
    import re

    unlock(visitor, token_a)
    page = visitor.get(f"/s/{token_a}/orders/{order_a.id}/view/")
    assert page.status_code == 200
    assert "'wasm-unsafe-eval'" in page["Content-Security-Policy"]
    found = re.search(r'<script id="rayport-viewer" type="application/json">(.*?)</script>', page.text, re.S)
    assert found is not None
    config = json.loads(found[1])
    assert config["dicomweb"] == f"/s/{token_a}/dicomweb"
    assert [s["uid"] for s in config["studies"]] == [order_a.study]
    assert config["downloadUrl"] is None
    assert visitor.get(f"/s/{token_a}/orders/{order_b.id}/view/").status_code == 404


def test_a_new_password_asks_every_visitor_again(visitor, staff_user, token_a, order_a):
    unlock(visitor, token_a)
    assert visitor.get(f"/s/{token_a}/orders/{order_a.id}/").status_code == 200
    row = _row(token_a)
    get_api().update_share(
        actor=staff_user,
        share_id=row.uuid,
        expires=row.expires,
        downloadable=row.downloadable,
        open_limit=row.open_limit,
        new_password="Another-Harbor-9902",
    )
    assert visitor.get(f"/s/{token_a}/orders/{order_a.id}/").status_code == 302  # to the door
    assert visitor.get(f"/s/{token_a}/dicomweb/studies").status_code == 403
    answer, _door = unlock(visitor, token_a, "Another-Harbor-9902")
    assert answer.status_code == 302
    assert visitor.get(f"/s/{token_a}/orders/{order_a.id}/").status_code == 200


def test_a_wrong_password_and_an_unknown_link_take_the_same_time(settings, token_a):
    """Without the hold, a wrong password took ~90 ms here and an unknown link ~67 ms (the
    count, access log and audit event of a real share): a timing tell of which links exist."""
    import statistics
    import time

    settings.RAYPORT_SHARE_REFUSAL_SECONDS = 0.5
    settings.RAYPORT_SHARE_FAILURES_PER_CLIENT = 1000

    def refused(token: str) -> float:
        client = Client()
        client.get(f"/s/{token}/")
        csrf = client.session["rayport_share_csrf"]
        start = time.perf_counter()
        answer = client.post(f"/s/{token}/unlock/", {"password": "wrong-one", "share_csrf": csrf})
        assert answer.status_code == 200
        return time.perf_counter() - start

    wrong, unknown = [], []
    for _ in range(SHARE_FAILURES_BEFORE_LOCK - 1):  # stays under the share's lock
        wrong.append(refused(token_a))
        unknown.append(refused(secrets.token_urlsafe(32)))
    assert min(wrong + unknown) >= 0.5
    assert abs(statistics.median(wrong) - statistics.median(unknown)) < 0.05
