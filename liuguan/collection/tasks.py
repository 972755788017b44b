"""Background work of the collection app, run by django-tasks' database worker (manage.py db_worker)."""

from django_tasks import task

from .models import ImportBatch


@task()
def import_stays_task(batch_id: int) -> dict:
    """Run an uploaded batch as the person who uploaded it, with their rights at the time it runs."""
    from .services import stays_import

    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    if batch.created_by is None:
        return {"batch": batch_id, "status": "no uploader"}
    done = stays_import(actor=batch.created_by, batch_id=batch_id)
    return {"batch": batch_id, "status": done.status, "accepted": done.accepted, "rejected": done.rejected}
