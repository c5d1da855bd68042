"""Forms of the sharing pages: the share dialog (orders or a folder, outside audiences) and
changing a share. They validate and convert; the service checks again and decides."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.utils.translation import gettext_lazy as _

from postdicom.types import (
    SHARE_MESSAGE_MAX,
    SHARE_OPEN_LIMIT_MAX,
    SHARE_ORDERS_MAX,
    SHARE_TITLE_MAX,
    ShareAudience,
    ShareKind,
    ShareOffer,
    ShareOptions,
)

GENERATE, TYPE, NONE = "generate", "type", "none"

#: The share dialog's words for each outside share kind.
AUDIENCE_LABELS = {
    ShareKind.EMAIL: _("An e-mail address"),
    ShareKind.LINK: _("A link I pass on myself"),
    ShareKind.UPLOAD_EMAIL: _("Upload only, by e-mail: they may send images into this folder"),
    ShareKind.UPLOAD_LINK: _("Upload only, by link"),
}

#: The options the share dialog leaves out when the backend refuses them (``options_refused``).
_LEFT_OUT = {"title": _("A title"), "message": _("A message"), "language": _("A language for its pages")}

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ShareForm(forms.Form):
    """The share dialog, offering what the backend's ``ShareOffer`` offers."""

    audience = forms.ChoiceField(label=_("Share with"), widget=forms.RadioSelect, initial=ShareKind.EMAIL.value)
    email = forms.EmailField(
        label=_("Recipient's e-mail address"),
        required=False,
        widget=forms.EmailInput(attrs={"list": "share-contacts", "autocomplete": "off"}),
    )
    password_email = forms.EmailField(
        label=_("Send the password to another address"),
        required=False,
        help_text=_("Optional. The link and the password then travel in separate e-mails."),
        widget=forms.EmailInput(attrs={"list": "share-contacts", "autocomplete": "off"}),
    )
    password_choice = forms.ChoiceField(
        label=_("Password"),
        widget=forms.RadioSelect,
        initial=GENERATE,
        choices=[
            (GENERATE, _("Make one for me")),
            (TYPE, _("I type it")),
            (NONE, _("No password: the link alone opens it")),
        ],
    )
    password = forms.CharField(
        label=_("Password to use"),
        required=False,
        strip=False,
        min_length=8,
        max_length=128,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("At least 8 characters."),
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=SHARE_TITLE_MAX)
    message = forms.CharField(
        label=_("Message"), required=False, max_length=SHARE_MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    expires = forms.DateField(
        label=_("Last day"), required=False, widget=_DATE, help_text=_("Leave empty: until you revoke it.")
    )
    downloadable = forms.BooleanField(label=_("Allow downloads"), required=False)
    language = forms.ChoiceField(
        label=_("Language of the e-mail and pages"), choices=[("en", "English"), ("es", "Español")], initial="en"
    )
    open_limit = forms.IntegerField(
        label=_("Open limit"),
        required=False,
        min_value=1,
        max_value=SHARE_OPEN_LIMIT_MAX,
        help_text=_("How many times the link may be opened. Leave empty for no limit."),
    )
    notify_on_first_open = forms.BooleanField(label=_("E-mail me when it is first opened"), required=False)

    def __init__(self, *args: Any, offer: ShareOffer, language: str = "en", **kwargs: Any) -> None:
        """``offer``: the backend's ``share_offer`` for orders or a folder. Only its kinds are
        choices; the kinds and options it refuses are left out or disabled, and
        ``not_offered`` says why (the dialog shows it before anything is sent)."""
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = [(k.value, AUDIENCE_LABELS[k]) for k in offer.kinds]  # type: ignore[attr-defined]
        if offer.kinds:
            self.fields["audience"].initial = offer.kinds[0].value
        #: (what is not offered, why), for the dialog.
        self.not_offered = [(AUDIENCE_LABELS[kind], why) for kind, why in offer.refused.items()]
        refused = offer.options_refused
        if "generate_password" in refused:
            choice = self.fields["password_choice"]
            choice.choices = [c for c in choice.choices if c[0] != GENERATE]  # type: ignore[attr-defined]
            choice.initial = TYPE
            self.not_offered.append((_("A password made for you"), refused["generate_password"]))
        for name in ("open_limit", "notify_on_first_open"):
            if name in refused:
                self.fields[name].disabled = True
                self.fields[name].help_text = refused[name]
        for name, what in _LEFT_OUT.items():  # what the server would drop is not asked for
            if name in refused:
                self.not_offered.append((what, refused[name]))
                del self.fields[name]
        if not self.is_bound and "language" in self.fields:
            self.initial.setdefault("language", "es" if language.startswith("es") else "en")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("audience")
        by_email = kind in (ShareKind.EMAIL.value, ShareKind.UPLOAD_EMAIL.value)
        if by_email and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Enter the recipient's address."))
        if kind in (ShareKind.LINK.value, ShareKind.UPLOAD_LINK.value):
            data["email"] = data["password_email"] = ""
        if data.get("password_choice") == TYPE and not data.get("password") and "password" not in self.errors:
            self.add_error("password", _("Type the password, or have one made."))
        return data

    def share_audience(self) -> ShareAudience:
        data = self.cleaned_data
        kind = ShareKind(data["audience"])
        return ShareAudience(
            email=data["email"] if kind.by_email else "",
            password_email=data["password_email"] if kind.by_email else "",
            link=not kind.by_email,
            upload_only=kind.upload_only,
        )

    def options(self) -> ShareOptions:
        data = self.cleaned_data
        choice = data["password_choice"]
        return ShareOptions(
            password=data["password"] if choice == TYPE else "",
            generate_password=choice == GENERATE,
            title=data.get("title", ""),
            message=data.get("message", ""),
            expires=data["expires"],
            downloadable=data["downloadable"],
            language=data.get("language", "en"),
            open_limit=data["open_limit"],
            notify_on_first_open=data["notify_on_first_open"],
        )


class _Uuids(forms.Field):
    """Several UUIDs; which of them exist (and may be seen) is the service's answer."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[UUID]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return list(dict.fromkeys(UUID(str(v)) for v in values))
        except ValueError:
            raise forms.ValidationError(_("Tick the orders to share first.")) from None


class TickedOrdersForm(forms.Form):
    """The orders ticked in a list (``?order_ids=…``), at least one."""

    order_ids = _Uuids(required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order_ids"].error_messages["required"] = _("Tick the orders to share first.")

    def clean_order_ids(self) -> list[UUID]:
        ids = self.cleaned_data["order_ids"]
        if len(ids) > SHARE_ORDERS_MAX:
            raise forms.ValidationError(_("Share at most %(max)d orders at once.") % {"max": SHARE_ORDERS_MAX})
        return ids


class ChangeShareForm(forms.Form):
    """Change an outside share: last day, downloads, open limit, and a new password."""

    expires = forms.DateField(label=_("Last day"), required=False, widget=_DATE, help_text=_("Leave empty for no end."))
    downloadable = forms.BooleanField(label=_("Allow downloads"), required=False)
    open_limit = forms.IntegerField(
        label=_("Open limit"),
        required=False,
        min_value=1,
        max_value=SHARE_OPEN_LIMIT_MAX,
        help_text=_("Leave empty for no limit."),
    )
    password_choice = forms.ChoiceField(
        label=_("Password"),
        widget=forms.RadioSelect,
        initial="keep",
        choices=[("keep", _("Keep the password")), (GENERATE, _("Make a new one")), (TYPE, _("Type a new one"))],
    )
    password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        min_length=8,
        max_length=128,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password_choice") == TYPE and not data.get("password") and "password" not in self.errors:
            self.add_error("password", _("Type the new password, or have one made."))
        return data
