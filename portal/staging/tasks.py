"""The staging's Celery task (beat: ``clear-abandoned-uploads``, hourly)."""

from __future__ import annotations

from celery import shared_task

from portal.staging import cleanup


@shared_task(name="portal.staging.tasks.clear_abandoned_uploads")
def clear_abandoned_uploads() -> int:
    """Clear the uploads left open and idle for ``RAYPORT_STAGING_IDLE_DAYS``; how many."""
    return len(cleanup.clear_abandoned())
