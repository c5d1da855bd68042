"""Template helpers of the order pages."""

from __future__ import annotations

from django import template

from orders.forms.create import PRIORITY_LABELS, SEX_LABELS
from orders.forms.search import STATUS_LABELS
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
