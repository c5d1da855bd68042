"""Forms of the folder pages. They validate and convert; the service checks names and who
owns which folder. Folder choices are rendered by ``folders_tags.folder_options`` (fast for
thousands of folders), so the fields here take any UUID and the service decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.forms.actions import OrderIdsForm, UUIDsField
from postdicom.types import FOLDER_DEPTH_MAX, FOLDER_DESCRIPTION_MAX, FOLDER_NAME_MAX, Folder


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
    """The order list's folder filter (``?folder=<id>``)."""

    folder = forms.UUIDField(required=False)
