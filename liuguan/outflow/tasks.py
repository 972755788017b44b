"""The outflow app's periodic work, run by django-tasks' database worker when the scheduler enqueues it."""

import dataclasses

from django_tasks import task


@task()
def outbox_send_task() -> dict:
    """Send the federation outbox's due messages (every minute), and forget replay digests too old to matter."""
    from .services.inbox import seen_envelopes_prune
    from .services.outbox import outbox_send

    return {**outbox_send(), "seen_pruned": seen_envelopes_prune()}


@task()
def reconcile_task() -> dict:
    """Match outflow records with what destinations reported: open and close the origin offices' tasks."""
    from .services.reconcile import reconcile

    result = reconcile()
    return dataclasses.asdict(result) if dataclasses.is_dataclass(result) else result
