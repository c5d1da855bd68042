"""PostDICOM's folder endpoints: create, search (list), file an order in folders."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.server.custom import shapes
from postdicom.server.custom.endpoint import endpoint, ok
from postdicom.server.custom.orders import check_institution
from postdicom.server.custom.params import NIL_UUID, Kind, Param, Spec

CREATE = Spec(
    "CreateFolderParameters",
    (
        Param("FolderName", required=True, fields=("name",)),
        Param("FolderDescription", fields=("description",)),
        Param("ParentFolderUuid", Kind.UUID, fields=("parent_id",)),
    ),
)


@endpoint(CREATE)
def create_folder(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """CreateFolder (…WithDescription): "a/b" makes both levels; no parent: at the top."""
    made = get_api().create_folder(
        actor=actor,
        name=values["FolderName"],
        parent_id=values["ParentFolderUuid"],
        description=values["FolderDescription"],
    )
    return ok(FolderUuid=str(made.id), Folder=shapes.folder(made))


SEARCH = Spec(
    "SearchFolderParameters",
    (
        Param("ParentFolderUuid", Kind.UUID, fields=("parent_id", "folder_id")),
        Param("FolderName", fields=("name",)),
        Param("GetOrdersInFolder", Kind.BOOL, default=False, fields=("with_orders",)),
    ),
)


@endpoint(SEARCH)
def search_folder(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """SearchFolder (GetFolderList): the sub-folders of the parent (the top level when none;
    only those whose name contains FolderName), and its orders with GetOrdersInFolder."""
    listing = get_api().list_folders(
        actor=actor,
        parent_id=values["ParentFolderUuid"],
        name=values["FolderName"],
        with_orders=values["GetOrdersInFolder"],
    )
    top = (
        shapes.folder(listing.folder)
        if listing.folder is not None
        else {"FolderUuid": str(NIL_UUID), "FolderName": "", "FolderDescription": "", "ParentFolderUuid": ""}
    )
    return ok(
        Folder={
            **top,
            "SubFolderList": [shapes.folder(f) for f in listing.sub_folders],
            "PatientOrderList": [shapes.order(o) for o in listing.orders],
        }
    )


ADD_ORDER = Spec(
    "AddOrderToFolderParameters",
    (
        Param("PatientOrderInstitutionUuid", Kind.UUID),
        Param("PatientOrderUuid", Kind.UUID, required=True, fields=("order_id",)),
        Param("FolderUuidList", Kind.UUID_LIST, required=True, fields=("folder_ids",)),
    ),
)


@endpoint(ADD_ORDER)
def add_order_to_folder(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """AddOrderToFolder: file the order in each folder (folders that hold it are skipped)."""
    order_id = values["PatientOrderUuid"]
    check_institution(actor, order_id, values["PatientOrderInstitutionUuid"])
    added = get_api().add_order_to_folders(actor=actor, order_id=order_id, folder_ids=values["FolderUuidList"])
    return ok(AddedFolderCount=added)
