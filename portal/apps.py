from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Account pages (sign-in, administration) and the project's plumbing."""

    name = "portal"
    verbose_name = "Rayport portal"

    def ready(self) -> None:
        from portal import signals  # noqa: F401  (connects the receivers)
