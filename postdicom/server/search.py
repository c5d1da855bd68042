"""QIDO-RS: search studies, the series of a study, and instances (PS3.18 §10.6)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.http import HttpResponse
from django.http.response import HttpResponseBase

from postdicom import get_api
from postdicom.server import dicomjson, query
from postdicom.server.http import REVALIDATE, AuthedRequest, NotAcceptable, compressed, dicomweb_url, dicomweb_view
from postdicom.server.media import first_allowed

_JSON_TYPES = ("application/dicom+json", "application/json")


def _answer(request: AuthedRequest, results: Iterable[dicomjson.Json], search: query.Search) -> HttpResponseBase:
    media_type = first_allowed(request, _JSON_TYPES)
    if media_type is None:
        raise NotAcceptable
    response = HttpResponse(json.dumps(list(results)), content_type=media_type)
    response["Cache-Control"] = REVALIDATE
    response["Vary"] = "Accept, Cookie"
    if search.ignored:
        names = ", ".join(search.ignored)
        response["Warning"] = f'299 rayport "The following query keys are not supported: {names}"'
    return compressed(request, response)


def _base(request: AuthedRequest, name: str, **uids: str) -> str:
    """The absolute URL of ``name`` under the mount the request came in through, once per
    response: each result's URL is this plus its UIDs (the PS3.18 resource path), not one
    ``reverse`` per result."""
    return dicomweb_url(request, name, **uids)


@dicomweb_view
def studies(request: AuthedRequest) -> HttpResponseBase:
    search = query.parse(request.GET)
    found = get_api().search_studies(actor=request.user, query=search.query)
    base = _base(request, "studies")
    return _answer(
        request, (dicomjson.study(item, f"{base}/{item.study_uid}", search.include) for item in found), search
    )


@dicomweb_view
def study_series(request: AuthedRequest, study: str) -> HttpResponseBase:
    return series_of(request, study)


def series_of(request: AuthedRequest, study: str) -> HttpResponseBase:
    """The series of ``study`` matching the request's query (also PostDICOM's flat path)."""
    search = query.parse(request.GET)
    found = get_api().search_series(actor=request.user, study_uid=study, query=search.query)
    base = _base(request, "study_series", study=study)
    return _answer(
        request, (dicomjson.series(item, f"{base}/{item.series_uid}", search.include) for item in found), search
    )


def instances_of(request: AuthedRequest, study: str, series: str | None) -> HttpResponseBase:
    """The instances of ``study`` (or of its ``series``) matching the request's query."""
    search = query.parse(request.GET)
    found = get_api().search_instances(actor=request.user, study_uid=study, series_uid=series, query=search.query)
    base = _base(request, "study_series", study=study)
    return _answer(
        request,
        (
            dicomjson.instance(item, f"{base}/{item.series_uid}/instances/{item.sop_instance_uid}", search.include)
            for item in found
        ),
        search,
    )


@dicomweb_view
def study_instances(request: AuthedRequest, study: str) -> HttpResponseBase:
    return instances_of(request, study, None)


@dicomweb_view
def series_instances(request: AuthedRequest, study: str, series: str) -> HttpResponseBase:
    return instances_of(request, study, series)
