"""DICOMweb under ``/dicomweb/`` (PS3.18 resource paths, no trailing slashes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import path, register_converter
from django.views.decorators.csrf import csrf_exempt

from postdicom.server import flat, pixels, retrieve, search, stow
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


def _read_or_store(read: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """One address, two transactions: POST stores (STOW-RS), anything else reads (``read``
    answers 405 to other methods). Both authenticate alike; CSRF is ``api_view``'s to check."""

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            return stow.store(request, *args, **kwargs)
        return read(request, *args, **kwargs)

    return view


_INSTANCE = "studies/<uid:study>/series/<uid:series>/instances/<uid:instance>"

#: The read side (QIDO-RS and WADO-RS on the standard paths): also all that a token's scoped
#: mount serves (``postdicom.server.scoped``), never the store, the flat paths or the custom
#: endpoints, which act for a signed-in caller only.
READ_PATTERNS = [
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
]
#: The read paths where a POST stores instances (STOW-RS).
_STORED_AT = {"studies", "study"}

urlpatterns = [
    # STOW-RS to the base URL, as PostDICOM's clients send it.
    path("", stow.store, name="store"),
    *(
        path(str(read.pattern), _read_or_store(read.callback), name=read.name) if read.name in _STORED_AT else read
        for read in READ_PATTERNS
    ),
    # PostDICOM's flat paths (postdicom.server.flat); "series" is no UID, so no clash.
    path("studies/series", flat.series_search, name="flat_series_search"),
    path("studies/series/instances", flat.instance_search, name="flat_instance_search"),
    path("studies/series/<uid:series>", flat.series_files, name="flat_series"),
    path("studies/series/instances/<uid:instance>", flat.instance_file, name="flat_instance"),
    *custom.urlpatterns,
]
