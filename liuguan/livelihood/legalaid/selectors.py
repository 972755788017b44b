"""Reads of legal aid, always through the user's scope; the portal's own-records read for a migrant."""

from collections import Counter

from django.db.models import Case, DateField, IntegerField, Q, Value, When

from liuguan.core.errors import NotFound
from liuguan.core.identity import china_today
from liuguan.core.scoping import get_scoped, jurisdiction, scoped
from liuguan.geo.models import Division

from .models import LegalAidRequest, LegalAidUnit, Status, UnitKind
from .services import may_act
from .transitions import TABLE


def unit_list(*, user, kind: str = "", code: str = "", limit: int = 500) -> list[LegalAidUnit]:
    """Units of the network in scope, optionally of one kind and inside one division."""
    qs = scoped(LegalAidUnit.objects.select_related("division"), user)
    if kind:
        qs = qs.filter(kind=kind)
    if code:
        qs = qs.filter(division__code__startswith=code)
    return list(qs.order_by("division_id", "kind", "name")[:limit])


def unit_get(*, user, unit_id: int) -> LegalAidUnit:
    return get_scoped(LegalAidUnit.objects.select_related("division"), user, pk=unit_id)


def units_by_area(*, user, code: str = "") -> dict:
    """Active units by kind for each division one level below `code` (default: the user's jurisdiction);
    units placed at `code` itself are counted on their own row, and the total covers everything inside.
    """
    own = jurisdiction(user)
    if not own:
        raise NotFound()
    code = code or own
    if not code.startswith(own):
        raise NotFound()
    area = Division.objects.filter(pk=code).first()
    if area is None:
        raise NotFound()
    rows = scoped(LegalAidUnit.objects.filter(active=True, division__code__startswith=code), user)
    children = list(Division.objects.filter(parent_id=code).order_by("code"))
    counts: dict[str, Counter] = {c.code: Counter() for c in children}
    at_self, total = Counter(), Counter()
    for division_id, kind in rows.values_list("division_id", "kind"):
        total[kind] += 1
        if division_id == code:
            at_self[kind] += 1
            continue
        child = division_id[: len(children[0].code)] if children else ""
        if child in counts:
            counts[child][kind] += 1

    def row(code_, name, counter):
        return {"code": code_, "name": name, **{k: counter[k] for k in UnitKind.values}, "total": sum(counter.values())}

    return {
        "area": {"code": area.code, "name": area.name},
        "at_area": row(area.code, area.name, at_self),
        "rows": [row(c.code, c.name, counts[c.code]) for c in children],
        "total": row(area.code, area.name, total),
    }


def request_queue(
    *, user, unit_id=None, status: str = "", mine: bool = False, open_only: bool = True, limit: int = 300
) -> list:
    """Requests in scope, overdue first, then by the due date of their stage, then oldest; `mine`: those with a
    unit placed at the user's own division (the queue of the office the user works in).
    """
    qs = scoped(LegalAidRequest.objects.select_related("unit", "person", "community"), user)
    if mine:
        qs = qs.filter(unit__division_id=user.division_id)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if status:
        qs = qs.filter(status=status)
    elif open_only:
        qs = qs.exclude(status=Status.CLOSED)
    today = china_today()
    late = Q(status=Status.REFERRED) & (Q(accept_overdue=True) | Q(accept_due__lt=today)) | Q(
        status=Status.ACCEPTED
    ) & (Q(handle_overdue=True) | Q(handle_due__lt=today))
    qs = qs.annotate(
        late=Case(When(late, then=Value(0)), default=Value(1), output_field=IntegerField()),
        stage_due=Case(
            When(status=Status.REFERRED, then="accept_due"),
            When(status=Status.ACCEPTED, then="handle_due"),
            default=None,
            output_field=DateField(),
        ),
    )
    return list(qs.order_by("late", "stage_due", "created_at")[:limit])


def request_get(*, user, request_id: int) -> LegalAidRequest:
    return get_scoped(
        LegalAidRequest.objects.select_related("unit", "person", "community", "unit__division"), user, pk=request_id
    )


def request_steps(*, request: LegalAidRequest) -> list:
    return list(request.steps.select_related("unit").order_by("at", "pk"))


def allowed_actions(*, user, request: LegalAidRequest) -> list[str]:
    """The steps this user may take on this request now."""
    return [action for action in TABLE if may_act(user, request, action)]


def legal_aid_requests_for_person(*, person) -> list[LegalAidRequest]:
    """A migrant's own requests for the portal, newest first (each with its status and updated_at)."""
    if person is None:
        return []
    return list(LegalAidRequest.objects.filter(person=person).select_related("unit").order_by("-created_at"))
