"""The DICOMweb read side under a token (``postdicom.server.scoped``): as the token's user,
only the token's orders, GET/HEAD only, URLs in the answers under the same prefix."""

from __future__ import annotations

import pytest

from postdicom.local.models import AuditRecord
from tests.postdicom.server import scoped_urls
from tests.postdicom.server.conftest import order_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.postdicom.server.scoped_urls")]


@pytest.fixture
def grants():
    scoped_urls.GRANTS.clear()
    yield scoped_urls.GRANTS
    scoped_urls.GRANTS.clear()


def _uids(answer) -> list[str]:
    return sorted(item["0020000D"]["Value"][0] for item in answer.json())


def test_only_the_scoped_orders(stored, client, grants, staff_user):
    ct, mr = stored["ct"], stored["mr"]
    grants["abc"] = (staff_user, [order_of(ct).uuid])
    base = "/t/abc/dicomweb"
    # No session: the token alone acts, as its user, for its one order.
    assert _uids(client.get(f"{base}/studies")) == [ct.study]
    assert client.get(f"{base}/studies", {"StudyInstanceUID": mr.study}).json() == []
    assert client.get(f"{base}/studies/{ct.study}/series").status_code == 200
    assert client.get(f"{base}/studies/{ct.study}/metadata").status_code == 200
    assert client.get(f"{base}{ct.url.removeprefix('/dicomweb')}/thumbnail").status_code == 200
    # Another study the user sees at /dicomweb/ is not there.
    for path in (f"/studies/{mr.study}", f"/studies/{mr.study}/metadata", mr.url.removeprefix("/dicomweb")):
        answer = client.get(base + path)
        assert answer.status_code == 404, path
    # Signed out, the ordinary mount still refuses.
    assert client.get("/dicomweb/studies").status_code == 401


def test_the_token_user_rules_still_apply(stored, client, grants, limited_user):
    """A scope narrows what its user sees; it never widens it."""
    ct = stored["ct"]
    grants["lim"] = (limited_user, [order_of(ct).uuid])
    assert client.get("/t/lim/dicomweb/studies").json() == []
    assert client.get(f"/t/lim/dicomweb/studies/{ct.study}/metadata").status_code == 404


def test_the_signed_in_user_does_not_leak_in(stored, admin_client, grants, staff_user):
    ct = stored["ct"]
    grants["abc"] = (staff_user, [order_of(ct).uuid])
    assert _uids(admin_client.get("/t/abc/dicomweb/studies")) == [ct.study]
    assert admin_client.get(f"/t/abc/dicomweb/studies/{stored['mr'].study}").status_code == 404
    assert len(admin_client.get("/dicomweb/studies").json()) == len(stored)


def test_urls_in_answers_point_under_the_prefix(stored, client, grants, staff_user):
    ct = stored["ct"]
    grants["abc"] = (staff_user, [order_of(ct).uuid])
    base = "http://testserver/t/abc/dicomweb/studies/"
    (study,) = client.get("/t/abc/dicomweb/studies").json()
    assert study["00081190"]["Value"] == [f"{base}{ct.study}"]
    (series,) = client.get(f"/t/abc/dicomweb/studies/{ct.study}/series").json()
    assert series["00081190"]["Value"] == [f"{base}{ct.study}/series/{ct.series}"]
    (instance,) = client.get(f"/t/abc/dicomweb/studies/{ct.study}/instances").json()
    assert instance["00081190"]["Value"][0].startswith(base)
    answer = client.get(f"/t/abc/dicomweb/studies/{ct.study}/metadata")
    metadata = b"".join(answer.streaming_content).decode()
    assert f"{base}{ct.study}/series/{ct.series}/instances/{ct.instance}/frames/1" in metadata
    assert "http://testserver/dicomweb/" not in metadata


def test_a_refused_token_answers_what_resolve_says(stored, client, grants, staff_user):
    ct = stored["ct"]
    answer = client.get(f"/t/nope/dicomweb/studies/{ct.study}/metadata")
    assert answer.status_code == 410
    # Revoked (gone from the grants): the next request is refused.
    grants["abc"] = (staff_user, [order_of(ct).uuid])
    assert client.get("/t/abc/dicomweb/studies").status_code == 200
    del grants["abc"]
    assert client.get("/t/abc/dicomweb/studies").status_code == 410


def test_only_get_and_head(stored, client, grants, staff_user):
    ct = stored["ct"]
    grants["abc"] = (staff_user, [order_of(ct).uuid])
    for method in (client.post, client.put, client.delete):
        assert method("/t/abc/dicomweb/studies").status_code == 405
    assert client.head(f"/t/abc/dicomweb/studies/{ct.study}/metadata").status_code == 200


def test_reads_are_audited_as_the_token_user(stored, client, grants, staff_user):
    ct = stored["ct"]
    grants["abc"] = (staff_user, [order_of(ct).uuid])
    before = AuditRecord.objects.count()
    b"".join(client.get(f"/t/abc/dicomweb/studies/{ct.study}/metadata").streaming_content)
    event = AuditRecord.objects.order_by("-id").first()
    assert AuditRecord.objects.count() == before + 1
    assert event is not None
    assert event.actor_id == staff_user.pk


def test_another_orders_series_or_instance_under_a_covered_study_is_not_there(stored, client, grants, staff_user):
    """An attacker holding a token for one study puts another order's series and instance UIDs
    (the user sees that order at /dicomweb/) under the covered study's path: every read side
    resource answers 404, never the other order's data."""
    ct, mr = stored["ct"], stored["mr"]
    grants["abc"] = (staff_user, [order_of(ct).uuid])
    mixed = f"/t/abc/dicomweb/studies/{ct.study}/series/{mr.series}"
    instance = f"{mixed}/instances/{mr.instance}"
    for path in (
        mixed,
        f"{mixed}/metadata",
        f"{mixed}/instances",
        instance,
        f"{instance}/metadata",
        f"{instance}/rendered",
        f"{instance}/thumbnail",
        f"{instance}/frames/1",
        f"{instance}/frames/1/rendered",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert mr.instance.encode() not in answer.content, path
    # The covered study's own series, with the other instance in it: not there either.
    own = f"/t/abc/dicomweb/studies/{ct.study}/series/{ct.series}/instances/{mr.instance}"
    assert client.get(own).status_code == 404
    assert client.get(f"{own}/frames/1").status_code == 404
