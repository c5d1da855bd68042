"""The Rayport project: settings, URLs, the Celery app and the account pages."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
