"""``CloudBackend``: the contract over a PostDICOM-compatible HTTP API.

Selected with ``POSTDICOM = {"BACKEND": "postdicom.cloud.CloudBackend", "OPTIONS": {...}}``
(``CloudOptions``: the server's DICOMweb base URL and the account's credentials). It
implements what that API can serve and nothing else: ``capabilities`` lists exactly the
methods overridden here, ``order_filters`` the search filters GetPatientOrderList applies,
and the pages hide the rest.

Who acts: every call signs in with the account's credentials and names the portal user it is
made for in ``X-Rayport-Act-As``. A Rayport server lets an administrator's API key act as
one of its users, with that user's rights and never more (so each user sees on this portal
exactly what they see there); PostDICOM's cloud ignores the header and answers as the
account. See docs/decisions.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx
from django.core.cache import cache
from django.utils.translation import gettext as _

from postdicom.cloud import dicomweb, shapes
from postdicom.cloud.transport import CloudOptions, Transport
from postdicom.cloud.uploads import CloudUploadsMixin
from postdicom.contract import PostDicomApi
from postdicom.errors import Forbidden, InvalidInput, NotFound, Unsupported
from postdicom.types import (
    ACT_AS_HEADER,
    FOLDER_DEPTH_MAX,
    FOLDER_SHARE_KINDS,
    ORDER_REQUIRED_FIELDS,
    ORDER_SHARE_KINDS,
    Capability,
    DicomInstance,
    DicomQuery,
    DicomReadPurpose,
    DicomSeries,
    DicomStudy,
    Folder,
    FolderListing,
    FolderRef,
    Institution,
    OrderDetail,
    OrderDraft,
    OrderFilter,
    OrderQuery,
    OrderSummary,
    Page,
    Role,
    Share,
    ShareAudience,
    ShareKind,
    ShareOffer,
    ShareOptions,
    StoredInstances,
    UserInfo,
    act_as_value,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: ``OrderQuery`` filters GetPatientOrderList applies (others are refused on their field; the
#: sort is the server's, newest first).
_LIST_FILTERS = {
    "institution_ids": "InstitutionUuidList",
    "patient_name": "PatientName",
    "patient_id": "PatientId",
    "other_patient_id": "OtherPatientId",
    "accession_number": "AccessionNumber",
    "modalities": "ModalityList",
    "date_from": "StudyDateFrom",
    "date_to": "StudyDateTo",
    "birth_date_from": "PatientBirthdateFrom",
    "birth_date_to": "PatientBirthdateTo",
    "folder_id": "FolderUuid",
    "page": "Page",
    "page_size": "PageSize",
}
#: … and back, for its refusals.
_LIST_REFUSALS = {key: field for field, key in _LIST_FILTERS.items()}
#: ``order_filters``: those, and ``order_ids`` alone (each order read, ``_orders_by_id``).
_APPLIED_FILTERS = frozenset(
    {member for member in OrderFilter if member.value in _LIST_FILTERS} | {OrderFilter.ORDER_IDS}
)
#: Contract field ← PostDICOM parameter, for refusals (CreatePatientOrder's draft).
_DRAFT_FIELDS = {
    **{key: field for field, key in shapes.DRAFT_TEXT.items()},
    "Modality": "modality",
    "InstitutionUuid": "institution_id",
    "PatientBirthdate": "birth_date",
    "OrderScheduledDatetime": "order_date",
    "ScheduledEquipmentUuid": "scheduled_equipment_id",
}
#: … and the parameters every endpoint may name.
_COMMON_FIELDS = {
    "PatientOrderUuid": "order_id",
    "PatientOrderInstitutionUuid": "order_id",
    "FolderUuidList": "folder_ids",
    "FolderName": "name",
    "FolderDescription": "description",
    "ParentFolderUuid": "parent_id",
    "AssignedUserUuid": "user_id",
    "AssignedUserGroupUuid": "group_id",
}
#: Contract field ← PostDICOM parameter, for refusals of the share endpoints.
_SHARE_FIELDS = {
    "OrderUuidList": "order_ids",
    "FolderUuid": "folder_id",
    "ExpireDate": "expires",
    "SharePassword": "password",
    "ShareTitle": "title",
    "ShareDescription": "message",
}
#: The custom endpoints that may be retried after a lost answer: they only read, or doing them
#: twice is doing them once (an assignment or a folder membership is a set). The others act
#: each time (a second order, folder or share link; a second delete answers 404), so a retry
#: could make a duplicate or turn a success into a failure: they are tried once.
REPEATABLE_ENDPOINTS = frozenset(
    {
        "getpatientorderlist",
        "getpatientorderproperties",
        "searchfolder",
        "getdicomtagcontent",
        "addordertofolder",
        "assignordertouser",
        "assignordertousergroup",
    }
)
#: How long the institution of an order seen in a result is remembered (PostDICOM names an
#: order by the pair of its institution and its id).
_INSTITUTION_MEMORY = 24 * 3600


class CloudBackend(CloudUploadsMixin, PostDicomApi):
    """The contract over HTTP. ``transport`` is for tests (an httpx mock transport)."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None, **options: Any) -> None:
        try:
            self.options = CloudOptions(**options)
        except ValueError as error:
            raise TypeError(str(error)) from error
        self.wire = Transport(self.options, transport=transport)

    @property
    def capabilities(self) -> frozenset[Capability]:
        """The methods overridden here, less the institutions when none are configured."""
        offered = super().capabilities
        if not self.options.institutions:
            offered -= {Capability.LIST_INSTITUTIONS, Capability.GET_INSTITUTION}
        return offered

    @property
    def order_filters(self) -> frozenset[OrderFilter]:
        """What GetPatientOrderList can narrow by: not the status, flags, assignments, an exact
        patient ID, sub-folders nor a sort of the caller's (the server lists newest first)."""
        return _APPLIED_FILTERS

    @property
    def required_order_fields(self) -> frozenset[str]:
        """PostDICOM's CreatePatientOrder requires ``PatientBirthdate`` besides."""
        return ORDER_REQUIRED_FIELDS | {"birth_date"}

    @property
    def accession_numbers_unique(self) -> bool:
        """PostDICOM documents no such rule, and its API cannot look an accession number up
        beforehand (``UploadPreview.accession_taken`` is None here too): not promised."""
        return False

    def _as(self, actor: User) -> dict[str, str]:
        if not (actor.is_authenticated and actor.is_active):
            raise Forbidden(_("Your account is not active."))
        return {ACT_AS_HEADER: act_as_value(actor.get_username())}

    def _custom(
        self,
        actor: User,
        path: str,
        operation: str,
        values: Mapping[str, object],
        fields: Mapping[str, str] | None = None,
    ) -> shapes.Json:
        """Call a custom endpoint as ``actor``; a refusal naming a parameter is put back on the
        contract's field (``fields``: parameter → field), as the local backend names it."""
        try:
            answer = self.wire.custom(
                path, operation, values, headers=self._as(actor), repeatable=path in REPEATABLE_ENDPOINTS
            )
            return shapes.success(answer)
        except InvalidInput as refused:
            names = {**_COMMON_FIELDS, **(fields or {})}
            raise InvalidInput(
                {names.get(name, name): messages for name, messages in refused.field_errors.items()}
            ) from None

    def _remember(self, *orders: OrderSummary) -> None:
        cache.set_many({_institution_key(o.id): str(o.institution.id) for o in orders}, _INSTITUTION_MEMORY)

    def _pair(self, order_id: UUID) -> dict[str, object]:
        """PostDICOM's name of an order: its institution (when a result showed it) and id."""
        return {"PatientOrderInstitutionUuid": cache.get(_institution_key(order_id), ""), "PatientOrderUuid": order_id}

    # --- Who is signed in ------------------------------------------------------------------------
    #
    # The rest of the contract's account and administration methods are not offered, so the
    # pages hide them: PostDICOM's HTTP API (docs/api.md, research notes §1.4) has no endpoint
    # for users, user groups, contacts or institutions (Initialize, GetUserList,
    # GetUserGroupList and GetContactList exist only in its browser JS API, over a binary
    # WebSocket protocol), nor for DICOM nodes, the flag dictionary, the audit log or API keys.
    # Sign-ins are the portal's own: the server audits each call of this backend as the user
    # it names, so ``record_authentication`` is left out too (portal.signals skips it).

    def current_user(self, *, actor: User) -> UserInfo:
        """The portal user, as this portal knows them. The server's API says nothing about its
        users, so the role is not known (``role_known`` False) and taken as the least one
        (``LIMITED``): the pages name no role and offer no administration, and every right is
        the server's to grant per call (``OrderDetail.can_manage``)."""
        self._as(actor)
        return UserInfo(
            id=uuid.uuid5(uuid.NAMESPACE_URL, f"rayport-user:{actor.get_username()}"),
            username=actor.get_username(),
            first_name=actor.first_name,
            last_name=actor.last_name,
            email=actor.email,
            role=Role.LIMITED,
            role_known=False,
            is_active=actor.is_active,
            last_login=actor.last_login,
            date_joined=actor.date_joined,
        )

    # --- Institutions (configured: the API cannot list them) ----------------------------------
    #
    # PostDICOM's HTTP API has no endpoint for institutions, yet CreatePatientOrder and STOW-RS
    # need one's UUID. The portal's configuration names them (``CloudOptions.institutions``);
    # every signed-in user may choose among them, and the server decides per call what the
    # user may do there (a Rayport server: the act-as user's own rights). docs/decisions.md.

    def list_institutions(self, *, actor: User) -> tuple[Institution, ...]:
        if not self.options.institutions:
            raise Unsupported(_("No institutions are configured for the image server."))
        self._as(actor)
        return tuple(Institution(id=institution_id, name=name) for institution_id, name in self.options.institutions)

    def get_institution(self, *, actor: User, institution_id: UUID) -> Institution:
        for institution in self.list_institutions(actor=actor):
            if institution.id == institution_id:
                return institution
        raise NotFound(_("No such institution."))

    def institution_name(self, institution_id: UUID | str) -> str:
        """The configured name of an institution ("" when it is not configured)."""
        return next((name for known, name in self.options.institutions if str(known) == str(institution_id)), "")

    # --- Orders (the custom endpoints) ------------------------------------------------------------

    def create_order(self, *, actor: User, institution_id: UUID, draft: OrderDraft) -> OrderSummary:
        if draft.birth_date is None:  # required_order_fields: CreatePatientOrder requires PatientBirthdate
            raise InvalidInput({"birth_date": _("Enter the birth date: the image server requires it for a new order.")})
        values: dict[str, object] = {key: getattr(draft, field) for field, key in shapes.DRAFT_TEXT.items()}
        values["Modality"] = values.pop("OrderModality")
        values.update(
            InstitutionUuid=institution_id,
            PatientBirthdate=draft.birth_date,
            OrderScheduledDatetime=dt.datetime.combine(draft.order_date, draft.order_time)
            if draft.order_time
            else draft.order_date,
            ScheduledEquipmentUuid=draft.scheduled_equipment_id,
        )
        answer = self._custom(actor, "createpatientorder", "CreatePatientOrder", values, _DRAFT_FIELDS)
        created = shapes.order(answer.get("PatientOrder") or {})
        self._remember(created)
        return created

    def search_orders(self, *, actor: User, query: OrderQuery) -> Page[OrderSummary]:
        defaults = OrderQuery()
        used = {f.name for f in dataclasses.fields(query) if getattr(query, f.name) != getattr(defaults, f.name)}
        if query.order_ids and used <= {"order_ids", "page", "page_size"}:
            return self._orders_by_id(actor, query)
        refused = used - set(_LIST_FILTERS)
        if refused:  # on each field, so that no page shows the unfiltered list as if filtered
            raise InvalidInput({name: _("The image server cannot search by this.") for name in sorted(refused)})
        values = {key: getattr(query, field) for field, key in _LIST_FILTERS.items() if field in used or key == "Page"}
        values["PageSize"] = query.page_size
        answer = self._custom(actor, "getpatientorderlist", "GetPatientOrderList", values, _LIST_REFUSALS)
        found = tuple(shapes.order(item) for item in answer.get("SearchResultList") or ())
        self._remember(*found)
        total = int(answer.get("TotalCount", len(found)))
        return Page(items=found, total=total, number=query.page, size=query.page_size)

    def _orders_by_id(self, actor: User, query: OrderQuery) -> Page[OrderSummary]:
        """``OrderQuery.order_ids`` alone (the share dialog's ticked orders): GetPatientOrderList
        has no such filter, so each order is read (GetPatientOrderProperties); those the actor
        does not see are left out, as the local backend leaves them out."""
        found: list[OrderSummary] = []
        for order_id in dict.fromkeys(query.order_ids):
            try:
                found.append(self.order_properties(actor=actor, order_id=order_id).summary)
            except NotFound:
                continue
        start = (query.page - 1) * query.page_size
        return Page(
            items=tuple(found[start : start + query.page_size]),
            total=len(found),
            number=query.page,
            size=query.page_size,
        )

    def order_properties(self, *, actor: User, order_id: UUID) -> OrderDetail:
        answer = self._custom(actor, "getpatientorderproperties", "GetPatientOrderProperties", self._pair(order_id))
        detail = shapes.order_detail(answer.get("PatientOrder") or {})
        self._remember(detail.summary)
        return detail

    def delete_order(self, *, actor: User, order_id: UUID) -> None:
        self._custom(actor, "deleteorder", "DeleteOrder", self._pair(order_id))

    def assign_order(
        self, *, actor: User, order_id: UUID, user_id: UUID | None = None, group_id: UUID | None = None
    ) -> None:
        if (user_id is None) == (group_id is None):
            raise InvalidInput({"user_id": _("Choose a user or a user group.")})
        if user_id is not None:
            to_user = {"PatientOrderUuid": order_id, "AssignedUserUuid": user_id}
            self._custom(actor, "assignordertouser", "AssignOrderToUser", to_user)
        else:
            to_group = {"PatientOrderUuid": order_id, "AssignedUserGroupUuid": group_id}
            self._custom(actor, "assignordertousergroup", "AssignOrderToUserGroup", to_group)

    # --- Folders ----------------------------------------------------------------------------------
    #
    # Left out: ``search_folders`` (SearchFolder looks at one level only: a search at any depth
    # would be a call per folder of the tree), and renaming, moving, deleting, the whole tree
    # and taking orders out (no endpoint).

    def create_folder(self, *, actor: User, name: str, parent_id: UUID | None = None, description: str = "") -> Folder:
        values = {"FolderName": name, "FolderDescription": description, "ParentFolderUuid": parent_id}
        answer = self._custom(actor, "createfolder", "CreateFolder", values)
        return shapes.folder(answer.get("Folder") or {})

    def get_folder(self, *, actor: User, folder_id: UUID) -> Folder:
        """SearchFolder names the folder it lists in (with its counts); its ancestors are
        the folders above it, one SearchFolder each (a tree is at most ``FOLDER_DEPTH_MAX``
        deep)."""
        return self._with_ancestors(actor, self._folder(actor, folder_id), {})

    def _with_ancestors(self, actor: User, folder: Folder, seen: dict[UUID, Folder]) -> Folder:
        """``folder`` with its ancestors, asking for each folder above it not in ``seen``."""
        ancestors: list[FolderRef] = []
        parent_id = folder.parent_id
        while parent_id is not None and len(ancestors) < FOLDER_DEPTH_MAX:
            if parent_id not in seen:
                seen[parent_id] = self._folder(actor, parent_id)
            above = seen[parent_id]
            ancestors.append(FolderRef(id=above.id, name=above.name))
            parent_id = above.parent_id
        return dataclasses.replace(folder, ancestors=tuple(reversed(ancestors)))

    def _folder(self, actor: User, folder_id: UUID) -> Folder:
        if not folder_id.int:  # the all-zero GUID: PostDICOM's "not given", the top level
            raise NotFound(_("No such folder."))
        fields = {"ParentFolderUuid": "folder_id"}
        answer = self._custom(actor, "searchfolder", "SearchFolder", {"ParentFolderUuid": folder_id}, fields)
        folder = shapes.folder(answer.get("Folder") or {})
        if folder.id != folder_id:
            raise NotFound(_("No such folder."))
        return folder

    def list_folders(
        self, *, actor: User, parent_id: UUID | None = None, name: str = "", with_orders: bool = False
    ) -> FolderListing:
        values = {"ParentFolderUuid": parent_id, "FolderName": name, "GetOrdersInFolder": with_orders}
        answer = self._custom(actor, "searchfolder", "SearchFolder", values).get("Folder") or {}
        orders = tuple(shapes.order(item) for item in answer.get("PatientOrderList") or ())
        self._remember(*orders)
        return FolderListing(
            folder=shapes.folder(answer) if answer.get("FolderUuid") else None,
            sub_folders=tuple(shapes.folder(item) for item in answer.get("SubFolderList") or ()),
            orders=orders,
        )

    def order_folders(self, *, actor: User, order_id: UUID) -> tuple[Folder, ...]:
        """GetPatientOrderProperties names the actor's folders holding the order (``FolderList``);
        each one's place in the tree is a SearchFolder per folder on its path (asked once
        for a folder two of them share)."""
        seen: dict[UUID, Folder] = {}
        found = []
        for held in self.order_properties(actor=actor, order_id=order_id).folders:
            folder = self._with_ancestors(actor, self._folder(actor, held.id), seen)
            found.append(
                dataclasses.replace(
                    folder, order_count=0, all_sub_order_count=0, sub_folder_count=0, all_sub_folder_count=0
                )
            )
        return tuple(sorted(found, key=lambda f: [n.casefold() for n in (*(a.name for a in f.ancestors), f.name)]))

    def add_order_to_folders(self, *, actor: User, order_id: UUID, folder_ids: Sequence[UUID]) -> int:
        values = {**self._pair(order_id), "FolderUuidList": list(folder_ids)}
        answer = self._custom(actor, "addordertofolder", "AddOrderToFolder", values)
        return int(answer.get("AddedFolderCount", 0))

    # --- Sharing by link (the only audience PostDICOM's HTTP API has) ---------------------------
    #
    # Left out: view links (``view_url``: GetViewUrl and its family belong to PostDICOM's
    # JavaScript cloud API, not to its HTTP API), folder shares with colleagues, and every
    # method of a share after it is made (no endpoint lists, reads, changes or revokes one; a
    # visitor opens a link on the server that made it, never through this backend).

    def share_offer(self, *, actor: User, folder: bool = False) -> ShareOffer:
        """By link only (SharePatientOrder, ShareFolder with a URL), with a typed password or
        none: what ``_link_only`` lets through. Neither call has a language (the server's
        pages speak its own), and SharePatientOrder has no title or message either."""
        self._as(actor)
        kinds = FOLDER_SHARE_KINDS if folder else ORDER_SHARE_KINDS
        refused = {
            "generate_password": _("The image server cannot make a password: type one, or share without."),
            "open_limit": _("The image server cannot limit how many times a link is opened."),
            "notify_on_first_open": _("The image server cannot tell you when a link is opened."),
            "language": _("The image server's pages are in the language it chooses."),
        }
        if not folder:
            refused["title"] = _("The image server keeps no title for a link to orders.")
            refused["message"] = _("The image server keeps no message for a link to orders.")
        return ShareOffer(
            kinds=(ShareKind.LINK,),
            refused={kind: _refusal(kind) for kind in kinds if kind is not ShareKind.LINK},
            options_refused=refused,
        )

    def share_orders(
        self, *, actor: User, order_ids: Sequence[UUID], audience: ShareAudience, options: ShareOptions
    ) -> Share:
        _link_only(audience, options)
        if options.title or options.message:
            raise Unsupported(_("The image server keeps no title or message for a link to orders."))
        values = {
            "OrderUuidList": list(order_ids),
            "ExpireDate": options.expires,
            "SharePassword": options.password,
            "UserCanDownloadStudies": options.downloadable,
        }
        answer = self._custom(actor, "sharepatientorderwithurl", "SharePatientOrder", values, _SHARE_FIELDS)
        return shapes.share(answer, options)

    def share_folder(
        self,
        *,
        actor: User,
        folder_id: UUID,
        audience: ShareAudience,
        expires: dt.date | None = None,
        may_edit: bool = False,
        may_reshare: bool = False,
        includes_restricted_orders: bool = False,
        options: ShareOptions | None = None,
    ) -> tuple[Share, ...]:
        options = options or ShareOptions(expires=expires)
        _link_only(audience, options)
        values = {
            "FolderUuid": folder_id,
            "SharePassword": options.password,
            "ShareTitle": options.title,
            "ShareDescription": options.message,
            "ExpireDate": options.expires,
            "UserCanDownloadStudies": options.downloadable,
        }
        answer = self._custom(actor, "sharefolderwithurl", "ShareFolder", values, _SHARE_FIELDS)
        return (shapes.share(answer, options),)

    # --- Stored images (QIDO-RS, WADO-RS) -------------------------------------------------------

    def search_studies(self, *, actor: User, query: DicomQuery) -> tuple[DicomStudy, ...]:
        answer = self.wire.get_json("studies", params=dicomweb.query_params(query), headers=self._as(actor))
        return tuple(dicomweb.study(item) for item in dicomweb.iter_json(answer))

    def search_series(self, *, actor: User, study_uid: str, query: DicomQuery) -> tuple[DicomSeries, ...]:
        answer = self.wire.get_json(
            f"studies/{study_uid}/series", params=dicomweb.query_params(query), headers=self._as(actor)
        )
        return tuple(dicomweb.series(item) for item in dicomweb.iter_json(answer))

    def search_instances(
        self, *, actor: User, study_uid: str, series_uid: str | None, query: DicomQuery
    ) -> tuple[DicomInstance, ...]:
        path = f"studies/{study_uid}/series/{series_uid}/instances" if series_uid else f"studies/{study_uid}/instances"
        params = {**dicomweb.query_params(query), "includefield": "AvailableTransferSyntaxUID"}
        answer = self.wire.get_json(path, params=params, headers=self._as(actor))
        return tuple(dicomweb.instance(item) for item in dicomweb.iter_json(answer))

    def find_study(self, *, actor: User, series_uid: str | None = None, sop_instance_uid: str | None = None) -> str:
        """PostDICOM's flat instance search (``studies/series/instances?0020000E=``) names the
        study of a series. Its API has no search for an instance without its series, so an
        instance alone is retrieved on the flat path (``studies/series/instances/{uid}``) and
        its header read."""
        headers = self._as(actor)
        found = ""
        if series_uid:
            params = {"0020000E": series_uid, "limit": "1"}
            if sop_instance_uid:
                params["00080018"] = sop_instance_uid
            answer = self.wire.get_json("studies/series/instances", params=params, headers=headers)
            found = next((dicomweb.instance(item).study_uid for item in dicomweb.iter_json(answer)), "")
        elif sop_instance_uid:
            with dicomweb.spool_instance(self.wire, f"studies/series/instances/{sop_instance_uid}", headers) as handle:
                found = dicomweb.study_uid_of(handle)
        if not found:
            raise NotFound(_("No such images."))
        return found

    def open_instances(
        self,
        *,
        actor: User,
        study_uid: str,
        series_uid: str | None = None,
        sop_instance_uid: str | None = None,
        purpose: DicomReadPurpose,
    ) -> StoredInstances:
        headers = self._as(actor)
        query = DicomQuery(sop_instance_uids=(sop_instance_uid,) if sop_instance_uid else (), limit=1000)
        found = self.search_instances(actor=actor, study_uid=study_uid, series_uid=series_uid, query=query)
        if not found:
            raise NotFound(_("No such images."))
        studies = self.search_studies(actor=actor, query=DicomQuery(study_uids=(study_uid,), limit=1))
        order_id = studies[0].order_id if studies else dicomweb.order_id_of({}, study_uid)
        return StoredInstances(
            order_id=order_id,
            study_uid=study_uid,
            instances=found,
            opener=lambda item: dicomweb.spool_instance(self.wire, _instance_path(item), headers),
        )


def _refusal(kind: ShareKind) -> str:
    """Why the image server cannot make a share of ``kind`` (any but a link)."""
    if kind.upload_only:
        return _("The image server cannot make upload-only folder shares.")
    return _("The image server sends no e-mail: share by link, and pass the link on yourself.")


def _link_only(audience: ShareAudience, options: ShareOptions) -> None:
    """PostDICOM's HTTP API shares by link, with a typed password or none."""
    if not audience.link or audience.upload_only or audience.accounts:
        raise Unsupported(_("The image server shares only by link (no e-mail, upload-only or colleague shares)."))
    if options.generate_password or options.open_limit is not None or options.notify_on_first_open:
        raise Unsupported(_("The image server cannot make passwords, limit opens or tell you of an open."))


def _institution_key(order_id: UUID) -> str:
    return f"rayport:cloud:institution:{order_id}"


def _instance_path(item: DicomInstance) -> str:
    return f"studies/{item.study_uid}/series/{item.series_uid}/instances/{item.sop_instance_uid}"
