"""Celery tasks of the portal itself (the backend's are in ``postdicom.local.tasks``)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils import translation

log = logging.getLogger(__name__)

#: The password reset e-mail: subject, text and HTML (house style rule 5).
RESET_TEMPLATES = {
    "subject_template_name": "emails/password_reset_subject.txt",
    "email_template_name": "emails/password_reset.txt",
    "html_email_template_name": "emails/password_reset.html",
}


class _ResetMail(PasswordResetForm):
    """Django's form, except that a failed send raises (Django logs it and carries on), so
    that the task is retried."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        message = EmailMultiAlternatives(
            subject, loader.render_to_string(email_template_name, context), from_email, [to_email]
        )
        if html_email_template_name is not None:
            message.attach_alternative(loader.render_to_string(html_email_template_name, context), "text/html")
        message.send()


@shared_task(
    name="portal.tasks.send_password_reset",
    autoretry_for=(OSError,),  # smtplib.SMTPException and a refused connection alike
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_password_reset(email: str, domain: str, use_https: bool, language: str) -> None:
    """E-mail a reset link to each active account with ``email``; for an unknown address,
    nothing. Runs in the worker so that the page answers known and unknown addresses alike
    and in the same time; ``domain`` and ``use_https`` are the request's, for the link."""
    form = _ResetMail({"email": email})
    if not form.is_valid():
        log.warning("A password reset for an address that is not valid was dropped.")
        return
    with translation.override(language):
        form.save(domain_override=domain, use_https=use_https, **RESET_TEMPLATES)  # type: ignore[arg-type]
