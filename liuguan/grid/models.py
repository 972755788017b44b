"""Grid management (网格化管理): events discovered in a grid, transmitted to whoever answers for them, disposed and
fed back, with working-day deadlines, supervision cards (督办) and the reporter told of every step.

- EventCategory: what kind of problem, who answers for it (an office level or a department) and its deadlines;
- GridEvent: one problem in one grid (or community), its state and the unit it is with now;
- GridEventStep: every change of state, who made it, when, why and where the event went;
- Supervision: a yellow card to the unit whose stage is overdue, a red card to the level above it;
- Notification: what the reporter is told in their own channel; Survey: "is it solved?" after closing;
- Open311Client: the API keys of Open311 clients that may post service requests.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.core.models import CommunityScoped
from liuguan.core.scoping import NOTHING, jurisdiction, within

USER = settings.AUTH_USER_MODEL


class State(models.TextChoices):
    DISCOVERED = "discovered", _("Discovered")
    TRANSMITTED = "transmitted", _("Transmitted")
    ACCEPTED = "accepted", pgettext_lazy("grid state", "Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    DISPOSED = "disposed", _("Disposed")
    FED_BACK = "fed_back", _("Fed back")
    CLOSED = "closed", _("Closed")
    NOT_RESPONSIBLE = "not_responsible", _("Not responsible")
    CLOSED_NOT_FIXED = "closed_not_fixed", _("Closed, not fixed")
    REOPENED = "reopened", _("Reopened")


CLOSED_STATES = (State.CLOSED, State.CLOSED_NOT_FIXED)


class Source(models.TextChoices):
    FIELD = "field", _("Grid worker in the field")
    RESIDENT = "resident", _("Resident")
    OPEN311 = "open311", _("Open311 client")
    DEPARTMENT = "department", _("Department")
    SYSTEM = "system", _("System rule")


class Channel(models.TextChoices):
    """Where the reporter hears back: their account's inbox, a text message, or their Open311 client."""

    PORTAL = "portal", _("Portal")
    SMS = "sms", _("Text message")
    OPEN311 = "open311", _("Open311")
    NONE = "none", _("Not told")


class Stage(models.TextChoices):
    ACCEPT = "accept", _("Acceptance")
    DISPOSE = "dispose", _("Disposal")
    PART = "part", _("Part of a joint case")


class OfficeLevel(models.TextChoices):
    """The office that answers: the community's service station, the street's or the county's 流管办."""

    COMMUNITY = "community", _("Community service station")
    TOWNSHIP = "township", _("Street office")
    COUNTY = "county", _("County office")


LEVEL_LENGTH = {OfficeLevel.COMMUNITY: 12, OfficeLevel.TOWNSHIP: 9, OfficeLevel.COUNTY: 6}


