"""The upload settings (institution, folder, anonymization) and the document form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django import forms
from django.utils.translation import gettext_lazy as _

from postdicom.types import ANONYMIZATION_TAGS, Anonymization, Folder, Institution

TAG_LABELS: dict[str, Any] = {
    "PatientName": _("Patient name"),
    "PatientID": _("Patient ID"),
    "OtherPatientIDs": _("Other patient IDs"),
    "OtherPatientNames": _("Other patient names"),
    "StudyDescription": _("Study description"),
    "ReferringPhysicianName": _("Referring physician"),
    "InstitutionName": _("Institution name"),
    "InstitutionAddress": _("Institution address"),
    "AccessionNumber": _("Accession number"),
    "StudyDate": _("Study date (YYYY-MM-DD)"),
}
assert set(TAG_LABELS) == set(ANONYMIZATION_TAGS)


def replace_field(tag: str) -> str:
    return f"replace_{tag}"


def value_field(tag: str) -> str:
    return f"value_{tag}"


def folder_label(folder: Folder) -> str:
    """ "Cardiology / 2026 / March": the folder with its ancestors."""
    return " / ".join([*(a.name for a in folder.ancestors), folder.name])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; ``cleaned_data`` holds a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        items = list(data) if isinstance(data, list | tuple) else ([data] if data else [])
        if not items:
            single(None, initial)  # "This field is required." when it is
            return []
        return [single(item, initial) for item in items]


class UploadForm(forms.Form):
    """Where the images go and how they are anonymized. Each tag of PostDICOM's list has a
    "replace" box and a value: ticked with an empty value, the tag is emptied."""

    institution_id = forms.TypedChoiceField(label=_("Institution"), coerce=UUID)
    folder_id = forms.TypedChoiceField(
        label=_("Folder"), coerce=UUID, required=False, empty_value=None, help_text=_("Optional.")
    )
    basic_profile = forms.BooleanField(
        label=_("Remove every patient detail (DICOM PS3.15 basic de-identification profile)"),
        required=False,
        help_text=_(
            "Names, IDs, dates of birth, addresses and private tags are removed, dates shifted and "
            "UIDs replaced. The original files are not kept."
        ),
    )

    def __init__(
        self, *args: Any, institutions: Sequence[Institution], folders: Sequence[Folder] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        active = [i for i in institutions if i.is_active]
        field = self.fields["institution_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(i.id), i.name) for i in active]
        if len(active) == 1:
            field.initial = str(active[0].id)
        folder_field = self.fields["folder_id"]
        assert isinstance(folder_field, forms.ChoiceField)
        folder_field.choices = [("", _("No folder")), *((str(f.id), folder_label(f)) for f in folders)]
        for tag in ANONYMIZATION_TAGS:
            self.fields[replace_field(tag)] = forms.BooleanField(label=TAG_LABELS[tag], required=False)
            self.fields[value_field(tag)] = forms.CharField(
                label=_("New value for %(tag)s") % {"tag": TAG_LABELS[tag]}, required=False, max_length=1024
            )

    def tag_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[replace_field(tag)], self[value_field(tag)]) for tag in ANONYMIZATION_TAGS]

    def anonymization(self) -> Anonymization | None:
        data = self.cleaned_data
        replacements = {
            tag: data.get(value_field(tag)) or "" for tag in ANONYMIZATION_TAGS if data.get(replace_field(tag))
        }
        request = Anonymization(replacements=replacements, basic_profile=bool(data.get("basic_profile")))
        return request if request.active else None

    def service_fields(self) -> dict[str, str]:
        """Service error keys → form fields (replacement tags → their value fields)."""
        return {tag: value_field(tag) for tag in ANONYMIZATION_TAGS}


class DocumentForm(forms.Form):
    # An empty file is refused by the service on its own, with the others kept.
    attachments = MultipleFileField(
        label=_("Documents"),
        allow_empty_file=True,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.bmp,.mp4,application/pdf,image/*,video/mp4"}),
        help_text=_("PDF, JPEG, PNG, BMP or MP4 files."),
    )


class UploadFilesForm(forms.Form):
    """The files of an upload sent with the page's form itself (without JavaScript)."""

    dicom_files = MultipleFileField(label=_("DICOM files or ZIP archives"))
