"""The flag dictionary page: every URL, every persona, plain POST and htmx."""

import uuid

import pytest
from django.urls import reverse

from postdicom.local.models import AuditRecord, FlagGroupRecord, FlagRecord

pytestmark = pytest.mark.django_db

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def group(db):
    return FlagGroupRecord.objects.create(name="Priority")


@pytest.fixture
def flag(group):
    return FlagRecord.objects.create(group=group, name="Urgent", color="#d1242f")


def _urls(group, flag):
    return [
        ("get", reverse("portal:flag_list")),
        ("get", reverse("portal:flag_group_create")),
        ("post", reverse("portal:flag_group_create")),
        ("get", reverse("portal:flag_group_rename", args=[group.uuid])),
        ("post", reverse("portal:flag_group_rename", args=[group.uuid])),
        ("get", reverse("portal:flag_group_delete", args=[group.uuid])),
        ("get", reverse("portal:flag_create", args=[group.uuid])),
        ("post", reverse("portal:flag_create", args=[group.uuid])),
        ("get", reverse("portal:flag_edit", args=[flag.uuid])),
        ("post", reverse("portal:flag_edit", args=[flag.uuid])),
        ("get", reverse("portal:flag_delete", args=[flag.uuid])),
    ]


def _deletes(group, flag):
    return [
        ("post", reverse("portal:flag_delete", args=[flag.uuid])),
        ("post", reverse("portal:flag_group_delete", args=[group.uuid])),
    ]


def test_admin_opens_every_flag_page(admin_client, group, flag):
    for method, url in _urls(group, flag):
        assert getattr(admin_client, method)(url).status_code == 200, url
    for method, url in _deletes(group, flag):
        assert getattr(admin_client, method)(url).status_code == 302, url


@pytest.mark.parametrize("persona", ["staff_client", "limited_client", "outsider_client"])
def test_non_admins_get_403_everywhere(request, persona, group, flag):
    client = request.getfixturevalue(persona)
    data = {"name": "Hijacked", "color": "#000000"}
    for method, url in [*_urls(group, flag), *_deletes(group, flag)]:
        assert getattr(client, method)(url, data).status_code == 403, url
    assert list(FlagGroupRecord.objects.values_list("name", flat=True)) == ["Priority"]
    assert list(FlagRecord.objects.values_list("name", flat=True)) == ["Urgent"]
    assert not AuditRecord.objects.filter(action__startswith="flag").exists()


def test_anonymous_is_sent_to_sign_in(client, group, flag):
    for method, url in [*_urls(group, flag), *_deletes(group, flag)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    assert FlagRecord.objects.filter(pk=flag.pk).exists()


@pytest.mark.parametrize(
    "name",
    [
        "portal:flag_group_rename",
        "portal:flag_group_delete",
        "portal:flag_create",
        "portal:flag_edit",
        "portal:flag_delete",
    ],
)
def test_unknown_ids_are_404(admin_client, group, name):
    url = reverse(name, args=[UNKNOWN])
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {"name": "X", "color": "#000000"}).status_code == 404


def test_flag_id_is_not_a_group_id(admin_client, flag):
    assert admin_client.get(reverse("portal:flag_group_rename", args=[flag.uuid])).status_code == 404


def test_list_shows_groups_with_colour_dot_badges(admin_client, group, flag):
    content = admin_client.get(reverse("portal:flag_list")).content.decode()
    assert "Priority" in content
    assert 'fill="#d1242f"' in content  # the colour is a dot beside the text, not its background
    assert "Urgent</span>" in content
    assert 'style="' not in content  # CSP forbids inline styles
    assert f'hx-post="{reverse("portal:flag_create", args=[group.uuid])}"' in content
    assert f'action="{reverse("portal:flag_create", args=[group.uuid])}"' in content


def test_two_group_cards_never_share_element_ids(admin_client, group):
    FlagGroupRecord.objects.create(name="Report")
    content = admin_client.get(reverse("portal:flag_list")).content.decode()
    assert content.count('id="id_flag_') == 4
    assert content.count(f'id="id_flag_{group.uuid.hex}_name"') == 1


def test_empty_dictionary_says_so(admin_client):
    assert "No flags yet" in admin_client.get(reverse("portal:flag_list")).content.decode()


def test_create_group_with_plain_post(admin_client):
    response = admin_client.post(reverse("portal:flag_group_create"), {"name": "Report status"})
    created = FlagGroupRecord.objects.get(name="Report status")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:flag_list')}#group-{created.uuid}"
    assert AuditRecord.objects.get(action="flag_group.created").target_id == str(created.uuid)


