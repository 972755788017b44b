"""Daily work of the agreements and classification side, run by django-tasks' database worker (db_worker).

There is no periodic scheduler in the platform yet: a daily run is started by enqueueing these tasks from the
host's scheduler (cron or a systemd timer) through the commands `detect_breaches`, `agreement_reminders` and
`recompute_tiers`, which run the same functions directly, or with `--enqueue` hand them to the worker.
"""

import datetime as dt

from django_tasks import task


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@task()
def detect_breaches_task(as_of: str | None = None) -> dict:
    """Record the reporting breaches found as of a day (today in China when not given)."""
    from .detection import detect_breaches

    return detect_breaches(as_of=_day(as_of))


@task()
def agreement_reminders_task(today: str | None = None) -> dict:
    """Raise renewal reminders for agreements ending within 30 days; close the settled ones."""
    from .services.agreements import agreement_reminders_raise

    return agreement_reminders_raise(today=_day(today))


@task()
def recompute_tiers_task(as_of: str | None = None) -> dict:
    """Classify again everyone with an open stay (their days of stay change every day)."""
    from .classification import tiers_recompute
    from .management.commands.recompute_tiers import people_to_classify

    return {"written": tiers_recompute(people_to_classify(), as_of=_day(as_of))}


@task()
def recompute_tiers_after_import_task(batch_id: int) -> dict:
    """Classify the people an import batch registered or moved (their tiers' facts changed in bulk)."""
    from liuguan.registry.models import Stay

    from .classification import tiers_recompute

    people = Stay.objects.filter(source_ref__startswith=f"import:{batch_id}:").values_list("person_id", flat=True)
    return {"batch": batch_id, "written": tiers_recompute(people.iterator(chunk_size=5000))}
