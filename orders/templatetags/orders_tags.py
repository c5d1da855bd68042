"""Template helpers of the order pages."""

from __future__ import annotations

from django import template

from orders.forms.search import STATUS_LABELS
from postdicom.types import OrderStatus

register = template.Library()


@register.filter
def status_label(status: OrderStatus | str) -> str:
    try:
        return str(STATUS_LABELS[OrderStatus(status)])
    except ValueError:
        return str(status)
