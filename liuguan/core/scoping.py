"""The one place where a user's jurisdiction turns into a query filter.

A division code is its own materialised path: everything inside county 510104 has a community code
from 510104000000 to 510104999999. Records carry their 12-digit community code, so "inside the
jurisdiction" is a range test on an indexed column, the same on PostgreSQL and SQLite.
Models opt in by defining `scope_filter(cls, user) -> Q`; a model without one cannot be scoped and
`scoped()` refuses it (deny by default).
"""

from django.db.models import Q, QuerySet

from .errors import NotFound

NOTHING = Q(pk__in=[])


def code_range(code: str) -> tuple[str, str]:
    """The first and last 12-digit community codes inside a division code of any level."""
    return code.ljust(12, "0"), code.ljust(12, "9")


def within(field: str, code: str) -> Q:
    """Rows whose 12-digit code in `field` lies inside the division `code`."""
    lo, hi = code_range(code)
    return Q(**{f"{field}__gte": lo, f"{field}__lte": hi})


def jurisdiction(user) -> str | None:
    """The division code a user may see into, or None for no area at all."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if getattr(user, "is_duty_holder", False):
        return None  # landlords, employers and hotels see their own records only, never an area
    return getattr(user, "division_id", None) or None


def scoped(qs: QuerySet, user) -> QuerySet:
    """Filter any queryset to what the user may see; models without a scope rule give nothing."""
    rule = getattr(qs.model, "scope_filter", None)
    if rule is None:
        raise TypeError(f"{qs.model.__name__} declares no scope_filter; refusing to query it for a user")
    return qs.filter(rule(user))


def get_scoped(qs: QuerySet, user, **lookup):
    """One object inside the user's scope; outside and missing both raise NotFound."""
    obj = scoped(qs, user).filter(**lookup).first()
    if obj is None:
        raise NotFound()
    return obj
