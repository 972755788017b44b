"""Writes about accounts, each with its audit event."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound

from .models import ApiToken, User
from .roles import ROLE_LEVELS, Role


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str,
    role: str,
    division=None,
    department=None,
    full_name: str = "",
    office=None,
    source: str = "cli",
) -> User:
    """A staff account must sit at a division level its role works at (a collector at a community, ...)."""
    problems = []
    if role not in Role.values:
        problems.append(FieldProblem("role", "role.unknown", f"Unknown role {role!r}"))
    elif role == Role.DEPARTMENT_USER and department is None:
        problems.append(FieldProblem("department", "role.department_required", "A department user needs a department"))
    if division is None and role != Role.DEPARTMENT_USER:
        problems.append(FieldProblem("division", "role.division_required", "A staff account needs a jurisdiction"))
    elif division is not None and role in Role.values and division.level not in ROLE_LEVELS[Role(role)]:
        problems.append(
            FieldProblem("division", "role.level", f"A {role} works at {', '.join(ROLE_LEVELS[Role(role)])} level")
        )
    if problems:
        raise InvalidInput(problems)
    user = User(
        username=username, role=role, division=division, department=department, full_name=full_name, office=office
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        division_code=division.code if division else "",
        changes={"username": username, "role": role, "division": division.code if division else None},
        source=source,
    )
    return user


@transaction.atomic
def token_issue(*, actor: User, name: str, days: int = 365) -> tuple[ApiToken, str]:
    """Issue a bearer token for the actor's own machine; the key is shown once and only its hash kept."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=key[3:9],
        key_hash=ApiToken.digest(key),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action="token.issue",
        obj=token,
        division_code=actor.division_id or "",
        changes={"name": name, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def token_revoke(*, actor: User, token_id) -> ApiToken:
    """Revoke one of the actor's own tokens; it stops working on the next call."""
    token = ApiToken.objects.select_for_update().filter(user=actor, pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="token.revoke",
            obj=token,
            division_code=actor.division_id or "",
            changes={"prefix": token.prefix},
        )
    return token


def token_touch(*, token: ApiToken, now) -> None:
    """Note when a token was last used, at most once a minute (bookkeeping, not an audited change)."""
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
