"""Registry reads, always through the user's scope."""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from liuguan.core import crypto
from liuguan.core.identity import mask_document_number, mask_phone, normalize_document_number
from liuguan.core.pinyin import search_key
from liuguan.core.scoping import scoped, within

from .models import Employer, House, Lodging, Person, Stay


def person_search(*, user, query: str, limit: int = 50) -> list[Person]:
    """Find people by document number, Chinese name, full pinyin or pinyin initials ("zs" finds 张三).

    A number is matched whole: numbers are encrypted at rest and found through their blind index, which has
    no prefixes (liuguan.core.fields).
    """
    query = (query or "").strip()
    if not query:
        return []
    qs = scoped(Person.objects.filter(merged_into__isnull=True), user)
    number = normalize_document_number(query)
    if any(ch.isdigit() for ch in number):
        cond = Q(doc_number=number)
    elif query.isascii():
        key = search_key(query)
        if not key:
            return []
        cond = Q(name_pinyin__startswith=key) | Q(name_initials__startswith=key)
    else:
        cond = Q(name__startswith=query)
    return list(qs.filter(cond).order_by("name_pinyin", "id")[:limit])


def person_get(*, user, person_id: int) -> Person | None:
    """One person inside scope with their stays (newest first), or None as if they did not exist.

    A record merged into another is reachable when its survivor is in scope (its stays moved there).
    """
    stays = Stay.objects.select_related(
        "community", "community__parent", "community__parent__parent", "house", "employer", "collector"
    )
    people = Person.objects.prefetch_related(
        Prefetch("stays", queryset=stays.order_by("-arrived_on", "-id")),
        Prefetch("merged_people", queryset=Person.objects.order_by("merged_at", "id")),
    ).select_related("merged_into")
    person = scoped(people, user).filter(pk=person_id).first()
    if person is None:
        survivor = Person.objects.filter(pk=person_id).values_list("merged_into", flat=True).first()
        if survivor and scoped(Person.objects.filter(pk=survivor), user).exists():
            person = people.filter(pk=person_id).first()
    return person


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


def field_history(*, user, person: Person) -> list[dict]:
    """Who set each field of a person and of their stays in scope, oldest first: creation, then every change."""
    from .models import FieldChange

    code = user.division_id or ""
    stays = (
        list(
            Stay.objects.filter(within("community_id", code), person=person).select_related(
                "collector", "collection_point"
            )
        )
        if code
        else []
    )
    entries = [
        {
            "at": person.created_at,
            "object": "person",
            "object_id": person.pk,
            "field": "*",
            "value": _("registered"),
            "actor": person.created_by,
            "channel": person.get_source_channel_display(),
            "point": None,
            "device_time": None,
        }
    ]
    for stay in stays:
        entries.append(
            {
                "at": stay.registered_at,
                "object": "stay",
                "object_id": stay.pk,
                "field": "*",
                "value": _("stay registered"),
                "actor": stay.collector,
                "channel": stay.get_source_channel_display(),
                "point": stay.collection_point,
                "device_time": stay.device_time,
            }
        )
    changes = FieldChange.objects.filter(
        Q(object_type="registry.person", object_id=person.pk)
        | Q(object_type="registry.stay", object_id__in=[s.pk for s in stays])
    ).select_related("actor", "collection_point")
    for change in changes:
        # Numbers are kept encrypted in the history, as in the table (core/fields.py seal_changes).
        old, new = crypto.decrypt_text(change.old_value), crypto.decrypt_text(change.new_value)
        # History is read by everyone who may see the person; full numbers need a stated purpose.
        if change.field == "phone":
            old, new = mask_phone(old or ""), mask_phone(new or "")
        elif change.field == "doc_number":
            old, new = mask_document_number(old or ""), mask_document_number(new or "")
        entries.append(
            {
                "at": change.recorded_at,
                "object": change.object_type.split(".")[1],
                "object_id": change.object_id,
                "field": change.field,
                "value": f"{old or '—'} → {new or '—'}",
                "actor": change.actor,
                "channel": change.get_channel_display(),
                "point": change.collection_point,
                "device_time": change.device_time,
            }
        )
    return sorted(entries, key=lambda e: e["at"])


def house_list(*, user, community_code: str = "", limit: int = 200):
    """Houses inside scope, optionally of one community."""
    qs = scoped(House.objects.select_related("community", "landlord", "grid"), user)
    if community_code:
        qs = qs.filter(within("community_id", community_code))
    return list(qs.order_by("community_id", "address")[:limit])


def employer_list(*, user, community_code: str = "", query: str = "", limit: int = 200):
    """Employers inside scope, by community or by name or credit code."""
    qs = scoped(Employer.objects.select_related("community"), user)
    if community_code:
        qs = qs.filter(within("community_id", community_code))
    if query:
        qs = qs.filter(Q(name__contains=query) | Q(credit_code=query.upper()))
    return list(qs.order_by("name")[:limit])


def lodging_list(*, user, community_code: str = "", limit: int = 200):
    qs = scoped(Lodging.objects.select_related("community"), user)
    if community_code:
        qs = qs.filter(within("community_id", community_code))
    return list(qs.order_by("name")[:limit])


def place_get(*, user, model, pk: int):
    """One house, employer or lodging inside scope, or None."""
    return scoped(model.objects.select_related("community"), user).filter(pk=pk).first()


def house_residents(*, user, house: House):
    """People with an open stay at a house, inside the user's scope."""
    return scoped(Stay.objects.filter(house=house, departed_on__isnull=True).select_related("person"), user)
