"""The Celery application: `celery -A portal worker` / `celery -A portal beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("rayport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
