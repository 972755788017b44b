"""Members of the hub: a department's subsystems (its applications), their service accounts and their keys.

A subsystem calls the hub as its service account, a department user that cannot sign in with a password; its
keys are that account's API tokens. Rotation issues a new key and revokes the old one in one transaction, so a
subsystem is never left without a working key by a half-done rotation.
"""

import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.accounts.models import ApiToken, User
from liuguan.accounts.roles import Role
from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied

from ..models import Department, Subsystem

CODE_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,39}")
MAX_RATE = 100_000
MAX_KEY_DAYS = 3 * 365


def _admin(actor) -> None:
    if actor is None or not actor.can("exchange.admin"):
        raise PermissionDenied()


def _subsystem(subsystem_id) -> Subsystem:
    subsystem = (
        Subsystem.objects.select_for_update().select_related("department", "account").filter(pk=subsystem_id).first()
    )
    if subsystem is None:
        raise NotFound()
    return subsystem


def _record(actor, action: str, subsystem: Subsystem, changes: dict, source: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=subsystem,
        changes={"department": subsystem.department_id, "subsystem": subsystem.code, **changes},
        source=source,
    )


@transaction.atomic
def subsystem_create(
    *, actor, department_code: str, code: str, name: str, rate_per_minute: int = 600, source: str = "web"
) -> Subsystem:
    """A department's application joins the hub with a service account that has no password login."""
    _admin(actor)
    problems = []
    department = Department.objects.filter(code=department_code).first()
    if department is None:
        problems.append(FieldProblem("department_code", "exchange.department_unknown", _("Unknown department")))
    code = (code or "").strip()
    if not CODE_PATTERN.fullmatch(code):
        message = _("A code is 1 to 40 lower-case ASCII letters, digits, - and _, starting with a letter")
        problems.append(FieldProblem("code", "exchange.subsystem_code", message))
    elif department is not None and Subsystem.objects.filter(department=department, code=code).exists():
        problems.append(FieldProblem("code", "exchange.subsystem_code_taken", _("The department has this code")))
    name = (name or "").strip()
    if not name or len(name) > 100:
        problems.append(FieldProblem("name", "exchange.subsystem_name", _("A name of 1 to 100 characters is needed")))
    if not isinstance(rate_per_minute, int) or not 1 <= rate_per_minute <= MAX_RATE:
        message = _("Calls per minute must be between 1 and %(max)d") % {"max": MAX_RATE}
        problems.append(FieldProblem("rate_per_minute", "exchange.rate", message))
    if problems:
        raise InvalidInput(problems)
    username = f"svc-{department.code}-{code}"[:150]
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput([FieldProblem("code", "exchange.subsystem_code_taken", _("The department has this code"))])
    account = User(username=username, role=Role.DEPARTMENT_USER, department=department, full_name=name[:60])
    account.set_unusable_password()
    account.save()
    subsystem = Subsystem.objects.create(
        department=department, code=code, name=name, account=account, rate_per_minute=rate_per_minute
    )
    _record(actor, "subsystem.create", subsystem, {"name": name, "rate_per_minute": rate_per_minute}, source)
    return subsystem


@transaction.atomic
def subsystem_key_issue(
    *, actor, subsystem_id, days: int = 365, name: str = "", source: str = "web"
) -> tuple[ApiToken, str]:
    """A new key for the subsystem; the key itself is returned once and only its hash is kept."""
    _admin(actor)
    if not isinstance(days, int) or not 1 <= days <= MAX_KEY_DAYS:
        message = _("A key is valid for 1 to %(max)d days") % {"max": MAX_KEY_DAYS}
        raise InvalidInput([FieldProblem("days", "exchange.key_days", message)])
    subsystem = _subsystem(subsystem_id)
    if not subsystem.active:
        raise InvalidInput([FieldProblem("subsystem_id", "exchange.subsystem_inactive", _("The subsystem is off"))])
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=subsystem.account,
        name=(name or f"{subsystem.code} key")[:80],
        prefix=key[3:9],
        key_hash=ApiToken.digest(key),
        expires_at=timezone.now() + timedelta(days=days),
    )
    _record(actor, "subsystem.key_issue", subsystem, {"key": token.pk, "prefix": token.prefix, "days": days}, source)
    return token, key


def _revoke(actor, subsystem: Subsystem, token_id, source: str) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(user=subsystem.account, pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _record(actor, "subsystem.key_revoke", subsystem, {"key": token.pk, "prefix": token.prefix}, source)
    return token


@transaction.atomic
def subsystem_key_revoke(*, actor, subsystem_id, token_id, source: str = "web") -> ApiToken:
    """A revoked key stops working on its next call."""
    _admin(actor)
    return _revoke(actor, _subsystem(subsystem_id), token_id, source)


@transaction.atomic
def subsystem_key_rotate(
    *, actor, subsystem_id, token_id, days: int = 365, source: str = "web"
) -> tuple[ApiToken, str]:
    """Rotation: a new key is issued and the old one revoked together, or neither."""
    _admin(actor)
    subsystem = _subsystem(subsystem_id)
    if not ApiToken.objects.filter(user=subsystem.account, pk=token_id).exists():
        raise NotFound()
    token, key = subsystem_key_issue(actor=actor, subsystem_id=subsystem.pk, days=days, source=source)
    _revoke(actor, subsystem, token_id, source)
    return token, key


@transaction.atomic
def subsystem_deactivate(*, actor, subsystem_id, source: str = "web") -> Subsystem:
    """A deactivated subsystem and its account stop at once: every key is revoked, its grants give nothing."""
    _admin(actor)
    subsystem = _subsystem(subsystem_id)
    if not subsystem.active:
        return subsystem
    now = timezone.now()
    revoked = ApiToken.objects.filter(user=subsystem.account, revoked_at__isnull=True).update(revoked_at=now)
    subsystem.active = False
    subsystem.save(update_fields=["active"])
    User.objects.filter(pk=subsystem.account_id).update(is_active=False)
    _record(actor, "subsystem.deactivate", subsystem, {"keys_revoked": revoked}, source)
    return subsystem
