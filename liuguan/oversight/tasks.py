"""Background work of municipal management, run by db_worker on the schedule in settings.LIUGUAN_SCHEDULE."""

from django_tasks import task


@task()
def cells_refresh_task() -> dict:
    """Bring the timeliness and staleness cells up to the latest audited write."""
    from .cells import cells_refresh

    return cells_refresh()


@task()
def feedback_escalate_task() -> int:
    """Hand overdue feedback tasks to the station officer, then to the street officer."""
    from .services.feedback import feedback_escalate

    return feedback_escalate()
