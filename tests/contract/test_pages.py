"""The portal's pages in front of the cloud backend: what it offers works, what it does not is
hidden or explained, never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse

from postdicom import PostDicomApi, get_api
from postdicom.cloud import CloudBackend
from postdicom.local.models import Institution
from tests.conftest import PASSWORD
from tests.contract.scenes import store_ct
from tests.postdicom.local.orders_setup import create
from tests.uploads.conftest import local_storage

#: page → its status in front of the cloud backend: 501 says what the server cannot do, and the
#: administration is for administrators only (the portal knows its users as the least role).
PAGES = {
    "/": 200,
    "/orders/": 200,
    "/orders/new/": 501,
    "/orders/upload/": 501,
    "/orders/recycle-bin/": 501,
    "/folders/": 501,
    "/administration/": 403,
}


@pytest.mark.parametrize(("page", "status"), PAGES.items())
def test_every_page_answers_on_the_cloud_backend(page: str, status: int, on_cloud: None, staff_client: Client) -> None:
    response = staff_client.get(page, follow=True)
    assert response.status_code == status
    if status == 501:
        assert "Not available" in response.content.decode()


def test_the_menu_disables_what_the_server_cannot_do(on_cloud: None, staff_client: Client) -> None:
    nav = {item.section: item for item in staff_client.get("/orders/").context["nav_items"]}
    assert nav["orders"].url == "/orders/"
    assert nav["upload"].url is None
    assert nav["upload"].reason


def _who(page: str) -> str:
    """The top bar's box naming the signed-in user."""
    return page.split('<div class="who">', 1)[1].split("</div>", 1)[0]


def test_the_pages_name_no_role_the_server_does_not_tell(
    on_cloud: None, staff_client: Client, client: Client, staff_user: User
) -> None:
    """The cloud cannot tell a user's role (``UserInfo.role_known``): the top bar does not call
    a staff member "Limited access"; on the local backend it names the role."""
    listing = staff_client.get("/orders/")
    assert listing.context["me"].role_known is False
    assert "Limited access" not in _who(listing.content.decode())
    with override_settings(POSTDICOM={"BACKEND": "postdicom.local.LocalBackend", "OPTIONS": {}}):
        client.force_login(staff_user)
        assert "Staff" in _who(client.get("/orders/").content.decode())


def test_the_share_dialog_offers_a_link_and_says_why_not_the_rest(
    on_cloud: None, staff_client: Client, staff_user: User
) -> None:
    """``share_offer``: the folder's share dialog offers the link alone and says, before
    anything is sent, why not e-mail or upload-only shares, nor a password made for you; the
    link made with a typed password is on the server."""
    folder = get_api().create_folder(actor=staff_user, name="Segunda opinión")
    url = reverse("sharing:share_folder", kwargs={"folder_id": folder.id})
    dialog = staff_client.get(url)
    assert dialog.status_code == 200
    form = dialog.context["form"]
    assert [value for value, _label in form.fields["audience"].choices] == ["link"]
    assert [value for value, _label in form.fields["password_choice"].choices] == ["type", "none"]
    assert form.fields["open_limit"].disabled
    page = dialog.content.decode()
    assert "Not offered on this server:" in page
    assert "The image server cannot make upload-only folder shares." in page
    assert "The image server cannot make a password: type one, or share without." in page
    typed = {"audience": "link", "password_choice": "type", "password": "a long pass phrase 42", "language": "en"}
    made = staff_client.post(url, typed)
    assert made.status_code == 200, made.context["form"].errors
    assert "/s/" in made.context["share"].url


