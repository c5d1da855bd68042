"""The portal's URLs: sign-in, language, administration, and each app under its prefix."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from portal.views import account, home
from postdicom.server.scoped import scoped_patterns
from sharing.public import dicomweb as share_dicomweb

handler400 = "portal.views.home.bad_request"
handler403 = "portal.views.home.forbidden"
handler404 = "portal.views.home.not_found"
handler500 = "portal.views.home.server_error"

account_patterns = [
    path("login/", account.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", account.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", account.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        account.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/", include(account_patterns)),
    path("i18n/setlang/", set_language, name="set_language"),
    path("administration/", include("portal.admin_urls")),
    path("orders/", include("orders.urls")),
    path("folders/", include("folders.urls")),
    path("dicomweb/", include("postdicom.server.urls")),
    path("", include("sharing.urls")),
    # A share link: its pages, and the DICOMweb read side narrowed to what it covers.
    path("s/<str:token>/", include("sharing.public.urls")),
    path(
        "s/<str:token>/dicomweb/",
        include((scoped_patterns(share_dicomweb.resolve), "dicomweb"), namespace="share_dicomweb"),
    ),
    path("", include("sharing.view_links.urls")),
]
