"""The counts the folder pages show (side tree, heading, sub-folder table, search results) are
exact for each role on the very next page after an order goes to the recycle bin, comes back,
or stops being visible to the folder's owner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postdicom import get_api
from tests.folders.conftest import HTMX
from tests.orders.conftest import new_order
from tests.postdicom.local.orders_setup import uid

pytestmark = pytest.mark.django_db


def spoken(here: int, below: int) -> str:
    """What the side tree says of a folder's counts to a screen reader."""
    return f"({here} order{'s' if here != 1 else ''} here, {below} with its sub-folders)"


@pytest.fixture(params=["staff", "admin", "limited"])
def owner(request, staff_user, admin_user, limited_user, clinic):
    """A user of each role with Cardiology / March holding two orders (assigned to the
    limited user), one of them also in Cardiology; returns (user, client, orders)."""
    user = {"staff": staff_user, "admin": admin_user, "limited": limited_user}[request.param]
    api = get_api()
    orders = [new_order(staff_user, clinic, patient_id=f"P-{n}", accession_number=f"AN-{n}") for n in (1, 2)]
    if user is limited_user:
        for order in orders:
            api.assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    march = api.create_folder(actor=user, name="Cardiology/March")
    api.add_order_to_folders(actor=user, order_id=orders[0].id, folder_ids=[march.id, march.ancestors[0].id])
    api.add_order_to_folders(actor=user, order_id=orders[1].id, folder_ids=[march.id])
    client = request.getfixturevalue(f"{request.param}_client")
    return user, client, orders, march


def shown(client, march) -> dict[str, object]:
    """What the folder pages show of the counts, from the home page, March's page, the
    Cardiology branch of the side tree and a search."""
    cardiology = march.ancestors[0]
    home = client.get(reverse("folders:tree"))
    page = client.get(reverse("folders:detail", args=[march.id]))
    branch = client.get(reverse("folders:children", args=[cardiology.id]), **HTMX)
    search = client.get(reverse("folders:tree"), {"q": "march"}, **HTMX)
    for response in (home, page, branch, search):
        assert response.status_code == 200
    root = home.context["tree"].roots[0]
    folder = page.context["folder"]
    content = page.content.decode()
    assert spoken(root.order_count, root.all_sub_order_count) in content  # the side tree
    assert f"{folder.order_count} order" in content  # the heading
    assert spoken(folder.order_count, folder.all_sub_order_count) in branch.content.decode()
    (found,) = search.context["found"]
    return {
        "Cardiology": (root.order_count, root.all_sub_order_count),
        "March": (folder.order_count, folder.all_sub_order_count),
        "found": (found.order_count, found.all_sub_order_count),
        "listed": page.context["table"].page.total,
    }


def test_counts_follow_the_recycle_bin_and_visibility_at_once(owner, staff_user, limited_user) -> None:
    user, client, orders, march = owner
    api = get_api()
    assert shown(client, march) == {"Cardiology": (1, 3), "March": (2, 2), "found": (2, 2), "listed": 2}
    api.delete_order(actor=staff_user, order_id=orders[0].id)
    assert shown(client, march) == {"Cardiology": (0, 1), "March": (1, 1), "found": (1, 1), "listed": 1}
    api.restore_order(actor=staff_user, order_id=orders[0].id)
    assert shown(client, march) == {"Cardiology": (1, 3), "March": (2, 2), "found": (2, 2), "listed": 2}
    if user is limited_user:  # and what the owner may no longer see
        api.unassign_order(actor=staff_user, order_id=orders[1].id, user_id=uid(limited_user))
        assert shown(client, march) == {"Cardiology": (1, 2), "March": (1, 1), "found": (1, 1), "listed": 1}
