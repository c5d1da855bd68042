"""The order table: its filters, one page of results and the bulk actions on ticked orders.

``orders`` owns it: ``order_table`` builds it and ``templates/orders/_table.html`` renders it
(partials ``filters`` and ``results``). The order list and a folder's page both show it; what
differs between them is said once, in ``TableOptions``, instead of loose context flags."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from orders.forms.search import OrderSearchForm, presets
from orders.views.choices import Assignee, assignees
from portal.access import AuthedRequest, me
from portal.forms.service import show_errors
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import Capability, FlagGroup, Folder, OrderQuery, OrderSummary, Page, Role

if TYPE_CHECKING:
    from folders.orderlist import FolderFilter

#: Service query field → search form field.
QUERY_FIELDS = {
    "patient_name": "name",
    "accession_number": "accession",
    "other_patient_id": "other_patient_id",
    "birth_date_to": "birth_to",
    "birth_date_from": "birth_from",
    "institution_ids": "institution",
    "modalities": "modality",
    "statuses": "status",
    "flag_id": "flag",
}


def _as_is(query: OrderQuery) -> OrderQuery:
    return query


@dataclass(frozen=True)
class TableOptions:
    """What the page around the table decides.

    * ``list_url``: where the filters send the search (the page itself).
    * ``narrow``: what the page fixes in every query (a folder's page: that folder).
    * ``folder``: the folder whose orders these are (its empty state, "Remove from this folder").
    * ``may_remove``: offer "Remove from this folder" for ticked orders.
    * ``may_file``: offer "Add to folders…" for ticked orders.
    * ``folder_filter``: the order list's folder filter (None: no folder filter).
    * ``thumbnails``: a column with each order's picture (the order list; a folder's page,
      whose table shares the width with the folder tree, leaves it out).
    """

    list_url: str
    narrow: Callable[[OrderQuery], OrderQuery] = _as_is
    folder: Folder | None = None
    may_remove: bool = False
    may_file: bool = False
    folder_filter: FolderFilter | None = None
    thumbnails: bool = True


@dataclass(frozen=True)
class OrderTable:
    options: TableOptions
    form: OrderSearchForm
    page: Page[OrderSummary] | None
    presets: list[tuple[Any, dict[str, str]]]
    flag_groups: tuple[FlagGroup, ...]
    can_manage: bool  # flag, assign, link and delete ticked orders
    assignees: list[Assignee]
    can_download: bool = False  # download the ticked orders as one ZIP

    @property
    def ticks(self) -> bool:
        """Whether rows have a tick box: some bulk action is offered."""
        return self.can_manage or self.can_download or self.options.may_file or self.options.may_remove

    @property
    def show_institution(self) -> bool:
        """The institution column, for users who see more than one."""
        field = self.form.fields.get("institution")
        return field is not None and len(field.choices) > 1  # type: ignore[attr-defined]

    @property
    def _folder_not_applied(self) -> bool:
        return self.options.folder_filter is not None and self.options.folder_filter.not_applied

    @property
    def not_applied(self) -> list[Any]:
        """The labels of the filters the request asks for and the backend cannot apply: the
        search fields (``form.not_applied``) and the folder filter."""
        return [*self.form.not_applied, *([_("Folder")] if self._folder_not_applied else [])]

    @property
    def applied_url(self) -> str:
        """This search without the filters the backend could not apply (``not_applied``)."""
        params = QueryDict(mutable=True)
        params.update(self.form.data)  # every value of a repeated parameter (a QueryDict's lists)
        folder = ["folder", "sub_folders"] if self._folder_not_applied else []
        for name in [*self.form.not_applied_fields, *folder, "page"]:
            params.pop(name, None)
        encoded = params.urlencode()
        return f"{self.options.list_url}?{encoded}" if encoded else self.options.list_url

    @property
    def sortable(self) -> bool:
        """Whether the column headings sort the list (the backend applies a sort of one's own)."""
        return "sort" in self.form.fields


def order_table(request: AuthedRequest, options: TableOptions) -> OrderTable:
    """The table for ``request``'s filters (``request.GET``) on a page that decides ``options``."""
    api = get_api()
    actor = request.user
    offered = api.capabilities
    flag_groups = tuple(api.flag_dictionary(actor=actor)) if Capability.FLAG_DICTIONARY in offered else ()
    institutions = api.list_institutions(actor=actor) if Capability.LIST_INSTITUTIONS in offered else ()
    form = OrderSearchForm(request.GET, institutions=institutions, flag_groups=flag_groups, filters=api.order_filters)
    page = None
    if form.is_valid():
        try:
            page = api.search_orders(actor=actor, query=options.narrow(form.query()))
        except InvalidInput as error:
            show_errors(form, error, fields=QUERY_FIELDS)
    can_manage = me(request).role is not Role.LIMITED
    return OrderTable(
        options=options,
        form=form,
        page=page,
        presets=[(label, params) for label, params in presets() if form.offers(params)],
        flag_groups=flag_groups,
        can_manage=can_manage,
        assignees=assignees(request) if can_manage else [],
        can_download=Capability.OPEN_ORDERS_ARCHIVE in api.capabilities,
    )
