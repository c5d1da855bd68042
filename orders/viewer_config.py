"""The image viewer's configuration: one JSON object that ``templates/viewer/_viewer.html``
renders with ``json_script`` and the viewer's script reads (it has no other input).

Pages that embed the viewer (an order's viewer page, a share page, a view link) build it with
``viewer_config`` and their own DICOMweb base and document URLs, and wrap their view in
``viewer_csp`` (the codecs are WebAssembly, which the site-wide policy does not allow).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar, cast

from csp.decorators import csp_update
from django.http.response import HttpResponseBase
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from postdicom import types as t

#: What a page showing the viewer adds to the site's Content-Security-Policy: compiling the
#: codecs' WebAssembly (no eval of JavaScript), PDFs of the order in a frame, and ``style``
#: attributes (the measurement tools set their labels' look in one; no ``<style>`` element
#: or stylesheet from elsewhere is allowed).
_VIEWER_CSP = csp_update(
    {
        "script-src": ["'wasm-unsafe-eval'"],
        "worker-src": ["'self'"],
        "frame-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
    }
)

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def viewer_csp(view: Callable[P, R]) -> Callable[P, R]:
    """Wrap a view that shows the viewer: its response gets the policy additions above."""
    return cast("Callable[P, R]", _VIEWER_CSP(view))  # type: ignore[arg-type]  # typed for HttpRequest


def viewer_strings() -> dict[str, Any]:
    """The words the viewer's script shows (the page's own markup is translated in the template).

    ``imageCount`` gives a series' "N images" by CLDR plural category, which the script picks
    with ``Intl.PluralRules`` of the page's language: "one" and "other" are the only forms of the
    portal's languages (English and Spanish: nplurals=2, plural=(n != 1)); a category without
    its own form (Spanish "many", for millions) takes "other".
    """
    return {
        "noWebgl": _(
            "This browser has no WebGL: images are drawn without the graphics card, more slowly, "
            "and MPR is not available."
        ),
        "startFailed": _("The viewer could not start."),
        "noImages": _("No images in this order yet."),
        "studyMissing": _("This study is no longer available."),
        "seriesMissing": _("This series is no longer available."),
        "loadFailed": _("The images could not be loaded. Check the connection and try again."),
        "noPixels": _("This series holds no images to show (%s objects such as reports or plans)."),
        "cannotDecode": _("This image cannot be shown: its compression is not supported by the viewer."),
        "dropHere": _("Drag a series here"),
        "dragHint": _("Click to show in the selected viewport, or drag onto a viewport"),
        "compareHint": _("Open beside the current images, linked"),
        "imageCount": {
            "one": ngettext("%(count)s image", "%(count)s images", 1),
            "other": ngettext("%(count)s image", "%(count)s images", 2),
        },
        "imageShort": _("Im"),
        "seriesShort": _("Se"),
        "zoomShort": _("Zoom"),
        "inverted": _("inverted"),
        "play": _("Play"),
        "stop": _("Stop"),
        "mprNeedsWebgl": _("MPR needs WebGL, which this browser does not offer."),
        "mprNotVolume": _("MPR needs a volume: a series of three or more parallel grey-scale slices."),
        "mprFailed": _("The volume could not be built from this series."),
        "plane_axial": _("Axial"),
        "plane_sagittal": _("Sagittal"),
        "plane_coronal": _("Coronal"),
    }


def _date(value: Any) -> str:
    return date_format(value, "Y-m-d") if value else ""


def study_entries(studies: Sequence[t.StudyInfo]) -> list[dict[str, str]]:
    """The studies to load, each with a label (description and date)."""
    return [
        {"uid": s.study_uid, "label": " · ".join(p for p in (s.description, _date(s.study_date)) if p) or s.study_uid}
        for s in studies
    ]


def prior_entries(priors: Sequence[t.OrderStudies]) -> list[dict[str, Any]]:
    """The patient's other orders that have images, newest first."""
    return [
        {
            "label": " · ".join(p for p in (o.summary.modality, o.summary.study_description) if p)
            or o.summary.accession_number
            or _("Order"),
            "date": _date(o.summary.order_date),
            "studies": study_entries(o.studies),
        }
        for o in priors
        if o.studies
    ]


def document_entries(
    documents: Sequence[t.Document],
    view_url: Callable[[t.Document], str],
    download_url: Callable[[t.Document], str] | None = None,
) -> list[dict[str, str]]:
    """The order's documents: the viewer shows PDFs in a frame, pictures, and videos with a player."""
    return [
        {
            "name": d.name,
            "type": d.kind,
            "contentType": d.content_type,
            "url": view_url(d),
            **({"downloadUrl": download_url(d)} if download_url else {}),
        }
        for d in documents
    ]


def viewer_config(
    *,
    dicomweb: str,
    studies: list[dict[str, str]],
    priors: list[dict[str, Any]] | None = None,
    documents: list[dict[str, str]] | None = None,
    download_url: str | None = None,
) -> dict[str, Any]:
    """The whole configuration: ``dicomweb`` is the base URL the images are read from
    ("/dicomweb", or a share's own base), the rest as built by the helpers above."""
    return {
        "dicomweb": dicomweb.rstrip("/"),
        "studies": studies,
        "priors": priors or [],
        "documents": documents or [],
        "language": get_language() or "en",
        "downloadUrl": download_url,
        "strings": viewer_strings(),
    }
