"""The forms of the public share pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.forms.upload import UploadForm


class UnlockForm(forms.Form):
    """The share's password (absent for a share the link alone opens: the button then only
    confirms, so that a mail scanner following the link does not use up an open)."""

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class ShareUploadForm(UploadForm):
    """The staff upload settings without institution and folder, which the share decides:
    what a visitor chooses is only how the images are anonymized."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, institutions=(), folders=(), **kwargs)
        del self.fields["institution_id"]
        del self.fields["folder_id"]
