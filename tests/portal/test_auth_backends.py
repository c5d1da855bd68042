"""The session's user comes with their profile: one statement per page fewer."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.auth_backends import ModelBackendWithProfile
from postdicom.local.models import Profile
from postdicom.types import Role

pytestmark = pytest.mark.django_db

PLAIN = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
WITH_PROFILE = ["axes.backends.AxesStandaloneBackend", "portal.auth_backends.ModelBackendWithProfile"]
PAGES = ["orders:list", "orders:upload", "folders:tree", "sharing:mine", "portal:admin_home"]


def _statements(user, backends: list[str], url: str) -> list[str]:
    client = Client()
    with override_settings(AUTHENTICATION_BACKENDS=backends):
        client.force_login(user)
        assert client.get(url).status_code == 200  # what a process loads once is loaded
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_settings_use_it(settings):
    assert settings.AUTHENTICATION_BACKENDS == WITH_PROFILE


@pytest.mark.parametrize("page", PAGES)
def test_every_page_costs_one_statement_fewer(admin_user, page):
    url = reverse(page)
    plain = _statements(admin_user, PLAIN, url)
    joined = _statements(admin_user, WITH_PROFILE, url)
    assert len(plain) - len(joined) == 1
    profile_table = Profile._meta.db_table
    assert not [sql for sql in joined if f'FROM "{profile_table}"' in sql and "auth_user" not in sql]


def test_the_user_comes_with_the_profile_in_one_statement(staff_user):
    with CaptureQueriesContext(connection) as queries:
        user = ModelBackendWithProfile().get_user(staff_user.pk)
        assert user is not None
        assert Role(user.profile.role) is Role.STAFF
    assert len(queries) == 1


def test_inactive_or_unknown_users_are_nobody(staff_user):
    get_user_model().objects.filter(pk=staff_user.pk).update(is_active=False)
    assert ModelBackendWithProfile().get_user(staff_user.pk) is None
    assert ModelBackendWithProfile().get_user(10**9) is None


def test_a_user_made_outside_the_portal_gets_a_profile_on_first_use(client):
    user = get_user_model().objects.create_user("made-in-shell", password="x-long-enough-1")
    client.force_login(user)
    assert client.get(reverse("orders:list")).status_code == 200
    assert Profile.objects.get(user=user).role == Role.LIMITED.value
