"""Background work of macro decision, run by db_worker on the schedule in settings.LIUGUAN_SCHEDULE."""

from django_tasks import task


@task()
def rollup_refresh_task() -> dict:
    """Bring the dashboards' cells up to the latest audited write (every minute)."""
    from .rollup import rollup_refresh

    return rollup_refresh()


@task()
def rollup_rebuild_task() -> dict:
    """Count every cell again from the live tables (nightly: ages and deadlines move with the calendar)."""
    from .rollup import rollup_rebuild

    return rollup_rebuild()
