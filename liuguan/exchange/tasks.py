"""The hub's periodic work, run by django-tasks' database worker (db_worker) when the scheduler enqueues it."""

from django_tasks import task


@task()
def webhooks_run_task() -> dict:
    """Turn new changes into deliveries, then POST the due ones (each subscription in change order)."""
    from .services.webhooks import deliveries_enqueue, deliveries_send

    made = deliveries_enqueue()
    return {"enqueued": made, **deliveries_send()}
