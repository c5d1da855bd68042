from django.apps import AppConfig


class StagingConfig(AppConfig):
    """The browser's resumable uploads, assembled before the backend stores them."""

    name = "portal.staging"
    label = "staging"
    verbose_name = "Rayport upload staging"
    default_auto_field = "django.db.models.BigAutoField"
