"""Permit policies as rows: loading the shipped versions, and choosing the one that governs a place on a day.

A row's content never changes once loaded: decisions name the code and version they used, so changing the
rules means shipping a new version. Loading the same content again does nothing.
"""

import datetime as dt

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import Conflict

from ..models import PermitPolicy
from ..policy import Policy, policy_content, policy_from, shipped_policies


class Condition(models.TextChoices):
    """The lawful conditions of Order 663 Art. 2 an applicant relies on, besides the length of residence."""

    EMPLOYMENT = "employment", _("Lawful stable employment")
    RESIDENCE = "residence", _("Lawful stable residence")
    STUDY = "study", _("Continuous study")


@transaction.atomic
def permit_policies_load(*, actor=SYSTEM, codes: list[str] | None = None, source: str = "cli") -> dict[str, int]:
    """Store each shipped policy version once; the same version with other content is refused (bump the version)."""
    loaded = unchanged = 0
    for code in codes or shipped_policies():
        content = policy_content(code)
        version = content["version"]
        row = PermitPolicy.objects.filter(code=code, version=version).first()
        if row is not None:
            if row.content != content:
                raise Conflict(
                    _(
                        "Policy %(code)s version %(version)s is already loaded with other content; "
                        "decisions refer to it, so give the changed policy a new version"
                    )
                    % {"code": code, "version": version},
                    field="version",
                    rule="permit_policy.version_immutable",
                    existing_id=row.pk,
                )
            unchanged += 1
            continue
        row = PermitPolicy.objects.create(
            code=code,
            version=version,
            title=content["title"],
            prefix=content.get("prefix", ""),
            effective_from=dt.date.fromisoformat(content["effective_from"]),
            content=content,
            rights_profile=content.get("rights_profile") or "national",
            settlement_profile=content.get("settlement_profile", ""),
        )
        audit_record(
            actor=actor,
            action="permit_policy.load",
            obj=row,
            source=source,
            changes={"code": code, "version": version, "prefix": row.prefix, "effective_from": row.effective_from},
        )
        loaded += 1
    return {"loaded": loaded, "unchanged": unchanged}


def policies_in_force(on: dt.date) -> list[PermitPolicy]:
    """The policy rows in force on a day, latest first (few rows: one per city profile and version)."""
    return list(PermitPolicy.objects.filter(effective_from__lte=on).order_by("-effective_from", "-id"))


def choose_policy(rows: list[PermitPolicy], community_code: str) -> PermitPolicy | None:
    """Of rows in force, the longest prefix matching the community, its latest version (rows come latest first)."""
    candidates = [row for row in rows if community_code.startswith(row.prefix)]
    if not candidates:
        return None
    longest = max(len(row.prefix) for row in candidates)
    return next(row for row in candidates if len(row.prefix) == longest)


def policy_for(community_code: str, on: dt.date) -> PermitPolicy | None:
    """The policy governing a community on a day: the longest matching prefix in force, its latest version."""
    return choose_policy(policies_in_force(on), community_code)


def no_policy() -> Conflict:
    return Conflict(
        _("No residence-permit policy is loaded for this area; run load_permit_policies"),
        field="community",
        rule="permit_policy.missing",
    )


def policy_required(community_code: str, on: dt.date) -> tuple[PermitPolicy, Policy]:
    """The governing row and its rules; without any loaded policy nothing can be decided."""
    row = policy_for(community_code, on)
    if row is None:
        raise no_policy()
    return row, policy_from(row)