def test_the_order_share_dialog_asks_for_nothing_the_server_drops(
    on_cloud: None, staff_client: Client, staff_user: User, clinic: Institution
) -> None:
    """PostDICOM's SharePatientOrder has no title, message or language: the orders' share
    dialog does not ask for them and says why; the folder's asks for the title and message
    (ShareFolder keeps them), not the language."""
    order = create(staff_user, clinic, patient_name="QUISPE^Rosa")
    url = reverse("sharing:share_orders")
    dialog = staff_client.get(url, {"order_ids": str(order.id)})
    assert dialog.status_code == 200
    assert not {"title", "message", "language"} & set(dialog.context["form"].fields)
    page = dialog.content.decode()
    share_form = page.split('class="share-form"', 1)[1].split("</form>", 1)[0]
    assert not {'name="title"', 'name="message"', 'name="language"'} & {n for n in share_form.split() if "=" in n}
    assert "The image server keeps no title for a link to orders." in page
    assert "The image server keeps no message for a link to orders." in page
    assert "The image server&#x27;s pages are in the language it chooses." in page
    typed = {"order_ids": str(order.id), "audience": "link", "password_choice": "type", "password": "a long pass 42"}
    made = staff_client.post(url, {**typed, "title": "Dropped", "message": "Dropped"})
    assert made.status_code == 200, made.context["form"].errors
    assert "/s/" in made.context["share"].url
    folder = get_api().create_folder(actor=staff_user, name="Segunda opinión")
    folder_form = staff_client.get(reverse("sharing:share_folder", kwargs={"folder_id": folder.id})).context["form"]
    assert {"title", "message"} <= set(folder_form.fields)
    assert "language" not in folder_form.fields


class CloudWithoutOrderList(CloudBackend):
    """The cloud backend without the order list, so that "/" shows the start page (with the
    list, the cloud's users start on it)."""

    search_orders = PostDicomApi.search_orders


def test_the_start_page_names_the_institutions_the_cloud_account_gives(
    on_cloud: None, settings: Any, staff_client: Client, clinic: Institution
) -> None:
    """The server does not say which institutions a user belongs to: the start page names
    those configured for its account (where uploads and new orders may go), or says that none
    are and who sets them up."""
    settings.POSTDICOM = {**settings.POSTDICOM, "BACKEND": f"{__name__}.CloudWithoutOrderList"}
    bare = staff_client.get("/")
    assert bare.status_code == 200
    assert "No institutions of the image server's account are set up in this portal" in bare.content.decode()
    options = {**settings.POSTDICOM["OPTIONS"], "institutions": [(str(clinic.uuid), "Central (cloud)")]}
    settings.POSTDICOM = {**settings.POSTDICOM, "OPTIONS": options}
    page = staff_client.get("/").content.decode()
    card = page.split("Your institutions", 1)[1].split("</section>", 1)[0]
    assert "<li>Central (cloud)</li>" in card
    assert "the image server decides, order by order, what you may see and do there." in card


def test_the_order_list_and_an_order_page_show_the_servers_orders(
    on_cloud: None, staff_client: Client, staff_user: User, clinic: Institution
) -> None:
    order = create(staff_user, clinic, patient_name="QUISPE^Rosa")
    listing = staff_client.get("/orders/")
    assert listing.status_code == 200
    assert "QUISPE" in listing.content.decode()
    page = staff_client.get(f"/orders/{order.id}/")
    assert page.status_code == 200
    assert "QUISPE" in page.content.decode()


def test_an_order_page_lists_the_servers_studies_without_what_it_cannot_serve(
    on_cloud: None,
    staff_client: Client,
    staff_user: User,
    clinic: Institution,
    settings: Any,
    tmp_path: Path,
    monkeypatch: Any,
) -> None:
    """The studies and series come from the server's GetPatientOrderProperties; the viewer,
    the thumbnails and view links are not offered by the cloud backend, so the page has no
    link to them (each would answer 501) and says where to look instead."""
    with override_settings(POSTDICOM={"BACKEND": "postdicom.local.LocalBackend"}):
        local_storage(settings, tmp_path)
        dataset, order_id = store_ct(staff_user, clinic, tmp_path, monkeypatch)
    page = staff_client.get(f"/orders/{order_id}/")
    assert page.status_code == 200
    [study] = page.context["detail"].studies
    assert study.study_uid == dataset.StudyInstanceUID
    assert [s.series_uid for s in study.series] == [dataset.SeriesInstanceUID]
    assert study.series[0].image_count == 1
    html = page.content.decode()
    assert "No images yet" not in html
    assert str(dataset.get("StudyDescription") or dataset.StudyInstanceUID) in html
    view_link = reverse("viewlinks:order", kwargs={"order_id": order_id})
    for absent in (f"/orders/{order_id}/view/", f"/orders/{order_id}/thumbnail/", view_link, "View images"):
        assert absent not in html, absent
    assert "does not offer the viewer here" in html


