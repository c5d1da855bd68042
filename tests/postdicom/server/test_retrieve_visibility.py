"""WADO-RS and QIDO-RS under the visibility rule as a viewer meets it: a revoked folder share
or a removed assignment ends access on the very next request (nothing is remembered between
requests), and one image request costs a handful of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postdicom import get_api
from postdicom.types import ShareAudience
from tests.postdicom.server.conftest import order_of

pytestmark = pytest.mark.django_db


def _reads(item) -> dict[str, str]:
    study = f"/dicomweb/studies/{item.study}"
    return {
        "frame": f"{item.url}/frames/1",
        "instance": item.url,
        "instance_metadata": f"{item.url}/metadata",
        "series": f"{study}/series/{item.series}",
        "series_instances": f"{study}/series/{item.series}/instances",
    }


def _statuses(client, item) -> dict[str, int]:
    return {name: client.get(path).status_code for name, path in _reads(item).items()}


def _filed_and_shared(owner, recipient, item, *, restricted: bool):
    api = get_api()
    folder = api.create_folder(actor=owner, name="Reading list")
    api.add_order_to_folders(actor=owner, order_id=order_of(item).uuid, folder_ids=[folder.id])
    (share,) = api.share_folder(
        actor=owner,
        folder_id=folder.id,
        audience=ShareAudience(user_ids=(recipient.profile.uuid,)),
        includes_restricted_orders=restricted,
    )
    return share


def test_a_revoked_folder_share_ends_access_on_the_next_request(stored, limited_client, staff_user, limited_user):
    item = stored["ct"]
    share = _filed_and_shared(staff_user, limited_user, item, restricted=True)
    assert set(_statuses(limited_client, item).values()) == {200}
    get_api().revoke_folder_share(actor=staff_user, share_id=share.id)
    assert set(_statuses(limited_client, item).values()) == {404}
    assert limited_client.get("/dicomweb/studies").json() == []


def test_a_share_without_restricted_orders_shows_nothing_more(stored, limited_client, staff_user, limited_user):
    item = stored["ct"]
    _filed_and_shared(staff_user, limited_user, item, restricted=False)
    assert set(_statuses(limited_client, item).values()) == {404}


def test_a_removed_assignment_ends_access_on_the_next_request(stored, limited_client, staff_user, limited_user):
    item = stored["mr"]
    api = get_api()
    order_id = order_of(item).uuid
    api.assign_order(actor=staff_user, order_id=order_id, user_id=limited_user.profile.uuid)
    assert set(_statuses(limited_client, item).values()) == {200}
    api.unassign_order(actor=staff_user, order_id=order_id, user_id=limited_user.profile.uuid)
    assert set(_statuses(limited_client, item).values()) == {404}


def test_staff_of_another_institution_see_it_only_while_shared(stored, outsider_client, outsider, admin_user):
    item = stored["ct"]
    assert set(_statuses(outsider_client, item).values()) == {404}
    share = _filed_and_shared(admin_user, outsider, item, restricted=True)
    assert set(_statuses(outsider_client, item).values()) == {200}
    get_api().revoke_folder_share(actor=admin_user, share_id=share.id)
    assert set(_statuses(outsider_client, item).values()) == {404}


def test_a_frame_costs_a_few_queries_and_no_session_write(stored, staff_client):
    item = stored["ct"]
    path = _reads(item)["frame"]
    assert staff_client.get(path).status_code == 200  # the session's first touch after sign-in
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(path)
        assert response.status_code == 200
        assert response.content
    statements = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in statements if "django_session" in s and not s.startswith("SELECT")], statements
    # The session, the user, their profile, their institutions and the instance rows.
    assert len(statements) <= 5, statements
