"""Police cooperation's periodic work, run by django-tasks' database worker when the scheduler enqueues it."""

from django_tasks import task


@task()
def bulletins_sweep_task() -> dict:
    """Match bulletins whose validity has begun since they were issued against every current stay."""
    from .services.police import bulletins_sweep

    return {"hits": bulletins_sweep()}
