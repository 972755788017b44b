"""The audit chain's state, for auditors."""

from ninja import Router, Schema

from .permissions import endpoint
from .schemas import responses
from .selectors import audit_event_list

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    occurred_at: str
    actor_username: str
    action: str
    object_type: str
    object_id: str
    division_code: str
    purpose: str
    source: str
    changes: dict


@router.get(
    "/audit/events", response=responses(list[AuditEventOut]), summary="Audit events inside the caller's jurisdiction"
)
@endpoint("audit.view")
def audit_events(request, object_type: str = "", object_id: str = "", action: str = "", limit: int = 100):
    events = audit_event_list(
        user=request.user, object_type=object_type, object_id=object_id, action=action, limit=min(max(limit, 1), 1000)
    )
    return [
        AuditEventOut(
            id=e.id,
            occurred_at=e.occurred_at.isoformat(),
            actor_username=e.actor_username,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            division_code=e.division_code,
            purpose=e.purpose,
            source=e.source,
            changes=e.changes,
        )
        for e in events
    ]
