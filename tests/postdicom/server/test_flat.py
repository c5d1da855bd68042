"""PostDICOM's flat DICOMweb paths (``postdicom.server.flat``) as an attacker meets them: a
series or instance named without its study is found only among the studies the caller may
see, so an outsider, a limited user it is not assigned to and a view link's token all get
what the standard paths give them (404, or nothing at all)."""

from __future__ import annotations

import pytest

from postdicom import get_api
from postdicom.local.access import profile_of
from tests.postdicom.server import scoped_urls
from tests.postdicom.server.conftest import order_of

pytestmark = pytest.mark.django_db


def _flat(item) -> dict[str, str]:
    return {
        "series search": f"/dicomweb/studies/series?0020000D={item.study}",
        "instance search": f"/dicomweb/studies/series/instances?0020000E={item.series}",
        "series files": f"/dicomweb/studies/series/{item.series}",
        "instance file": f"/dicomweb/studies/series/instances/{item.instance}",
    }


def _statuses(client, item) -> dict[str, int]:
    return {name: client.get(path).status_code for name, path in _flat(item).items()}


def test_the_flat_paths_answer_only_what_the_caller_may_see(
    stored, staff_client, limited_client, outsider_client, staff_user, limited_user
):
    ct = stored["ct"]
    assert set(_statuses(staff_client, ct).values()) == {200}
    assert set(_statuses(outsider_client, ct).values()) == {404}
    assert set(_statuses(limited_client, ct).values()) == {404}
    get_api().assign_order(actor=staff_user, order_id=order_of(ct).uuid, user_id=profile_of(limited_user).uuid)
    assert set(_statuses(limited_client, ct).values()) == {200}
    get_api().delete_order(actor=staff_user, order_id=order_of(ct).uuid)  # the recycle bin is not served
    assert set(_statuses(staff_client, ct).values()) == {404}


def test_a_series_of_one_study_is_not_reached_through_another(stored, staff_client):
    """The flat series search takes the study from its query, not from the series."""
    ct, mr = stored["ct"], stored["mr"]
    answer = staff_client.get("/dicomweb/studies/series", {"0020000D": mr.study})
    assert ct.series not in answer.content.decode()


@pytest.mark.urls("tests.postdicom.server.scoped_urls")
def test_a_view_link_token_has_no_flat_paths(stored, client, staff_user):
    ct = stored["ct"]
    scoped_urls.GRANTS.clear()
    scoped_urls.GRANTS["abc"] = (staff_user, [order_of(ct).uuid])
    try:
        for name, path in _flat(ct).items():
            assert client.get(path.replace("/dicomweb/", "/t/abc/dicomweb/")).status_code == 404, name
    finally:
        scoped_urls.GRANTS.clear()
