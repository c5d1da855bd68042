"""PostDICOM's share endpoints: a link to orders (two spellings) and a link to a folder.

They call the contract's ``share_orders`` and ``share_folder`` (audience: a link); a backend
that cannot share that way raises ``Unsupported``, which answers 501 with its reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from postdicom import get_api
from postdicom import types as t
from postdicom.server.custom import shapes
from postdicom.server.custom.endpoint import endpoint, ok
from postdicom.server.custom.params import Kind, Param, Spec

_EXPIRES = Param("ExpireDate", Kind.DATE, fields=("expires",))
_PASSWORD = Param("SharePassword", fields=("password",))

SHARE_LINK = Spec(
    "ShareParameters",
    (
        Param("PatientOrderInfoList", Kind.ORDER_LIST, required=True, fields=("order_ids", "order_id")),
        _EXPIRES,
        _PASSWORD,
        Param("Downloadable", Kind.BOOL, default=False, fields=("downloadable",)),
    ),
)

SHARE_ORDERS = Spec(
    "SharePatientOrderParameters",
    (
        Param("OrderUuidList", Kind.UUID_LIST, required=True, fields=("order_ids", "order_id")),
        _EXPIRES,
        _PASSWORD,
        Param("UserCanDownloadStudies", Kind.BOOL, default=False, fields=("downloadable",)),
    ),
)


def _share_orders(
    actor: User, order_ids: tuple[Any, ...], values: dict[str, Any], downloadable: bool
) -> dict[str, Any]:
    options = t.ShareOptions(password=values["SharePassword"], expires=values["ExpireDate"], downloadable=downloadable)
    made = get_api().share_orders(
        actor=actor, order_ids=order_ids, audience=t.ShareAudience(link=True), options=options
    )
    return ok(**shapes.share(made))


@endpoint(SHARE_LINK)
def create_share_link(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """CreateShareLink: a password-protected link to the orders."""
    return _share_orders(actor, values["PatientOrderInfoList"], values, values["Downloadable"])


@endpoint(SHARE_ORDERS)
def share_patient_order_with_url(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """SharePatientOrderWithUrl: the same, as PostDICOM's newer spelling."""
    return _share_orders(actor, values["OrderUuidList"], values, values["UserCanDownloadStudies"])


SHARE_FOLDER = Spec(
    "ShareFolderParameters",
    (
        Param("FolderUuid", Kind.UUID, required=True, fields=("folder_id",)),
        _PASSWORD,
        Param("ShareTitle", fields=("title",)),
        Param("ShareDescription", fields=("message",)),
        _EXPIRES,
        Param("UserCanDownloadStudies", Kind.BOOL, default=False, fields=("downloadable",)),
    ),
)


@endpoint(SHARE_FOLDER)
def share_folder_with_url(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """ShareFolderWithURL: a password-protected link to the folder."""
    made = get_api().share_folder(
        actor=actor,
        folder_id=values["FolderUuid"],
        audience=t.ShareAudience(link=True),
        options=t.ShareOptions(
            password=values["SharePassword"],
            title=values["ShareTitle"],
            message=values["ShareDescription"],
            expires=values["ExpireDate"],
            downloadable=values["UserCanDownloadStudies"],
        ),
    )
    return ok(**shapes.share(made[0]))
