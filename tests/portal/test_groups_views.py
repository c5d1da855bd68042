"""User group pages and membership panels: every URL, every persona, htmx and plain POSTs."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, Profile, UserGroup
from postdicom.types import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _uid(user):
    return profile_of(user).uuid


@pytest.fixture
def group(staff_user):
    group = UserGroup.objects.create(name="Radiologists", description="Report CT and MR")
    group.members.add(staff_user)
    return group


@pytest.fixture
def ana(clinic):
    return make_user("ana", Role.STAFF, [clinic], first_name="Ana", last_name="Ruiz")


def _members(group):
    return set(UserGroup.objects.get(pk=group.pk).members.values_list("username", flat=True))


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _panels(content):
    """The member list and the candidate list of a rendered membership panel."""
    members, _sep, candidates = content.partition('id="add-title"')
    return members, candidates


def _bulk_users(count, prefix="bulk", institution=None):
    """Many users at once (no password hashing), each with a staff profile."""
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{prefix}{i:04d}", first_name="Bulk", last_name=f"Person {i:04d}", password="!")
        for i in range(count)
    )
    users = list(get_user_model().objects.filter(username__startswith=prefix))
    Profile.objects.bulk_create(Profile(user=u, role=Role.STAFF.value) for u in users)
    if institution is not None:
        for user in users:
            user.profile.institutions.add(institution)
    return users


# --- Who may open what ----------------------------------------------------------------------------


def _cases(group, member, other):
    """(method, url, data) for every URL; ``member`` is in ``group``, ``other`` is not."""
    gid, mid, oid = group.uuid, _uid(member), _uid(other)
    return {
        "list": ("get", reverse("portal:group_list"), {}),
        "create_form": ("get", reverse("portal:group_create"), {}),
        "create": ("post", reverse("portal:group_create"), {"name": "Nurses"}),
        "detail": ("get", reverse("portal:group_detail", args=[gid]), {}),
        "candidates": ("get", reverse("portal:group_candidates", args=[gid]), {"q": "ana"}),
        "edit_form": ("get", reverse("portal:group_edit", args=[gid]), {}),
        "edit": ("post", reverse("portal:group_edit", args=[gid]), {"name": "Renamed"}),
        "delete_form": ("get", reverse("portal:group_delete", args=[gid]), {}),
        "delete": ("post", reverse("portal:group_delete", args=[gid]), {}),
        "add": ("post", reverse("portal:group_members_add", args=[gid]), {"user_ids": [str(oid)]}),
        "remove": ("post", reverse("portal:group_member_remove", args=[gid, mid]), {}),
        "user_add": ("post", reverse("portal:user_group_add", args=[oid]), {"group_id": str(gid)}),
        "user_remove": ("post", reverse("portal:user_group_remove", args=[mid, gid]), {}),
    }


CASES = [
    "list",
    "create_form",
    "create",
    "detail",
    "candidates",
    "edit_form",
    "edit",
    "delete_form",
    "delete",
    "add",
    "remove",
    "user_add",
    "user_remove",
]


@pytest.mark.parametrize("case", CASES)
def test_admin_opens_every_url(admin_client, group, staff_user, ana, case):
    method, url, data = _cases(group, staff_user, ana)[case]
    response = getattr(admin_client, method)(url, data)
    assert response.status_code == (200 if method == "get" else 302), url


@pytest.mark.parametrize("persona", ["staff_client", "limited_client", "outsider_client"])
def test_non_admins_get_403_everywhere_and_change_nothing(request, persona, group, staff_user, ana):
    client = request.getfixturevalue(persona)
    for method, url, data in _cases(group, staff_user, ana).values():
        assert getattr(client, method)(url, data).status_code == 403, url
    assert UserGroup.objects.get(pk=group.pk).name == "Radiologists"
    assert _members(group) == {"sam"}
    assert not UserGroup.objects.filter(name="Nurses").exists()
    assert not AuditRecord.objects.filter(action__startswith="group.").exists()


def test_anonymous_is_sent_to_sign_in(client, group, staff_user, ana):
    for method, url, data in _cases(group, staff_user, ana).values():
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert _members(group) == {"sam"}


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("portal:group_detail", "get"),
        ("portal:group_candidates", "get"),
        ("portal:group_edit", "get"),
        ("portal:group_edit", "post"),
        ("portal:group_delete", "get"),
        ("portal:group_delete", "post"),
        ("portal:group_members_add", "post"),
    ],
)
def test_unknown_group_is_404(admin_client, ana, name, method):
    response = getattr(admin_client, method)(reverse(name, args=[UNKNOWN]), {"name": "X", "user_ids": [str(_uid(ana))]})
    assert response.status_code == 404


def test_removing_from_an_unknown_group_is_404(admin_client, staff_user):
    url = reverse("portal:group_member_remove", args=[UNKNOWN, _uid(staff_user)])
    assert admin_client.post(url).status_code == 404
    assert admin_client.post(url, **HTMX).status_code == 404


def test_user_panel_unknown_ids_are_404(admin_client, group, staff_user):
    assert (
        admin_client.post(reverse("portal:user_group_add", args=[UNKNOWN]), {"group_id": str(group.uuid)}).status_code
        == 404
    )
    assert admin_client.post(reverse("portal:user_group_remove", args=[UNKNOWN, group.uuid])).status_code == 404
    assert admin_client.post(reverse("portal:user_group_remove", args=[_uid(staff_user), UNKNOWN])).status_code == 404
    assert _members(group) == {"sam"}


def test_get_is_refused_on_post_only_urls(admin_client, group, staff_user):
    for url in (
        reverse("portal:group_members_add", args=[group.uuid]),
        reverse("portal:group_member_remove", args=[group.uuid, _uid(staff_user)]),
        reverse("portal:user_group_add", args=[_uid(staff_user)]),
        reverse("portal:user_group_remove", args=[_uid(staff_user), group.uuid]),
    ):
        assert admin_client.get(url).status_code == 405, url
    assert _members(group) == {"sam"}


# --- Group list -------------------------------------------------------------------------------------


def test_list_shows_name_description_and_member_count(admin_client, group, ana):
    group.members.add(ana)
    UserGroup.objects.create(name="Nurses")
    response = admin_client.get(reverse("portal:group_list"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Radiologists" in content
    assert "Report CT and MR" in content
    assert "Nurses" in content
    assert [g.member_count for g in response.context["groups"]] == [0, 2]  # Nurses, Radiologists
    assert reverse("portal:group_create") in content


def test_list_search_as_htmx_fragment(admin_client, group):
    UserGroup.objects.create(name="Nurses")
    response = admin_client.get(reverse("portal:group_list"), {"q": "radio"}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]
    assert "Radiologists" in content
    assert "Nurses" not in content


def test_list_empty_states(admin_client):
    empty = admin_client.get(reverse("portal:group_list")).content.decode()
    assert "No user groups yet" in empty
    UserGroup.objects.create(name="Nurses")
    no_match = admin_client.get(reverse("portal:group_list"), {"q": "zzz"}, **HTMX).content.decode()
    assert "No group matches" in no_match
    assert "zzz" in no_match
    assert "Nurses" not in no_match


# --- Create, edit, delete -----------------------------------------------------------------------------


def test_create_group(admin_client):
    response = admin_client.post(reverse("portal:group_create"), {"name": "  Nurses ", "description": "Ward B"})
    created = UserGroup.objects.get(name="Nurses")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:group_detail", args=[created.uuid])
    assert created.description == "Ward B"
    event = AuditRecord.objects.get(action="group.created")
    assert event.target_id == str(created.uuid)
    assert event.actor_name == "ada"


@pytest.mark.parametrize("typed", ["", "   "])
def test_create_group_needs_a_name(admin_client, typed):
    response = admin_client.post(reverse("portal:group_create"), {"name": typed, "description": "kept text"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert "kept text" in response.content.decode()
    assert not UserGroup.objects.exists()


def test_create_duplicate_name_ignoring_case_keeps_typed_values(admin_client, group):
    response = admin_client.post(reverse("portal:group_create"), {"name": "RADIOLOGISTS", "description": "Second"})
    assert response.status_code == 200
    errors = response.context["form"].errors["name"]
    assert "already taken" in " ".join(errors)
    content = response.content.decode()
    assert 'value="RADIOLOGISTS"' in content
    assert "Second" in content
    assert 'id="id_name_error"' in content  # next to the field
    assert UserGroup.objects.count() == 1
    assert not AuditRecord.objects.filter(action="group.created").exists()


def test_create_too_long_name_is_refused(admin_client):
    response = admin_client.post(reverse("portal:group_create"), {"name": "x" * 121})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not UserGroup.objects.exists()


def test_edit_form_shows_current_values(admin_client, group):
    content = admin_client.get(reverse("portal:group_edit", args=[group.uuid])).content.decode()
    assert 'value="Radiologists"' in content
    assert "Report CT and MR" in content


def test_rename_group(admin_client, group):
    url = reverse("portal:group_edit", args=[group.uuid])
    response = admin_client.post(url, {"name": "Radiology", "description": "All of them"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.description) == ("Radiology", "All of them")
    event = AuditRecord.objects.get(action="group.updated")
    assert event.detail["renamed_from"] == "Radiologists"
    assert _members(group) == {"sam"}


def test_rename_to_a_taken_name_shows_the_error(admin_client, group):
    UserGroup.objects.create(name="Nurses")
    response = admin_client.post(reverse("portal:group_edit", args=[group.uuid]), {"name": "nurses"})
    assert response.status_code == 200
    assert "already taken" in " ".join(response.context["form"].errors["name"])
    assert 'value="nurses"' in response.content.decode()
    group.refresh_from_db()
    assert group.name == "Radiologists"


def test_changing_only_the_case_of_the_own_name_is_allowed(admin_client, group):
    response = admin_client.post(reverse("portal:group_edit", args=[group.uuid]), {"name": "RADIOLOGISTS"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "RADIOLOGISTS"


def test_delete_asks_first_and_says_members_stay(admin_client, group):
    response = admin_client.get(reverse("portal:group_delete", args=[group.uuid]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "only leave this group" in content
    assert UserGroup.objects.filter(pk=group.pk).exists()


def test_delete_group_keeps_its_members(admin_client, group, staff_user):
    response = admin_client.post(reverse("portal:group_delete", args=[group.uuid]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:group_list")
    assert not UserGroup.objects.filter(pk=group.pk).exists()
    assert get_user_model().objects.filter(pk=staff_user.pk, is_active=True).exists()
    event = AuditRecord.objects.get(action="group.deleted")
    assert event.target_label == "Radiologists"
    assert event.detail["members"] == ["sam"]
    assert any("deleted" in m for m in _messages(response))


# --- The group page ---------------------------------------------------------------------------------


def test_detail_lists_members_and_candidates(admin_client, group, ana, limited_user, clinic):
    make_user("gone", Role.STAFF, [clinic], first_name="Gone", last_name="Away", is_active=False)
    response = admin_client.get(reverse("portal:group_detail", args=[group.uuid]))
    content = response.content.decode()
    assert response.status_code == 200
    members = response.context["members"]
    assert [m.username for m in members.items] == ["sam"]
    assert "role-staff" in content
    assert reverse("portal:group_member_remove", args=[group.uuid, members.items[0].id]) in content
    candidates = {u.username for u in response.context["candidates"].items}
    assert candidates == {"ada", "ana", "lia"}  # not the member, not the inactive user
    assert f'value="{_uid(ana)}"' in content


def test_candidates_search_as_htmx_fragment(admin_client, group, ana, limited_user):
    response = admin_client.get(reverse("portal:group_candidates", args=[group.uuid]), {"q": "ruiz"}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]
    assert "Ana Ruiz" in content
    assert "Limitada" not in content
    assert 'name="user_ids"' in content


def test_candidates_never_offer_members(admin_client, group):
    response = admin_client.get(reverse("portal:group_candidates", args=[group.uuid]), {"q": "sam"}, **HTMX)
    content = response.content.decode()
    assert "Sam Staff" not in content
    assert "No one matches" in content


def test_candidates_without_javascript_render_the_whole_page(admin_client, group, ana):
    response = admin_client.get(reverse("portal:group_detail", args=[group.uuid]), {"q": "ana"})
    content = response.content.decode()
    assert "<html" in content
    assert "Ana Ruiz" in content
    other = admin_client.get(reverse("portal:group_candidates", args=[group.uuid]), {"q": "ana"})
    assert "<html" in other.content.decode()
    assert "Ana Ruiz" in other.content.decode()


def test_thousands_of_users_need_a_search(admin_client, group):
    _bulk_users(1200)
    response = admin_client.get(reverse("portal:group_detail", args=[group.uuid]))
    content = response.content.decode()
    assert response.context["candidates"].items == ()
    assert 'name="user_ids"' not in content
    assert "Type part of a name" in content
    found = admin_client.get(reverse("portal:group_candidates", args=[group.uuid]), {"q": "person"}, **HTMX)
    body = found.content.decode()
    assert body.count('type="checkbox"') == 20
    assert "1180 more" in body
    assert "refine your search" in body


def test_a_few_users_are_listed_without_a_search(admin_client, group):
    _bulk_users(10)
    response = admin_client.get(reverse("portal:group_detail", args=[group.uuid]))
    assert len(response.context["candidates"].items) == 11  # and the administrator


def test_member_list_is_paged(admin_client, group):
    group.members.add(*_bulk_users(60))
    first = admin_client.get(reverse("portal:group_detail", args=[group.uuid]))
    assert len(first.context["members"].items) == 50
    assert first.context["members"].total == 61
    second = admin_client.get(reverse("portal:group_detail", args=[group.uuid]), {"page": 2}, **HTMX)
    content = second.content.decode()
    assert "<html" not in content
    assert "HX-Request" in second["Vary"]
    assert content.count("Remove<span") == 11


# --- Adding and removing members on the group page ---------------------------------------------------


def test_add_one_with_htmx_refreshes_both_lists(admin_client, group, ana):
    url = reverse("portal:group_members_add", args=[group.uuid])
    response = admin_client.post(url, {"user_ids": [str(_uid(ana))], "q": "ruiz"}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]
    assert "Ana Ruiz added to Radiologists." in content
    assert 'hx-swap-oob="true"' in content
    members, candidates = _panels(content)
    assert "Ana Ruiz" in members
    assert "Sam Staff" in members
    assert "Ana Ruiz" not in candidates
    assert "No one matches “ruiz”" in candidates  # the search is kept
    assert _members(group) == {"sam", "ana"}
    event = AuditRecord.objects.get(action="group.member_added")
    assert (event.target_id, event.detail["user"]) == (str(group.uuid), "ana")


def test_add_several_with_a_plain_form(admin_client, group, ana, limited_user):
    url = reverse("portal:group_members_add", args=[group.uuid])
    response = admin_client.post(url, {"user_ids": [str(_uid(ana)), str(_uid(limited_user))], "q": "clinic"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:group_detail", args=[group.uuid]) + "?q=clinic"
    assert _members(group) == {"sam", "ana", "lia"}
    assert AuditRecord.objects.filter(action="group.member_added").count() == 2
    assert "2 people added to Radiologists." in _messages(response)


def test_adding_a_member_again_changes_nothing(admin_client, group, staff_user):
    url = reverse("portal:group_members_add", args=[group.uuid])
    response = admin_client.post(url, {"user_ids": [str(_uid(staff_user))]}, **HTMX)
    assert "Sam Staff is already a member." in response.content.decode()
    assert not AuditRecord.objects.filter(action="group.member_added").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose at least one person."),
        ({"user_ids": ["not-a-uuid"]}, "does not exist"),
        ({"user_ids": [str(UNKNOWN)]}, "does not exist"),
    ],
)
def test_add_bad_ids_gives_a_message(admin_client, group, data, message):
    url = reverse("portal:group_members_add", args=[group.uuid])
    htmx = admin_client.post(url, data, **HTMX)
    assert htmx.status_code == 200
    assert message in htmx.content.decode()
    assert 'class="alert error"' in htmx.content.decode()
    plain = admin_client.post(url, data)
    assert plain.status_code == 302
    assert any(message in m for m in _messages(plain))
    assert _members(group) == {"sam"}


def test_remove_with_htmx(admin_client, group, staff_user):
    url = reverse("portal:group_member_remove", args=[group.uuid, _uid(staff_user)])
    response = admin_client.post(url, {"page": "1"}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "Sam Staff removed from Radiologists." in content
    members, candidates = _panels(content)
    assert "No members yet" in members
    assert "Sam Staff" in candidates
    assert _members(group) == set()
    event = AuditRecord.objects.get(action="group.member_removed")
    assert event.detail["user"] == "sam"


def test_remove_with_a_plain_form(admin_client, group, staff_user):
    url = reverse("portal:group_member_remove", args=[group.uuid, _uid(staff_user)])
    response = admin_client.post(url, {"q": "x", "page": "2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:group_detail", args=[group.uuid]) + "?q=x&page=2"
    assert _members(group) == set()


def test_remove_someone_who_is_not_a_member(admin_client, group, ana):
    url = reverse("portal:group_member_remove", args=[group.uuid, _uid(ana)])
    response = admin_client.post(url, **HTMX)
    assert "Ana Ruiz was not a member of Radiologists." in response.content.decode()
    assert not AuditRecord.objects.filter(action="group.member_removed").exists()


def test_remove_an_unknown_user_gives_a_message(admin_client, group):
    url = reverse("portal:group_member_remove", args=[group.uuid, UNKNOWN])
    response = admin_client.post(url, **HTMX)
    assert response.status_code == 200
    assert "does not exist" in response.content.decode()
    assert _members(group) == {"sam"}


# --- The group panel on the user page ------------------------------------------------------------------


def test_user_page_lists_groups_and_the_others(admin_client, group, staff_user):
    UserGroup.objects.create(name="Nurses")
    response = admin_client.get(reverse("portal:user_detail", args=[_uid(staff_user)]))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="user-groups"' in content
    assert reverse("portal:user_group_remove", args=[_uid(staff_user), group.uuid]) in content
    assert "Remove from group" in content
    assert [g.name for g in response.context["other_groups"]] == ["Nurses"]
    assert f'<option value="{group.uuid}"' not in content
    assert reverse("portal:user_group_add", args=[_uid(staff_user)]) in content


def test_user_page_without_groups(admin_client, ana):
    content = admin_client.get(reverse("portal:user_detail", args=[_uid(ana)])).content.decode()
    assert "Not in any group." in content
    assert "There are no user groups yet." in content


def test_user_page_add_to_group_with_htmx(admin_client, group, ana):
    response = admin_client.post(
        reverse("portal:user_group_add", args=[_uid(ana)]), {"group_id": str(group.uuid)}, **HTMX
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]
    assert "Ana Ruiz added to Radiologists." in content
    assert reverse("portal:user_group_remove", args=[_uid(ana), group.uuid]) in content
    assert "Already in every group." in content
    assert _members(group) == {"sam", "ana"}
    assert AuditRecord.objects.filter(action="group.member_added", detail__user="ana").exists()


def test_user_page_remove_from_group_with_a_plain_form(admin_client, group, staff_user):
    url = reverse("portal:user_group_remove", args=[_uid(staff_user), group.uuid])
    response = admin_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:user_detail", args=[_uid(staff_user)])
    assert "Sam Staff removed from Radiologists." in _messages(response)
    assert _members(group) == set()
    assert AuditRecord.objects.filter(action="group.member_removed", detail__user="sam").exists()


def test_user_page_remove_with_htmx(admin_client, group, staff_user):
    url = reverse("portal:user_group_remove", args=[_uid(staff_user), group.uuid])
    content = admin_client.post(url, **HTMX).content.decode()
    assert "<html" not in content
    assert "Not in any group." in content
    assert f'<option value="{group.uuid}"' in content


@pytest.mark.parametrize(
    ("group_id", "message"),
    [("", "Choose a group."), (str(UNKNOWN), "Choose one of the groups"), ("nonsense", "Choose one of the groups")],
)
def test_user_page_add_bad_group_gives_a_message(admin_client, ana, group, group_id, message):
    url = reverse("portal:user_group_add", args=[_uid(ana)])
    htmx = admin_client.post(url, {"group_id": group_id}, **HTMX)
    assert htmx.status_code == 200
    assert message in htmx.content.decode()
    plain = admin_client.post(url, {"group_id": group_id})
    assert plain.status_code == 302
    assert any(message in m for m in _messages(plain))
    assert _members(group) == {"sam"}


def test_user_page_cannot_add_to_a_group_already_joined(admin_client, group, staff_user):
    url = reverse("portal:user_group_add", args=[_uid(staff_user)])
    response = admin_client.post(url, {"group_id": str(group.uuid)}, **HTMX)
    assert "Choose one of the groups" in response.content.decode()
    assert not AuditRecord.objects.filter(action="group.member_added").exists()


def test_typed_search_text_is_escaped(admin_client, group):
    response = admin_client.get(reverse("portal:group_candidates", args=[group.uuid]), {"q": "<b>x"}, **HTMX)
    content = response.content.decode()
    assert "<b>x" not in content
    assert "&lt;b&gt;x" in content
    listing = admin_client.get(reverse("portal:group_list"), {"q": "<b>x"}, **HTMX).content.decode()
    assert "<b>x" not in listing
