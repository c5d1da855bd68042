"""Forms of the folder pages. They validate and convert; the service checks names and who
owns which folder. Folder choices are rendered by ``folders_tags.folder_options`` (fast for
thousands of folders), so the fields here take any UUID and the service decides."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.forms.actions import OrderIdsForm, UUIDsField
from postdicom.types import (
    FOLDER_DEPTH_MAX,
    FOLDER_DESCRIPTION_MAX,
    FOLDER_NAME_MAX,
    Folder,
    FolderShareOptions,
    ShareAudience,
)


def _description() -> forms.CharField:
    return forms.CharField(
        label=_("Description"),
        max_length=FOLDER_DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NewFolderForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        # a path of several levels: each level is at most FOLDER_NAME_MAX (the service checks)
        max_length=(FOLDER_NAME_MAX + 1) * FOLDER_DEPTH_MAX,
        strip=False,
        help_text=_("Use “/” to create several levels at once, e.g. Cardiology/2026/March."),
    )
    description = _description()
    parent = forms.UUIDField(label=_("Inside"), required=False)


class FolderForm(forms.Form):
    """Rename a folder, or change its description."""

    name = forms.CharField(label=_("Name"), max_length=FOLDER_NAME_MAX, strip=False)
    description = _description()

    @staticmethod
    def initial_for(folder: Folder) -> dict[str, object]:
        return {"name": folder.name, "description": folder.description}


class MoveFolderForm(forms.Form):
    parent = forms.UUIDField(label=_("Move into"), required=False)


class FolderSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a folder"), required=False, max_length=FOLDER_NAME_MAX)


class FolderIdsForm(forms.Form):
    """Folders ticked or chosen (any UUID; the service refuses folders that are not yours)."""

    folder_ids = UUIDsField(error_messages={"required": _("Choose at least one folder.")})


class BulkAddToFoldersForm(OrderIdsForm, FolderIdsForm):
    """The orders ticked in a list, and the folders to file them in."""


class FolderFilterForm(forms.Form):
    """The order list's folder filter (``?folder=<id>``), with or without its sub-folders.

    ``sub_folders`` is on unless the URL says ``false``: the page sends a hidden ``false``
    before the tick box's ``true`` and the last value wins, so an untouched bookmark (no
    parameter) and a ticked box both include the sub-folders, without JavaScript."""

    folder = forms.UUIDField(required=False)
    sub_folders = forms.NullBooleanField(required=False)

    def include_sub_folders(self) -> bool:
        return self.cleaned_data.get("sub_folders") is not False


class FolderOptionsForm(forms.Form):
    """Which folder picker ``folders:options`` fills: the order list's folder filter (with its
    current choice, ``folder``) or the bulk "Add to folders"."""

    FILTER, BULK = "filter", "bulk"

    picker = forms.ChoiceField(choices=[(FILTER, FILTER), (BULK, BULK)])
    folder = forms.UUIDField(required=False)


class ShareFolderForm(forms.Form):
    """Share a folder with colleagues and/or user groups: the choices and the rights offered
    come from the service (``FolderShareOptions``); rights the actor cannot grant are shown
    disabled, and the service checks again."""

    user_ids = forms.TypedMultipleChoiceField(
        label=_("Colleagues"), required=False, coerce=UUID, widget=forms.CheckboxSelectMultiple
    )
    group_ids = forms.TypedMultipleChoiceField(
        label=_("User groups"), required=False, coerce=UUID, widget=forms.CheckboxSelectMultiple
    )
    may_edit = forms.BooleanField(
        label=_("May edit"),
        required=False,
        help_text=_("Add and remove orders, and create and rename folders inside it."),
    )
    may_reshare = forms.BooleanField(
        label=_("May share it further"),
        required=False,
        help_text=_("With at most the same rights, for at most as long."),
    )
    includes_restricted_orders = forms.BooleanField(
        label=_("Include restricted orders"),
        required=False,
        help_text=_(
            "Recipients also see the orders filed here that their role would otherwise hide "
            "(for example referring doctors with limited access)."
        ),
    )
    expires = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for no end."),
    )

    def __init__(self, *args: Any, options: FolderShareOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user_ids"].choices = [(str(u.id), u.name) for u in options.users]  # type: ignore[attr-defined]
        self.fields["group_ids"].choices = [(str(g.id), g.name) for g in options.groups]  # type: ignore[attr-defined]
        for name in ("may_edit", "may_reshare", "includes_restricted_orders"):
            if not getattr(options, name):
                self.fields[name].disabled = True
        if options.latest_expiry is not None:
            self.fields["expires"].help_text = _("At the latest %(day)s, when your own access ends.") % {
                "day": options.latest_expiry.isoformat()
            }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("user_ids") and not data.get("group_ids") and not self.errors:
            raise forms.ValidationError(_("Choose at least one colleague or group."))
        return data

    def audience(self) -> ShareAudience:
        return ShareAudience(
            user_ids=tuple(self.cleaned_data["user_ids"]), group_ids=tuple(self.cleaned_data["group_ids"])
        )
