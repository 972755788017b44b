"""The change feed (GovStack's pull with acknowledgement): a subsystem reads a dataset's changes after a cursor,
cut to its feed grants, and acknowledges how far it got. The audit chain is the change log and the cursor is an
audit event id, so any earlier cursor replays the same events (at least once, in order).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditChainHead

from ..hub import CallContext, access_log, grants_for, rate_check
from ..models import Dataset, FeedPosition, Grant, Subsystem, Way
from ..selectors_feeds import PAGE_MAX, FeedPage, feed_page


def dataset_get(code: str) -> Dataset:
    """A catalogue dataset, or NotFound."""
    dataset = Dataset.objects.filter(code=code).first()
    if dataset is None:
        raise NotFound()
    return dataset


def call_context(subsystem: Subsystem, grants: list[Grant], *, end_user: str = "", case_ref: str = "") -> CallContext:
    """Who is asking and why; the purpose is the grants' (a feed is read for what it was granted for)."""
    purpose = "; ".join(sorted({g.purpose for g in grants}))
    return CallContext(subsystem=subsystem, end_user=end_user[:150], purpose=purpose, case_ref=case_ref[:64])


def granted_or_refused(
    subsystem: Subsystem, dataset: Dataset, way: str, *, action: str, request: dict, end_user="", case_ref=""
) -> tuple[list[Grant], CallContext]:
    """The grants in force for the way, or a refusal that the log shows (and PermissionDenied)."""
    grants = grants_for(subsystem, dataset.code, way)
    context = call_context(subsystem, grants, end_user=end_user, case_ref=case_ref)
    if not grants:
        access_log(
            context=context, action=action, dataset=dataset.code, outcome="refused", request=request, response={}
        )
        raise PermissionDenied()
    return grants, context


def feed_read(
    *, subsystem: Subsystem, dataset: str, after: int | None = None, limit: int = 100, end_user="", case_ref=""
) -> FeedPage:
    """A page of a dataset's changes after the cursor (after the acknowledged position when none is given),
    each with the object's current granted fields, only objects inside the grants' areas. Logged.
    """
    rate_check(subsystem)
    catalogue = dataset_get(dataset)
    problems = []
    if after is not None and after < 0:
        problems.append(FieldProblem("after", "exchange.cursor_negative", _("A cursor is an event number, 0 or more")))
    if not 1 <= limit <= PAGE_MAX:
        message = _("Between 1 and %(max)s events a page") % {"max": PAGE_MAX}
        problems.append(FieldProblem("limit", "exchange.limit_range", message))
    if problems:
        raise InvalidInput(problems)
    request = {"dataset": dataset, "after": after, "limit": limit}
    grants, context = granted_or_refused(
        subsystem, catalogue, Way.FEED, action="exchange.feed", request=request, end_user=end_user, case_ref=case_ref
    )
    if after is None:
        position = FeedPosition.objects.filter(subsystem=subsystem, dataset=catalogue).first()
        after = position.acknowledged if position else 0
    page = feed_page(catalogue, grants, after=after, limit=limit)
    response = [(e.cursor, e.object_type, e.object_id, e.values) for e in page.events]
    access_log(
        context=context,
        action="exchange.feed",
        dataset=dataset,
        outcome="ok",
        request=request,
        response=response,
        extra={"after": after, "next_cursor": page.next_cursor, "events": len(page.events), "withheld": page.withheld},
    )
    return page


def feed_ack(*, subsystem: Subsystem, dataset: str, cursor: int, end_user="", case_ref="") -> FeedPosition:
    """The subsystem has what came up to the cursor; an acknowledgement never moves back (replay needs none).
    A refusal is logged outside the write's transaction, so it stays in the log.
    """
    rate_check(subsystem)
    catalogue = dataset_get(dataset)
    head = AuditChainHead.objects.filter(pk=1).values_list("last_event_id", flat=True).first() or 0
    if cursor < 0 or cursor > head:
        raise InvalidInput([FieldProblem("cursor", "exchange.cursor_unknown", _("Not a cursor the feed has given"))])
    request = {"dataset": dataset, "cursor": cursor}
    granted_or_refused(
        subsystem,
        catalogue,
        Way.FEED,
        action="exchange.feed_ack",
        request=request,
        end_user=end_user,
        case_ref=case_ref,
    )
    with transaction.atomic():
        position, _created = FeedPosition.objects.select_for_update().get_or_create(
            subsystem=subsystem, dataset=catalogue
        )
        before = position.acknowledged
        if cursor > before:
            position.acknowledged = cursor
            position.save(update_fields=["acknowledged", "updated_at"])
        audit_record(
            actor=subsystem.account,
            action="exchange.feed_ack",
            obj=position,
            changes={"dataset": dataset, "acknowledged": [before, position.acknowledged], "end_user": end_user},
            source="api",
        )
    return position