def test_signing_in_and_changing_ones_password_work_on_the_cloud_backend(on_cloud: None, staff_user: User) -> None:
    """The portal signs its users in itself; the server has no audit trail of sign-ins to
    write to (``record_authentication`` is not offered), and the pages go on without it."""
    client = Client()
    signed_in = client.post(reverse("login"), {"username": "sam", "password": PASSWORD}, follow=True)
    assert signed_in.status_code == 200
    assert signed_in.wsgi_request.user == staff_user
    new = "lluvia-en-Cusco-42"
    changed = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert (changed.status_code, changed["Location"]) == (302, reverse("password_change_done"))
    staff_user.refresh_from_db()
    assert staff_user.check_password(new)


def test_the_share_dialog_opens_on_the_cloud_backend_without_contacts(
    on_cloud: None, staff_client: Client, outsider_client: Client, staff_user: User, clinic: Institution
) -> None:
    """Contacts (``list_contacts``) only suggest addresses; a server without them still
    shares by link. The ticked orders are read one by one (the server's order list has no
    filter by id), so an order someone cannot see is still refused."""
    order = create(staff_user, clinic, patient_name="QUISPE^Rosa")
    dialog = staff_client.get(reverse("sharing:share_orders"), {"order_ids": str(order.id)})
    assert dialog.status_code == 200
    assert dialog.context["contacts"] == ()
    assert [o.id for o in dialog.context["orders"]] == [order.id]
    assert outsider_client.get(reverse("sharing:share_orders"), {"order_ids": str(order.id)}).status_code == 404


def _filters(page: str) -> str:
    """The order list's presets and filter form."""
    return page.split('<nav class="presets"', 1)[1].split("</form>", 1)[0]


@pytest.mark.parametrize(
    ("language", "absent", "withheld"),
    [
        ("en", ("Flagged", "Assigned to me"), "Not available with this image server: Status, Flag, Assigned to me."),
        ("es", ("Con bandera", "Asignadas a mí"), "Estado, Bandera, Asignadas a mí."),
    ],
)
def test_the_order_list_offers_only_the_filters_the_server_applies(
    language: str, absent: tuple[str, ...], withheld: str, on_cloud: None, staff_client: Client
) -> None:
    """GetPatientOrderList cannot narrow by status, flag or assignment, nor sort: the order list
    offers no preset, field or sortable heading for them, and says which are not available."""
    listing = staff_client.get("/orders/", HTTP_ACCEPT_LANGUAGE=language)
    assert listing.status_code == 200
    table = listing.context["table"]
    assert [sorted(params) for _label, params in table.presets] == [["date_from", "date_to"]] * 2  # today, week
    assert not table.sortable
    filters = _filters(listing.content.decode())
    for label in absent:
        assert label not in filters.split("<details", 1)[0], label
    for name in ("status", "flag", "mine", "exact_id", "sort"):
        assert f'name="{name}"' not in filters, name
    for name in ("name", "patient_id", "accession", "date_from", "modality", "birth_from", "other_patient_id"):
        assert f'name="{name}"' in filters, name
    assert withheld in filters
    assert "sort=" not in listing.content.decode()


def test_a_filter_the_server_cannot_apply_is_said_not_applied(
    on_cloud: None, staff_client: Client, staff_user: User, clinic: Institution
) -> None:
    """An old bookmark or a typed address asking for a flag, an assignment or a sort: the list
    is narrowed by what the server can apply, and says, next to the results, what was not,
    with a link to the search without it (the whole page and the htmx fragment alike)."""
    create(staff_user, clinic, patient_name="QUISPE^Rosa")
    create(staff_user, clinic, patient_name="MAMANI^Luis")
    asked = {"name": "quispe", "flag": "any", "mine": "on", "sort": "patient_name", "status": "closed"}
    asked |= {"folder": str(get_api().create_folder(actor=staff_user, name="Lima").id), "sub_folders": "true"}
    for headers in ({}, {"HX-Request": "true"}):
        page = staff_client.get("/orders/", asked, headers=headers)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Not applied: Status, Flag, Assigned to me, Sort order, Folder." in html
        assert "The image server cannot search by these" in html
        assert 'href="/orders/?name=quispe"' in html
        assert "QUISPE" in html
        assert "MAMANI" not in html
        assert ('class="presets"' in html) is not bool(headers)  # htmx: the results alone
    plain = staff_client.get("/orders/", {"name": "quispe", "sort": "-order_date"}).content.decode()
    assert "Not applied" not in plain  # newest first is the server's own order
