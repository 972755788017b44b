"""Registration deadlines per area, and how late a registration was.

Policies are data (`data/registration_policies.json`, loaded into RegistrationPolicy); the policy whose code
prefix is the longest match for a stay's community applies, the empty prefix being the platform default.
"""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from liuguan.core.audit import audit_record

from .models import RegistrationPolicy

POLICY_FILE = Path(__file__).parent / "data" / "registration_policies.json"
SHANGHAI = ZoneInfo("Asia/Shanghai")
FALLBACK_DEADLINE_DAYS = 30


@dataclass(frozen=True)
class Lateness:
    lag_days: int
    deadline_days: int
    policy: str

    @property
    def late(self) -> bool:
        return self.lag_days > self.deadline_days


def _policies() -> list[tuple[str, int, str]]:
    return list(RegistrationPolicy.objects.order_by("-prefix").values_list("prefix", "deadline_days", "name"))


class PolicyTable:
    """The policies read once, for a request or a whole import, so each row costs a dictionary look-up."""

    def __init__(self, rows: list[tuple[str, int, str]] | None = None):
        rows = _policies() if rows is None else rows
        self.by_prefix = {prefix: (days, name) for prefix, days, name in rows}
        self.lengths = sorted({len(p) for p in self.by_prefix}, reverse=True)

    def for_code(self, community_code: str) -> tuple[int, str]:
        for length in self.lengths:
            hit = self.by_prefix.get(community_code[:length])
            if hit is not None:
                return hit
        return FALLBACK_DEADLINE_DAYS, "fallback"

    def lateness(self, community_code: str, arrived_on: dt.date, registered_at: dt.datetime) -> Lateness:
        """Lag in whole days between arrival and registration (China's calendar), against the area's deadline."""
        days, name = self.for_code(community_code)
        lag = (registered_at.astimezone(SHANGHAI).date() - arrived_on).days
        return Lateness(lag_days=max(lag, 0), deadline_days=days, policy=name)


@transaction.atomic
def registration_policies_load(*, actor, path: Path = POLICY_FILE, source: str = "cli") -> dict:
    """Upsert the policies of the file by prefix; audit once."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))["policies"]
    changed = {}
    for entry in entries:
        values = {
            "name": entry["name"],
            "label": entry.get("label", ""),
            "deadline_days": int(entry["deadline_days"]),
            "source_note": entry.get("source", ""),
        }
        row, created = RegistrationPolicy.objects.get_or_create(prefix=entry["prefix"], defaults=values)
        if created:
            changed[entry["prefix"] or "*"] = ["created", values["deadline_days"]]
            continue
        diffs = {k: [getattr(row, k), v] for k, v in values.items() if getattr(row, k) != v}
        if diffs:
            for key, (_old, new) in diffs.items():
                setattr(row, key, new)
            row.save()
            changed[entry["prefix"] or "*"] = diffs
    audit_record(
        actor=actor,
        action="registration_policies.load",
        object_type="registry.registrationpolicy",
        changes=changed,
        source=source,
    )
    return changed
