"""DICOMweb under ``/dicomweb/`` (PS3.18 resource paths, no trailing slashes)."""

from __future__ import annotations

from django.urls import path, register_converter

from postdicom.server import pixels, retrieve, search
from postdicom.server.custom import urls as custom


class UidConverter:
    regex = r"[0-9.]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class FramesConverter:
    regex = r"[0-9]{1,9}(?:,[0-9]{1,9})*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UidConverter, "uid")
register_converter(FramesConverter, "frames")

app_name = "dicomweb"

_INSTANCE = "studies/<uid:study>/series/<uid:series>/instances/<uid:instance>"

urlpatterns = [
    path("studies", search.studies, name="studies"),
    path("studies/<uid:study>", retrieve.retrieve_study, name="study"),
    path("studies/<uid:study>/metadata", retrieve.study_metadata, name="study_metadata"),
    path("studies/<uid:study>/series", search.study_series, name="study_series"),
    path("studies/<uid:study>/instances", search.study_instances, name="study_instances"),
    path("studies/<uid:study>/series/<uid:series>", retrieve.retrieve_series, name="series"),
    path("studies/<uid:study>/series/<uid:series>/metadata", retrieve.series_metadata, name="series_metadata"),
    path("studies/<uid:study>/series/<uid:series>/instances", search.series_instances, name="series_instances"),
    path(_INSTANCE, retrieve.retrieve_instance, name="instance"),
    path(f"{_INSTANCE}/metadata", retrieve.instance_metadata, name="instance_metadata"),
    path(f"{_INSTANCE}/rendered", pixels.instance_rendered, name="instance_rendered"),
    path(f"{_INSTANCE}/thumbnail", pixels.instance_thumbnail, name="instance_thumbnail"),
    path(f"{_INSTANCE}/frames/<frames:frames>", pixels.frames, name="frames"),
    path(f"{_INSTANCE}/frames/<frames:frames>/rendered", pixels.frame_rendered, name="frame_rendered"),
    *custom.urlpatterns,
]
