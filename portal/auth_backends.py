"""Django's model backend, loading the signed-in user's profile with the user.

Every page asks for the user's role (the navigation, the access helpers, each backend call
through ``postdicom.local.access.profile_of``); loaded on its own, the profile costs each
request one statement more than the session's user does. The institutions are a many-to-many
relation and stay a query of their own, made only where a page needs them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ModelBackendWithProfile(ModelBackend):
    """``ModelBackend`` whose ``get_user`` (the session's user, once per request) joins the
    profile: one statement for both. Signing in is ``ModelBackend``'s own."""

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        user = model._default_manager.select_related("profile").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
