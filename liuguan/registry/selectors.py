"""Registry reads, always through the user's scope."""

from django.db.models import Prefetch, Q

from liuguan.core.identity import normalize_document_number
from liuguan.core.pinyin import search_key
from liuguan.core.scoping import scoped, within

from .models import Person, Stay


def person_search(*, user, query: str, limit: int = 50) -> list[Person]:
    """Find people by document number, Chinese name, full pinyin or pinyin initials ("zs" finds 张三)."""
    query = (query or "").strip()
    if not query:
        return []
    qs = scoped(Person.objects.all(), user)
    number = normalize_document_number(query)
    if any(ch.isdigit() for ch in number):
        cond = Q(doc_number=number) | (Q(doc_number__startswith=number) if len(number) >= 6 else Q(pk__in=[]))
    elif query.isascii():
        key = search_key(query)
        if not key:
            return []
        cond = Q(name_pinyin__startswith=key) | Q(name_initials__startswith=key)
    else:
        cond = Q(name__startswith=query)
    return list(qs.filter(cond).order_by("name_pinyin", "id")[:limit])


def person_get(*, user, person_id: int) -> Person | None:
    """One person inside scope with their stays (newest first), or None as if they did not exist."""
    stays = Stay.objects.select_related(
        "community", "community__parent", "community__parent__parent", "house", "employer", "collector"
    )
    return (
        scoped(Person.objects.all(), user)
        .filter(pk=person_id)
        .prefetch_related(Prefetch("stays", queryset=stays.order_by("-arrived_on", "-id")))
        .first()
    )


def stay_history(*, user, person: Person) -> list[dict]:
    """A person's stays over time; details of stays outside the user's area are held back."""
    code = user.division_id or ""
    inside = (
        set(Stay.objects.filter(within("community_id", code), person=person).values_list("pk", flat=True))
        if code
        else set()
    )
    rows = []
    for stay in person.stays.all():
        rows.append({"stay": stay, "in_scope": stay.pk in inside})
    return rows


def stay_list(*, user, community_code: str = "", open_only: bool = False, limit: int = 100):
    """Stays inside scope, optionally under one division and only the open ones."""
    qs = scoped(Stay.objects.select_related("person", "community"), user)
    if community_code:
        qs = qs.filter(within("community_id", community_code))
    if open_only:
        qs = qs.filter(departed_on__isnull=True)
    return list(qs.order_by("-arrived_on", "-id")[:limit])
