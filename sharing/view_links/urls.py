"""View links: making and revoking them (signed in, under ``/view-links/``), and opening one
(``/v/<token>/``, no sign-in) with the DICOMweb read side scoped to it."""

from __future__ import annotations

from django.urls import include, path

from postdicom.server.scoped import scoped_patterns
from sharing.view_links.views import manage, public

app_name = "viewlinks"

urlpatterns = [
    path("view-links/", manage.link_list, name="list"),
    path("view-links/patient/", manage.patient_link, name="patient"),
    path("view-links/order/<uuid:order_id>/", manage.order_link, name="order"),
    path("view-links/folder/<uuid:folder_id>/", manage.folder_link, name="folder"),
    path("view-links/<uuid:link_id>/revoke/", manage.link_revoke, name="revoke"),
    path("v/<str:token>/", public.link_page, name="page"),
    path("v/<str:token>/orders/<uuid:order_id>/documents/<uuid:document_id>/", public.link_document, name="document"),
    path("v/<str:token>/dicomweb/", include((scoped_patterns(public.resolve_images), "dicomweb"))),
]
