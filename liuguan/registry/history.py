"""Field history: every change of a registered field after creation, with who, when, channel and point."""

from liuguan.core.audit import _plain
from liuguan.core.fields import seal_changes

from .models import FieldChange


def field_changes_record(*, actor, obj, changes: dict, channel: str, device_time=None, audit_event=None) -> list:
    """One FieldChange row per changed field, in the caller's transaction (next to its audit event)."""
    changes = seal_changes(obj._meta.model, changes)
    rows = [
        FieldChange(
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            field=name,
            old_value=_plain(old),
            new_value=_plain(new),
            channel=channel,
            actor=actor if getattr(actor, "pk", None) else None,
            collection_point=getattr(actor, "office", None),
            device_time=device_time,
            audit_event_id=getattr(audit_event, "pk", None),
        )
        for name, (old, new) in changes.items()
    ]
    return FieldChange.objects.bulk_create(rows)
