"""Background work of grid management, run by db_worker on the schedule in settings.LIUGUAN_SCHEDULE."""

from django_tasks import task


@task()
def supervise_task() -> dict:
    """Mark overdue stages and issue yellow and red supervision cards (hourly)."""
    from .services.supervision import supervise

    return supervise()


@task()
def events_from_rules_task() -> dict:
    """Raise grid events for unreported tenants and overdue endorsements (daily)."""
    from .services.rules import events_from_rules

    return events_from_rules()


@task()
def joint_plans_task() -> dict:
    """Open the joint cases that recurring plans have due today, once per plan and period (daily)."""
    from .services.joint import joint_plans_run

    return joint_plans_run()
