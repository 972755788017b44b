"""Nightly work of the permits side, run by django-tasks' database worker on the schedule in settings."""

import datetime as dt

from django_tasks import task


@task()
def permits_refresh_task(on: str | None = None) -> dict:
    """Suspend permits whose endorsement is overdue and expire those past their term (today in China if not given)."""
    from .services.permits import permits_refresh

    return permits_refresh(dt.date.fromisoformat(on) if on else None)
