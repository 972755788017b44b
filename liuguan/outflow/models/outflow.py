"""The origin side's registry of its own people who live elsewhere, and what destinations tell it.

An outflow record belongs to its origin division (the village or community of the person's hukou, or the
county when only that is known): officers whose jurisdiction contains the origin see it. Like DHIS2's
ownership, the record has a history of every hand-over: reported, confirmed by a destination, departed from
there, moved, returned, transferred to another origin, closed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.core.scoping import NOTHING, jurisdiction
from liuguan.registry.codes import Reason

USER = settings.AUTH_USER_MODEL


def _prefix_filter(user, field: str) -> Q:
    code = jurisdiction(user)
    return NOTHING if code is None else Q(**{f"{field}__startswith": code})


class Reporter(models.TextChoices):
    FAMILY = "family", _("Family")
    VILLAGE = "village", _("Village or residents' committee")
    SELF = "self", _("The person themself")
    OFFICER = "officer", _("Officer")
    DESTINATION_COUNTY = "county", _("Destination county (this instance)")
    DESTINATION_INSTANCE = "instance", _("Destination instance")


class OutflowRecord(models.Model):
    """One of this province's people living away from their hukou county: where, since when, why, how to reach."""

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Reported, not confirmed by a destination")
        CONFIRMED = "confirmed", _("Confirmed by the destination")
        DEPARTED = "departed", _("Left the destination, whereabouts open")
        RETURNED = "returned", _("Returned home")
        CLOSED = "closed", _("Closed")

    OPEN = (Status.UNCONFIRMED, Status.CONFIRMED, Status.DEPARTED)

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="outflow_records"
    )
    # The village or community of the hukou (or the county when that is all that is known).
    origin = models.ForeignKey(
        "geo.Division", verbose_name=_("origin"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Where they went: a division code of any level anywhere in China (blank when abroad or unknown).
    destination_code = models.CharField(_("destination division code"), max_length=12, blank=True)
    # A free description of the place: abroad, or the address when known.
    destination_place = models.CharField(_("destination place"), max_length=200, blank=True)
    destination_country = models.CharField(_("destination country"), max_length=3, default="CHN")
    left_on = models.DateField(_("left on"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    phone = models.CharField(_("phone"), max_length=11, blank=True)
    contact_name = models.CharField(_("contact at home"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact's phone"), max_length=11, blank=True)
    reported_by = models.CharField(_("reported by"), max_length=10, choices=Reporter.choices)
    reporter_note = models.CharField(_("reporter's note"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UNCONFIRMED)
    # Who confirmed the whereabouts: a peer instance's identity or "county:<code>" inside this instance.
    confirmed_by = models.CharField(_("confirmed by"), max_length=48, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # The stay that confirmed it: here (a local stay) or the peer's reference of its stay.
    stay = models.ForeignKey(
        "registry.Stay", verbose_name=_("stay"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    remote_ref = models.CharField(_("destination's reference"), max_length=64, blank=True)
    # The last day the whereabouts were known: a report, a confirmation, a departure notice.
    last_heard_on = models.DateField(_("whereabouts last known"))
    # False when the origin first learnt of the move from the destination: a gap in its own outflow list.
    prior_record = models.BooleanField(_("reported by the origin first"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("outflow record")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["unconfirmed", "confirmed", "departed"]),
                name="outflow_one_open_per_person",
            )
        ]
        indexes = [
            models.Index(fields=["origin", "status"]),
            models.Index(fields=["status", "last_heard_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.destination_code or self.destination_place}"

    @classmethod
    def scope_filter(cls, user):
        """Officers of the origin area, at or above it."""
        return _prefix_filter(user, "origin__code")


class OutflowEvent(models.Model):
    """One step in an outflow record's history (the transfer history)."""

    class Kind(models.TextChoices):
        REPORTED = "reported", pgettext_lazy("outflow event", "Reported")
        UPDATED = "updated", _("Updated")
        CONFIRMED = "confirmed", _("Confirmed by a destination")
        MOVED = "moved", _("Registered at another destination")
        DEPARTED = "departed", _("Left the destination")
        RETURNED = "returned", _("Returned home")
        TRANSFERRED = "transferred", _("Origin transferred")
        CLOSED = "closed", _("Closed")
        NOTIFIED = "notified", _("Destination notified")

    record = models.ForeignKey(OutflowRecord, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The peer instance the step came from or went to, when there is one.
    peer_code = models.CharField(_("peer"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("outflow event")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.record_id}:{self.kind}"


class OutflowTask(models.Model):
    """Work for the origin office that reconciliation found: whereabouts never confirmed, or a move it missed."""

    class Kind(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Whereabouts never confirmed by a destination")
        UNKNOWN = "unknown", _("Whereabouts unknown for too long")
        MISSED = "missed", _("Inflow with no outflow record: complete the record")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    record = models.ForeignKey(OutflowRecord, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # The origin office's area (the record's origin township, or its county): scoping and the office's list.
    division = models.ForeignKey("geo.Division", verbose_name=_("office area"), on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)
    due_on = models.DateField(_("due"))
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("outflow task")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "kind"], condition=Q(status="open"), name="outflow_task_one_open_per_kind"
            )
        ]
        indexes = [models.Index(fields=["division", "status"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.record_id}"

    @classmethod
    def scope_filter(cls, user):
        return _prefix_filter(user, "division__code")


class RemoteStay(models.Model):
    """A stay of one of our people registered by a peer instance, as its inflow notices told us."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="remote_stays")
    peer = models.ForeignKey("outflow.Peer", on_delete=models.PROTECT, related_name="+")
    remote_ref = models.CharField(_("destination's reference"), max_length=64)
    destination_code = models.CharField(_("destination division code"), max_length=12)
    # Division names as the destination sent them (this instance has no rows for the peer's divisions).
    destination_name = models.CharField(_("destination"), max_length=200)
    arrived_on = models.DateField(_("arrival date"))
    departed_on = models.DateField(_("departure date"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("stay at another instance")
        constraints = [models.UniqueConstraint(fields=["peer", "remote_ref"], name="remote_stay_once")]

    def __str__(self) -> str:
        return f"{self.peer_id}:{self.remote_ref}"


class ExpectedArrival(models.Model):
    """The destination side of an outflow notice: someone an origin says is coming to (or living in) our area."""

    class Status(models.TextChoices):
        EXPECTED = "expected", _("Expected")
        ARRIVED = "arrived", _("Registered here")
        WITHDRAWN = "withdrawn", _("Withdrawn by the origin")

    peer = models.ForeignKey("outflow.Peer", on_delete=models.PROTECT, related_name="+")
    origin_ref = models.CharField(_("origin's reference"), max_length=64)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    doc_type = models.CharField(_("document type"), max_length=16)
    doc_number = models.CharField(_("document number"), max_length=32, db_index=True)
    name = models.CharField(_("name"), max_length=60)
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    hukou_code = models.CharField(_("hukou area code"), max_length=6, blank=True)
    phone = models.CharField(_("phone"), max_length=11, blank=True)
    # Where the origin believes they are, in our area (any level).
    expected_code = models.CharField(_("expected in"), max_length=12, db_index=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.EXPECTED)
    stay = models.ForeignKey("registry.Stay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("expected arrival")
        constraints = [models.UniqueConstraint(fields=["peer", "origin_ref"], name="expected_arrival_once")]

    def __str__(self) -> str:
        return f"{self.peer_id}:{self.origin_ref}"

    @classmethod
    def scope_filter(cls, user):
        return _prefix_filter(user, "expected_code")


class InboundNotice(models.Model):
    """A notice about one of our people from a peer: an offence notice or a bulletin hit there."""

    class Kind(models.TextChoices):
        OFFENCE = "offence", _("Offence notice")
        BULLETIN_HIT = "bulletin_hit", _("Bulletin hit")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")

    peer = models.ForeignKey("outflow.Peer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    remote_ref = models.CharField(_("sender's reference"), max_length=64)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    doc_type = models.CharField(_("document type"), max_length=16)
    doc_number = models.CharField(_("document number"), max_length=32)
    name = models.CharField(_("name"), max_length=60)
    # The person's hukou county: its police receive the notice.
    hukou_code = models.CharField(_("hukou area code"), max_length=6, db_index=True)
    summary = models.CharField(_("summary"), max_length=300)
    payload = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.NEW)
    received_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notice from another instance")
        constraints = [models.UniqueConstraint(fields=["peer", "kind", "remote_ref"], name="inbound_notice_once")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.remote_ref}"

    @classmethod
    def scope_filter(cls, user):
        """The hukou county and the areas above it (a township's code is longer than the county a hukou names)."""
        code = jurisdiction(user)
        if code is None or len(code) > 6:
            return NOTHING
        return Q(hukou_code__startswith=code)


class PersonQuery(models.Model):
    """A question to a peer for a person's basic data; the peer answers if its grant to us allows it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the answer")
        ANSWERED = "answered", _("Answered")
        REFUSED = "refused", _("Refused by the peer")
        NOT_FOUND = "not_found", _("Not on the peer's register")

    peer = models.ForeignKey("outflow.Peer", on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    # The asker's area at the time: scoping.
    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=200)
    doc_type = models.CharField(_("document type"), max_length=16)
    doc_number = models.CharField(_("document number"), max_length=32)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    answer = models.JSONField(_("answer"), null=True, blank=True)
    message_id = models.UUIDField(unique=True)
    asked_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("query to another instance")

    def __str__(self) -> str:
        return f"{self.peer_id}:{self.message_id}"

    @classmethod
    def scope_filter(cls, user):
        return _prefix_filter(user, "division__code")