def test_create_group_with_htmx_returns_the_dictionary(admin_client, group):
    response = admin_client.post(reverse("portal:flag_group_create"), {"name": "Report status"}, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert 'id="flag-dictionary"' in content
    assert "Report status" in content
    assert "Priority" in content
    assert "HX-Request" in response["Vary"]
    assert FlagGroupRecord.objects.filter(name="Report status").exists()


def test_duplicate_group_name_is_refused_ignoring_case(admin_client, group):
    plain = admin_client.post(reverse("portal:flag_group_create"), {"name": "PRIORITY"})
    assert plain.status_code == 200
    assert "already taken" in plain.context["form"].errors["name"][0]
    assert 'value="PRIORITY"' in plain.content.decode()
    htmx = admin_client.post(reverse("portal:flag_group_create"), {"name": "priority"}, **HTMX)
    assert htmx.status_code == 200
    content = htmx.content.decode()
    assert "already taken" in content
    assert 'value="priority"' in content
    assert "<html" not in content
    assert FlagGroupRecord.objects.count() == 1


def test_rename_group(admin_client, group):
    url = reverse("portal:flag_group_rename", args=[group.uuid])
    assert 'value="Priority"' in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"name": "Urgency"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Urgency"
    event = AuditRecord.objects.get(action="flag_group.renamed")
    assert event.detail["renamed_from"] == "Priority"


def test_rename_group_to_blank_keeps_old_name(admin_client, group):
    response = admin_client.post(reverse("portal:flag_group_rename", args=[group.uuid]), {"name": "  "})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    group.refresh_from_db()
    assert group.name == "Priority"


def test_delete_group_warns_then_deletes_with_its_flags(admin_client, group, flag):
    url = reverse("portal:flag_group_delete", args=[group.uuid])
    confirm = admin_client.get(url).content.decode()
    assert "loses it" in confirm
    assert "Urgent" in confirm
    assert FlagGroupRecord.objects.filter(pk=group.pk).exists()
    assert admin_client.post(url).status_code == 302
    assert not FlagGroupRecord.objects.exists()
    assert not FlagRecord.objects.exists()
    event = AuditRecord.objects.get(action="flag_group.deleted")
    assert event.detail["flags"] == ["Urgent"]


def test_add_flag_with_plain_post(admin_client, group):
    response = admin_client.post(
        reverse("portal:flag_create", args=[group.uuid]), {"name": "Routine", "color": "#1A7F37"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:flag_list')}#group-{group.uuid}"
    created = FlagRecord.objects.get(name="Routine")
    assert (created.group, created.color) == (group, "#1a7f37")
    event = AuditRecord.objects.get(action="flag.created")
    assert (event.target_id, event.detail["color"]) == (str(created.uuid), "#1a7f37")


def test_add_flag_with_htmx_swaps_the_group_card(admin_client, group, flag):
    response = admin_client.post(
        reverse("portal:flag_create", args=[group.uuid]), {"name": "Routine", "color": "#1a7f37"}, **HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert content.strip().startswith(f'<section class="card flag-group" id="group-{group.uuid}"')
    assert 'fill="#1a7f37"' in content
    assert "Urgent" in content
    assert "autofocus" in content
    assert FlagRecord.objects.filter(group=group, name="Routine").exists()


def test_add_flag_with_bad_colour_keeps_the_name(admin_client, group):
    url = reverse("portal:flag_create", args=[group.uuid])
    plain = admin_client.post(url, {"name": "Stat", "color": "red"})
    assert plain.status_code == 200
    assert plain.context["form"].errors["color"] == ["Choose a colour like #1a7f37."]
    assert 'value="Stat"' in plain.content.decode()
    htmx = admin_client.post(url, {"name": "Stat", "color": "#12345"}, **HTMX)
    content = htmx.content.decode()
    assert htmx.status_code == 200
    assert "Choose a colour like #1a7f37." in content
    assert 'value="Stat"' in content
    assert f'id="group-{group.uuid}"' in content
    assert not FlagRecord.objects.exists()


def test_duplicate_flag_name_in_group_is_refused_ignoring_case(admin_client, group, flag):
    response = admin_client.post(
        reverse("portal:flag_create", args=[group.uuid]), {"name": "URGENT", "color": "#000000"}, **HTMX
    )
    assert "already taken" in response.content.decode()
    assert FlagRecord.objects.count() == 1
    other = FlagGroupRecord.objects.create(name="Report")
    elsewhere = admin_client.post(
        reverse("portal:flag_create", args=[other.uuid]), {"name": "Urgent", "color": "#000000"}
    )
    assert elsewhere.status_code == 302
    assert FlagRecord.objects.count() == 2


def test_edit_flag(admin_client, flag):
    url = reverse("portal:flag_edit", args=[flag.uuid])
    page = admin_client.get(url).content.decode()
    assert 'type="color"' in page
    assert 'value="#d1242f"' in page
    response = admin_client.post(url, {"name": "Very urgent", "color": "#8250df"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.name, flag.color) == ("Very urgent", "#8250df")
    event = AuditRecord.objects.get(action="flag.updated")
    assert event.detail["before"] == {"name": "Urgent", "color": "#d1242f"}


def test_edit_flag_with_bad_input_keeps_values(admin_client, flag):
    response = admin_client.post(reverse("portal:flag_edit", args=[flag.uuid]), {"name": "", "color": "#zzzzzz"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    flag.refresh_from_db()
    assert flag.name == "Urgent"
    response = admin_client.post(reverse("portal:flag_edit", args=[flag.uuid]), {"name": "Later", "color": "nope"})
    assert response.context["form"].errors["color"] == ["Choose a colour like #1a7f37."]
    assert 'value="Later"' in response.content.decode()


def test_delete_flag_warns_then_deletes(admin_client, group, flag):
    url = reverse("portal:flag_delete", args=[flag.uuid])
    confirm = admin_client.get(url).content.decode()
    assert "Every order that carries this flag loses it." in confirm
    assert FlagRecord.objects.filter(pk=flag.pk).exists()
    response = admin_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:flag_list')}#group-{group.uuid}"
    assert not FlagRecord.objects.exists()
    assert AuditRecord.objects.get(action="flag.deleted").target_id == str(flag.uuid)
