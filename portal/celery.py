"""The Celery application: `celery -A portal worker` / `celery -A portal beat`."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("rayport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _import_before_forking(**kwargs: object) -> None:
    """Import what the tasks use before the pool forks, so that no child pays for it on its
    first file (pydicom and the ingest modules: tens of milliseconds per process)."""
    import postdicom.dicom.anonymize
    import postdicom.dicom.read
    import postdicom.local.uploads.ingest  # noqa: F401
