"""Residence permits (居住证) from application to QR verification, marriage-and-childbearing certificates.

The rules live in `policy.py` and `rights.py` and read versioned policy data; the rows here record what
happened: an application with its checklist and the one notice of everything missing, the decision with
the policy version it used, the permit with each step of its life (issued, printed, handed over, endorsed,
suspended, restored, upgraded, revoked, replaced: who and when), and every public verification.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.models import CommunityScoped

USER = settings.AUTH_USER_MODEL


class PermitPolicy(models.Model):
    """A version of a permit policy (the national regulations or a city profile) and the areas it governs.

    `content` is the policy as shipped in data/policies.json when it was loaded; decisions name the code and
    version, so a decision can always be explained by the text it used, even after the policy changes.
    """

    code = models.CharField(_("policy"), max_length=20)
    version = models.CharField(_("version"), max_length=20)
    title = models.CharField(_("title"), max_length=120)
    # The longest matching division-code prefix picks the policy; "" is the province-wide default.
    prefix = models.CharField(_("division code prefix"), max_length=12, blank=True)
    effective_from = models.DateField(_("in force from"))
    content = models.JSONField(_("content"))
    rights_profile = models.CharField(_("rights profile"), max_length=20, default="national")
    settlement_profile = models.CharField(_("settlement profile"), max_length=20, blank=True)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("permit policy")
        verbose_name_plural = _("permit policies")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="permit_policy_version_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.version}"


class Application(CommunityScoped):
    """An application for a residence permit, from receipt to decision; the checklist says what is missing."""

    class Kind(models.TextChoices):
        NEW = "new", _("New permit")
        UPGRADE = "upgrade", _("Upgrade from a temporary permit")
        REPLACEMENT = "replacement", _("Replacement of a lost or damaged permit")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        INCOMPLETE = "incomplete", _("Materials missing (notice issued)")
        ACCEPTED = "accepted", _("Accepted, awaiting decision")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Channel(models.TextChoices):
        STATION = "station", _("At a station")
        PORTAL = "portal", _("Through the portal")

    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("application"), max_length=12, choices=Kind.choices, default=Kind.NEW)
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+"
    )
    stay = models.ForeignKey("registry.Stay", verbose_name=_("residence"), on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    permit_kind = models.CharField(_("permit kind"), max_length=20)
    # The lawful condition the applicant relies on: employment, residence (housing) or study.
    condition = models.CharField(_("condition"), max_length=12)
    # {material code: true when provided}; the policy says which materials the condition needs.
    materials = models.JSONField(_("materials"), default=dict)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.STATION)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    policy = models.ForeignKey(PermitPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    received_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    # The single notice of everything missing (一次性告知): which materials, and when it was given.
    notice_missing = models.JSONField(_("missing materials"), default=list, blank=True)
    notice_at = models.DateTimeField(_("notice given"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted"), null=True, blank=True)
    due_on = models.DateField(_("decision due"), null=True, blank=True)
    extended = models.BooleanField(_("deadline extended"), default=False)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The eligibility worked out at decision time (kind, reasons, residence since) and the officer's words.
    decision = models.JSONField(_("decision"), default=dict, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    replaces = models.ForeignKey(
        "Permit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("permit replaced")
    )

    class Meta:
        verbose_name = _("permit application")
        verbose_name_plural = _("permit applications")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return self.number


class Permit(CommunityScoped):
    """A residence permit issued to a person: its number, kind, state and the days that change it."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued, not yet handed over")
        VALID = "valid", _("Valid")
        SUSPENDED = "suspended", _("Suspended (endorsement overdue)")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")
        REPLACED = "replaced", _("Replaced")
        UPGRADED = "upgraded", _("Upgraded")

    number = models.CharField(_("permit number"), max_length=32, unique=True)
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("holder"), on_delete=models.PROTECT, related_name="permits"
    )
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="permits")
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20)
    policy = models.ForeignKey(PermitPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    issued_on = models.DateField(_("issued"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # Years of residence count continuously from here: the issue date, or the last late endorsement.
    counted_from = models.DateField(_("years counted from"))
    issuer = models.CharField(_("issuing authority"), max_length=100)
    # The residence address printed on the permit, as it was when issued.
    address = models.CharField(_("residence address"), max_length=200)
    printed_at = models.DateTimeField(_("printed"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=200, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces", verbose_name=_("replaced by")
    )
    # Changing it voids every QR code printed before (a replacement or a reprint after loss).
    token_nonce = models.CharField(max_length=24)

    class Meta:
        verbose_name = _("residence permit")
        verbose_name_plural = _("residence permits")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["person", "status"]), models.Index(fields=["status", "counted_from"])]

    def __str__(self) -> str:
        return self.number


class Endorsement(models.Model):
    """A yearly endorsement (签注); a late one restored a suspended permit and restarted the count."""

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="endorsements")
    on = models.DateField(_("endorsed on"))
    late = models.BooleanField(_("late"), default=False)
    by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.permit_id} {self.on}"


class PermitEvent(models.Model):
    """Each step of an application or a permit: who did what, when (the ID queue's trail, with reasons)."""

    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    permit = models.ForeignKey(Permit, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d}"


class Verification(models.Model):
    """A public check of a permit's QR code: when, the answer given, and a digest of where it came from."""

    permit = models.ForeignKey(Permit, null=True, blank=True, on_delete=models.SET_NULL, related_name="verifications")
    at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(max_length=12)
    # A keyed digest of the client address: repeated checks can be counted without keeping the address.
    client = models.CharField(max_length=16, blank=True)

    class Meta:
        # (client, at) serves the per-address limit of the public page: checks from one digest in the last minutes.
        indexes = [models.Index(fields=["permit", "at"]), models.Index(fields=["client", "at"])]

    def __str__(self) -> str:
        return f"{self.permit_id} {self.answer}"


class MarriageCertificate(models.Model):
    """A marriage-and-childbearing certificate (婚育证明) issued by the hukou area, checked before licences."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="marriage_certificates")
    number = models.CharField(_("certificate number"), max_length=40, unique=True)
    issuer = models.CharField(_("issued by"), max_length=100)
    # Where the certificate was issued (the holder's hukou area, usually); records are scoped by it too.
    issuer_code = models.CharField(_("issuing area"), max_length=12)
    issued_on = models.DateField(_("issued"))
    valid_until = models.DateField(_("valid until"))
    marital_status = models.CharField(_("marital status"), max_length=2, blank=True)
    children = models.PositiveSmallIntegerField(_("children"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.VALID)
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("marriage and childbearing certificate")
        verbose_name_plural = _("marriage and childbearing certificates")
        indexes = [models.Index(fields=["person", "valid_until"])]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_filter(cls, user):
        """Visible wherever its holder is visible (a subquery on the person's own rule, so still one query)."""
        from liuguan.registry.models import Person

        return models.Q(Exists(Person.objects.filter(Person.scope_filter(user), pk=models.OuterRef("person_id"))))
