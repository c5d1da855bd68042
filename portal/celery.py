"""The Celery application: `celery -A portal worker` / `celery -A portal beat`."""

import os
from typing import Any

from celery import Celery, bootsteps
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("rayport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["postdicom.cloud"])  # not an app (no models), but it has tasks


@worker_init.connect
def _import_before_forking(**kwargs: object) -> None:
    """Import what the tasks use before the pool forks, so that no child pays for it on its
    first file (pydicom and the ingest modules: tens of milliseconds per process)."""
    import postdicom.dicom.anonymize
    import postdicom.dicom.read
    import postdicom.local.uploads.ingest  # noqa: F401


class ResumeUploadsOnConnect(bootsteps.StartStopStep):
    """Queue ``resume_uploads`` each time the worker's consumer connects to the broker: when
    the worker starts, and again when the broker comes back after an outage (the consumer
    restarts its steps on a new connection). Work that a killed worker left, or that the web
    process could not queue while the broker was away, then resumes at once (the cloud
    backend's uploads too: ``postdicom.cloud.tasks``)."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, parent: Any) -> None:
        parent.app.signature("postdicom.local.tasks.resume_uploads").apply_async()
        parent.app.signature("postdicom.cloud.tasks.resume_cloud_uploads").apply_async()


app.steps["consumer"].add(ResumeUploadsOnConnect)
