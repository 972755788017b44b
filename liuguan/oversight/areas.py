"""The area an oversight page asks about, and the breadcrumbs down to it: one rule for every part.

An area is a division inside the user's jurisdiction (their own by default); anything else answers as missing.
"""

from liuguan.core.errors import NotFound
from liuguan.core.scoping import jurisdiction, scoped
from liuguan.geo.models import CODE_LENGTHS, Division


def area_in_scope(user, code: str | None) -> Division:
    """The division a user asked for, which must lie inside their jurisdiction; none means the jurisdiction."""
    own = jurisdiction(user)
    if own is None:
        raise NotFound()
    code = (code or own).strip()
    if not code.isdigit() or len(code) not in CODE_LENGTHS or not code.startswith(own):
        raise NotFound()
    area = scoped(Division.objects.all(), user).filter(code=code).first()
    if area is None:
        raise NotFound()
    return area


def area_trail(user, code: str) -> list[Division]:
    """The divisions from the user's jurisdiction down to `code`, for the breadcrumbs."""
    own = len(jurisdiction(user) or "")
    codes = [code[:n] for n in sorted(CODE_LENGTHS) if own <= n <= len(code)]
    return list(Division.objects.filter(code__in=codes).order_by("code"))


def division_names(codes) -> dict[str, Division]:
    """Divisions by code, for naming the units of a table."""
    return Division.objects.in_bulk(list(codes))
