"""QIDO-RS: search studies, the series of a study, and instances (PS3.18 §10.6)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.http import HttpResponse

from postdicom import get_api
from postdicom.server import dicomjson, query
from postdicom.server.http import REVALIDATE, AuthedRequest, NotAcceptable, dicomweb_url, dicomweb_view
from postdicom.server.media import first_allowed

_JSON_TYPES = ("application/dicom+json", "application/json")


def _answer(request: AuthedRequest, results: Iterable[dicomjson.Json], search: query.Search) -> HttpResponse:
    media_type = first_allowed(request, _JSON_TYPES)
    if media_type is None:
        raise NotAcceptable
    response = HttpResponse(json.dumps(list(results)), content_type=media_type)
    response["Cache-Control"] = REVALIDATE
    response["Vary"] = "Accept, Cookie"
    if search.ignored:
        names = ", ".join(search.ignored)
        response["Warning"] = f'299 rayport "The following query keys are not supported: {names}"'
    return response


def _url(request: AuthedRequest, name: str, **uids: str) -> str:
    return dicomweb_url(request, name, **uids)


@dicomweb_view
def studies(request: AuthedRequest) -> HttpResponse:
    search = query.parse(request.GET)
    found = get_api().search_studies(actor=request.user, query=search.query)
    return _answer(
        request,
        (dicomjson.study(item, _url(request, "study", study=item.study_uid), search.include) for item in found),
        search,
    )


@dicomweb_view
def study_series(request: AuthedRequest, study: str) -> HttpResponse:
    search = query.parse(request.GET)
    found = get_api().search_series(actor=request.user, study_uid=study, query=search.query)
    return _answer(
        request,
        (
            dicomjson.series(item, _url(request, "series", study=study, series=item.series_uid), search.include)
            for item in found
        ),
        search,
    )


def _instances(request: AuthedRequest, study: str, series: str | None) -> HttpResponse:
    search = query.parse(request.GET)
    found = get_api().search_instances(actor=request.user, study_uid=study, series_uid=series, query=search.query)
    return _answer(
        request,
        (
            dicomjson.instance(
                item,
                _url(request, "instance", study=study, series=item.series_uid, instance=item.sop_instance_uid),
                search.include,
            )
            for item in found
        ),
        search,
    )


@dicomweb_view
def study_instances(request: AuthedRequest, study: str) -> HttpResponse:
    return _instances(request, study, None)


@dicomweb_view
def series_instances(request: AuthedRequest, study: str, series: str) -> HttpResponse:
    return _instances(request, study, series)
