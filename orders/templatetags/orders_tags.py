"""Template helpers of the order pages."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from orders.forms.create import PRIORITY_LABELS, SEX_LABELS
from orders.forms.search import STATUS_LABELS
from portal.templatetags.rayport import sort_link
from postdicom.dicom.documents import megabytes
from postdicom.types import OrderStatus

register = template.Library()


@register.filter
def status_label(status: OrderStatus | str) -> str:
    try:
        return str(STATUS_LABELS[OrderStatus(status)])
    except ValueError:
        return str(status)


@register.filter
def sex_label(sex: str) -> str:
    """ "F" → "Female"; empty stays empty."""
    return str(SEX_LABELS.get(sex, sex))


@register.filter
def priority_label(priority: str) -> str:
    """ "STAT" → "Stat (immediately)"."""
    return str(PRIORITY_LABELS.get(priority, priority))


@register.simple_tag
def document_limit() -> dict[str, int | str]:
    """The largest document an order accepts: ``bytes`` (for the browser's check) and
    ``label`` ("500 MB")."""
    limit = int(settings.RAYPORT_DOCUMENT_MAX_BYTES)
    return {"bytes": limit, "label": megabytes(limit)}


@register.simple_tag(takes_context=True)
def sort_heading(context: template.Context, column: str, label: str) -> SafeString:
    """An order table heading: a link sorting by ``column`` when the table may be sorted
    (``OrderTable.sortable``), else the words alone (the backend's order, newest first)."""
    if not context["table"].sortable:
        return conditional_escape(label)
    return format_html('<a href="{}">{}</a>', sort_link(context, column), label)
