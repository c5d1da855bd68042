"""WSGI entry point (gunicorn portal.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, their modules) lives as long as the process:
# keep it out of the garbage collector's full collections, which would otherwise walk it on
# every third or so request that builds a large page (bench/folders: -40 ms at p95 for a
# tree of 5,000 folders). Workers forked from a preloading master share these pages too.
gc.freeze()