class EventCategory(models.Model):
    """A kind of problem: who answers for it and how many working days each stage may take."""

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    group = models.CharField(_("group"), max_length=40, blank=True)
    # Exactly one of the two: an office level, or the code of a department.
    office_level = models.CharField(_("office level"), max_length=12, choices=OfficeLevel.choices, blank=True)
    # A department's code (exchange.Department), not a key: categories load before the departments may.
    department_code = models.CharField(_("department"), max_length=32, blank=True)
    accept_days = models.PositiveSmallIntegerField(_("working days to accept"), default=1)
    dispose_days = models.PositiveSmallIntegerField(_("working days to dispose"), default=5)
    # Offered to residents and Open311 clients; internal categories (rules, bulletins) are not.
    public = models.BooleanField(_("open to the public"), default=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        constraints = [
            models.CheckConstraint(
                condition=(Q(office_level="") & ~Q(department_code="")) | (~Q(office_level="") & Q(department_code="")),
                name="grid_category_one_responsible",
            )
        ]

    def __str__(self) -> str:
        return self.name


class GridEvent(CommunityScoped):
    """One problem in a grid, from discovery to closing; the unit it is with now answers for its deadline."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "geo.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    category = models.ForeignKey(EventCategory, verbose_name=_("category"), on_delete=models.PROTECT)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    reporter = models.ForeignKey(
        USER, verbose_name=_("reporter"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=60, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    reporter_email = models.CharField(_("reporter's email"), max_length=120, blank=True)
    channel = models.CharField(_("reporter is told by"), max_length=10, choices=Channel.choices)
    open311_client = models.ForeignKey(
        "Open311Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    description = models.TextField(_("description"), max_length=2000)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    media_url = models.URLField(_("photo"), max_length=500, blank=True)
    house = models.ForeignKey(
        "registry.House", verbose_name=_("house"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # System rules: which rule raised it and about what, so a rule never raises a second open event.
    rule = models.CharField(_("rule"), max_length=40, blank=True)
    rule_key = models.CharField(max_length=80, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DISCOVERED)
    assigned_division = models.ForeignKey(
        "geo.Division",
        verbose_name=_("office responsible"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_department = models.ForeignKey(
        "exchange.Department",
        verbose_name=_("department responsible"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accept_due = models.DateField(_("accept by"), null=True, blank=True)
    dispose_due = models.DateField(_("dispose by"), null=True, blank=True)
    accept_overdue = models.BooleanField(_("accepted late"), default=False)
    dispose_overdue = models.BooleanField(_("disposed late"), default=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # A joint case (联动): split into parts, one per unit (models_joint.JointPart); it closes once they all have.
    joint = models.BooleanField(_("joint case"), default=False)
    created_at = models.DateTimeField(_("reported"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("grid event")
        verbose_name_plural = _("grid events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "state"]),
            models.Index(fields=["state", "accept_due"]),
            models.Index(fields=["state", "dispose_due"]),
            models.Index(fields=["rule", "rule_key"]),
        ]
        constraints = [
            # One open event per rule and object: a rule that runs again finds it and raises nothing.
            models.UniqueConstraint(
                fields=["rule", "rule_key"],
                condition=~Q(rule="") & ~Q(state__in=["closed", "closed_not_fixed"]),
                name="grid_event_one_open_per_rule",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_filter(cls, user):
        """Staff see events inside their jurisdiction; department users only those their department has had, or
        has a part of (a joint case).
        """
        code = jurisdiction(user)
        if code is None:
            return NOTHING
        q = within("community_id", code)
        department = getattr(user, "department_id", None)
        if department:
            had = GridEventStep.objects.filter(event=OuterRef("pk"), routed_department_id=department)
            part = JointPart.objects.filter(case=OuterRef("pk"), department_id=department)
            q &= Q(assigned_department_id=department) | Q(Exists(had)) | Q(Exists(part))
        return q

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def stage(self) -> str | None:
        """The stage whose deadline runs now: acceptance until accepted, then disposal until disposed."""
        if self.state in (State.DISCOVERED, State.TRANSMITTED):
            return Stage.ACCEPT
        if self.state in (State.ACCEPTED, State.IN_PROGRESS):
            return Stage.DISPOSE
        return None

    @property
    def due(self):
        return {Stage.ACCEPT: self.accept_due, Stage.DISPOSE: self.dispose_due}.get(self.stage)

    @property
    def responsible_label(self) -> str:
        if self.assigned_department_id:
            return self.assigned_department.name
        if self.assigned_division_id:
            return self.assigned_division.name
        return ""


class GridEventStep(models.Model):
    """One change of an event's state: who, when, from which state to which, why, and where it went."""

    event = models.ForeignKey(GridEvent, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=24)
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    routed_division = models.ForeignKey(
        "geo.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    routed_department = models.ForeignKey(
        "exchange.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("event step")
        verbose_name_plural = _("event steps")

    def __str__(self) -> str:
        return f"{self.event_id} {self.from_state}->{self.to_state}"

    @property
    def routed_label(self) -> str:
        if self.routed_department_id:
            return self.routed_department.name
        if self.routed_division_id:
            return self.routed_division.name
        return ""


class Supervision(CommunityScoped):
    """A supervision card (督办): yellow to the unit whose stage is overdue, red to the level above it.

    The card is held against the unit that missed the deadline (`held_*`); a red card is addressed to the
    division above that unit (`to_division`), which must press it.
    """

    class Card(models.TextChoices):
        YELLOW = "yellow", _("Yellow card")
        RED = "red", _("Red card")

    event = models.ForeignKey(GridEvent, on_delete=models.CASCADE, related_name="supervisions")
    # The part of a joint case whose deadline was missed (stage "part"), held against the part's unit.
    part = models.ForeignKey("JointPart", null=True, blank=True, on_delete=models.CASCADE, related_name="supervisions")
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    card = models.CharField(_("card"), max_length=8, choices=Card.choices)
    due_on = models.DateField(_("deadline missed"))
    held_division = models.ForeignKey("geo.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    held_department = models.ForeignKey(
        "exchange.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_division = models.ForeignKey("geo.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("issued"))
    issued_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(_("stage completed"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("supervision card")
        verbose_name_plural = _("supervision cards")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "stage", "due_on", "card"],
                condition=Q(part__isnull=True),
                name="grid_supervision_once",
            ),
            models.UniqueConstraint(
                fields=["part", "due_on", "card"], condition=Q(part__isnull=False), name="grid_part_supervision_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card} {self.event_id} {self.stage}"

    @property
    def held_label(self) -> str:
        if self.held_department_id:
            return self.held_department.name
        return self.held_division.name if self.held_division_id else ""


class Notification(models.Model):
    """What the reporter is told of one change, in their channel; `sent_at` stays empty until a sender sends it."""

    event = models.ForeignKey(GridEvent, on_delete=models.CASCADE, related_name="notifications")
    step = models.ForeignKey(GridEventStep, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=150)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(_("message"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("notification")

    def __str__(self) -> str:
        return f"{self.channel}:{self.recipient}"


class Survey(models.Model):
    """After closing, the reporter is asked whether the problem is solved, by a link with a token."""

    event = models.ForeignKey(GridEvent, on_delete=models.CASCADE, related_name="surveys")
    token = models.CharField(max_length=48, unique=True)
    closed_state = models.CharField(max_length=20, choices=State.choices)
    # The unit that disposed of it: a "not solved" answer on a closed-not-fixed event is held against it.
    disposed_division = models.ForeignKey(
        "geo.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disposed_department = models.ForeignKey(
        "exchange.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    solved = models.BooleanField(null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("reporter survey")

    def __str__(self) -> str:
        return f"survey {self.event_id}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(24)


class Open311Client(models.Model):
    """An Open311 client (an app, a hotline system) allowed to post service requests; only the key's hash is kept."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 client")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_key() -> str:
        return "o311_" + secrets.token_urlsafe(24)

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


from .models_joint import JointPart, JointPartStep, JointPlan, PartState  # noqa: E402, F401 (the app's models)
