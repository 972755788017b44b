"""Collection reads, always through the user's scope."""

from liuguan.core.scoping import get_scoped, scoped

from .models import ImportBatch, ImportRow


def import_batch_list(*, user, mine_only: bool = True, limit: int = 100) -> list[ImportBatch]:
    """Batches in the user's jurisdiction, newest first; by default only the ones they uploaded."""
    qs = scoped(ImportBatch.objects.select_related("created_by"), user)
    if mine_only:
        qs = qs.filter(created_by=user)
    return list(qs.order_by("-created_at", "-id")[:limit])


def import_batch_get(*, user, batch_id: int) -> ImportBatch:
    """One batch inside scope; another jurisdiction's batch raises NotFound like a missing one."""
    return get_scoped(ImportBatch.objects.select_related("created_by"), user, pk=batch_id)


def import_rows_sample(*, user, batch: ImportBatch, limit: int = 20) -> list[ImportRow]:
    """The first rejected rows of a batch, to show on its page."""
    qs = scoped(ImportRow.objects.filter(batch=batch, outcome=ImportRow.Outcome.REJECTED), user)
    return list(qs.order_by("row_number")[:limit])
