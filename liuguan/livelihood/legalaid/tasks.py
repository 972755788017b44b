"""Background work of legal aid, run by db_worker on the schedule in settings.LIUGUAN_SCHEDULE."""

from django_tasks import task


@task()
def overdue_task() -> dict:
    """Mark requests past their stage's deadline (daily)."""
    from .services import legal_aid_mark_overdue

    return legal_aid_mark_overdue()
