"""Orders and folders shared with people outside the account (PostDICOM's SharePatientOrder,
CreateQuickShareLink, ShareFolderWithEmail / WithURL / ToUploadWithEmail / ToUploadWithUrl).

An ``OutsideShare`` is reached through an unguessable link ``/s/<token>/``: the token is an
HMAC of a 256-bit random ``token_seed`` under ``SECRET_KEY`` and is looked up by its SHA-256
(``token_hash``). "E-mail again" re-sends the same link, rebuilt from the seed; the database
alone cannot rebuild it (the key is not in it). The password is stored with Django's hashers. A share covers either some
orders (``orders``, through ``OutsideShareOrder``) or a folder (``folder``: live, the orders
filed in it and below it that its owner sees when it is opened), or is an upload-only folder.
Shares are never deleted by the service: revoking stamps ``revoked_at``.

Folders shared with account users and groups are ``FolderShare`` (see docs/decisions.md,
"Sharing with outside people": why two tables behind one contract type).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from postdicom.local.models.folders import Folder
from postdicom.local.models.orders import PatientOrder


class Audience(models.TextChoices):
    EMAIL = "email"
    LINK = "link"
    UPLOAD_EMAIL = "upload_email"
    UPLOAD_LINK = "upload_link"


class OutsideShare(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outside_shares")
    audience = models.CharField(max_length=16, choices=Audience.choices)
    # A folder share: the folder (None for an order share, or once the folder is deleted,
    # which ends the share: ``subject_label`` keeps its name for the owner's list).
    folder = models.ForeignKey(Folder, null=True, blank=True, on_delete=models.SET_NULL, related_name="outside_shares")
    orders: models.ManyToManyField[PatientOrder, OutsideShareOrder] = models.ManyToManyField(
        PatientOrder, through="OutsideShareOrder", related_name="outside_shares"
    )
    covers_folder = models.BooleanField(default=False)  # stays true when the folder is deleted
    subject_label = models.CharField(max_length=250, blank=True)  # what it covers, as named when made
    token_hash = models.CharField(max_length=64, unique=True)  # SHA-256 (hex) of the link's token
    # What the token is derived from with SECRET_KEY (``outside.secrets``); "" for a share made
    # before seeds were kept, whose link cannot be sent again (a new one is made then).
    token_seed = models.CharField(max_length=64, blank=True, default="")
    password_hash = models.CharField(max_length=128, blank=True)  # Django's hasher; "" = the link alone opens it
    email = models.EmailField(max_length=254, blank=True)
    password_email = models.EmailField(max_length=254, blank=True)  # receives only the password
    title = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    language = models.CharField(max_length=8, default="en")  # of the e-mails and the public pages
    expires = models.DateField(null=True, blank=True)  # the last day the share works (local date)
    downloadable = models.BooleanField(default=False)
    open_limit = models.PositiveIntegerField(null=True, blank=True)  # None: any number of opens
    opens = models.PositiveIntegerField(default=0)
    notify_on_first_open = models.BooleanField(default=False)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    # Wrong passwords in a row, and the end of the lock they caused (see ``outside.opening``).
    failed_attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="outside_share_owner_idx")]

    def __str__(self) -> str:
        return f"{self.audience} share {self.uuid}"


class OutsideShareOrder(models.Model):
    """One order of an order share. Purging the order removes it from the share."""

    share = models.ForeignKey(OutsideShare, on_delete=models.CASCADE, related_name="share_orders")
    order = models.ForeignKey(PatientOrder, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["share", "order"], name="outside_share_order_unique")]

    def __str__(self) -> str:
        return f"order {self.order_id} in share {self.share_id}"


class AccessKind(models.TextChoices):
    OPENED = "opened"
    FAILED_PASSWORD = "failed_password"  # noqa: S105 (a kind of access, not a secret)
    LOCKED = "locked"
    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    UPLOADED = "uploaded"
    REFUSED = "refused"  # expired, revoked or used up (``detail``: the ``ShareRefusal``)


class ShareAccess(models.Model):
    """One thing a visitor did with a share (its access log)."""

    share = models.ForeignKey(OutsideShare, on_delete=models.CASCADE, related_name="accesses")
    at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=AccessKind.choices)
    detail = models.CharField(max_length=250, blank=True)  # an order's label, a file count

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["share", "-at"], name="share_access_share_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.share_id} at {self.at}"


class MailKind(models.TextChoices):
    LINK = "link"  # the link (and the password, when no second address was given)
    PASSWORD = "password"  # noqa: S105 (the password alone, to the second address)
    OPENED = "opened"  # to the owner: first opened
    UPLOADED = "uploaded"  # to the owner: files arrived through an upload-only share


class ShareMail(models.Model):
    """One e-mail about a share, made in the transaction that causes it and sent by the worker.

    ``(share, kind, number)`` is unique and ``sent_at`` marks it sent, so a task run twice (a
    retry, a redelivered message) never sends it twice. ``secrets`` holds the link's token or
    the new password only until the mail is sent (the database keeps neither otherwise)."""

    share = models.ForeignKey(OutsideShare, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=16, choices=MailKind.choices)
    number = models.PositiveIntegerField(default=1)  # the n-th mail of this kind (resends, uploads)
    to = models.EmailField(max_length=254)
    secrets = models.JSONField(default=dict, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["share", "kind", "number"], name="share_mail_once")]

    def __str__(self) -> str:
        return f"{self.kind} mail {self.number} of share {self.share_id}"
