"""PostDICOM's flat DICOMweb paths, mapped onto the standard search and retrieve.

PostDICOM's example clients name a series or an instance without the study above it:

- ``GET /studies/series?0020000D={study}``: the series of a study (QIDO-RS);
- ``GET /studies/series/instances?0020000E={series}``: the instances of a series (QIDO-RS);
- ``GET /studies/series/{series}``: a series' files (WADO-RS);
- ``GET /studies/series/instances/{instance}``: an instance's file (WADO-RS).

The study is found among those the caller may see (``find_study``), then the answer is the
standard path's, with the same rules and audit: what is not visible is 404, as there.
"""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.server import query, retrieve, search
from postdicom.server.http import AuthedRequest, dicomweb_view


def _required_uid(request: AuthedRequest, tag: str, keyword: str) -> str:
    values = request.GET.getlist(tag) or request.GET.getlist(keyword)
    uid = values[0].strip() if len(values) == 1 else ""
    if not query.is_uid(uid):
        raise InvalidInput({tag: _("Give one %(keyword)s (%(tag)s) to search in.") % {"keyword": keyword, "tag": tag}})
    return uid


@dicomweb_view
def series_search(request: AuthedRequest) -> HttpResponseBase:
    return search.series_of(request, _required_uid(request, "0020000D", "StudyInstanceUID"))


@dicomweb_view
def instance_search(request: AuthedRequest) -> HttpResponseBase:
    series = _required_uid(request, "0020000E", "SeriesInstanceUID")
    study = get_api().find_study(actor=request.user, series_uid=series)
    return search.instances_of(request, study, series)


@dicomweb_view
def series_files(request: AuthedRequest, series: str) -> HttpResponseBase:
    study = get_api().find_study(actor=request.user, series_uid=series)
    return retrieve.files_of(request, study, series)


@dicomweb_view
def instance_file(request: AuthedRequest, instance: str) -> HttpResponseBase:
    study = get_api().find_study(actor=request.user, sop_instance_uid=instance)
    return retrieve.files_of(request, study, None, instance)
