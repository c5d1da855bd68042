from django.apps import AppConfig


class LocalBackendConfig(AppConfig):
    """The embedded backend's domain: its models, migrations and storage layout."""

    name = "postdicom.local"
    label = "postdicom"
    verbose_name = "Rayport data"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from postdicom.local import signals  # noqa: F401  (connects the receivers)
