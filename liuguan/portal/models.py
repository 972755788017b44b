"""The migrant portal (流动人口自助服务): a migrant signs in with a mobile number and a one-time code, declares their
own stay, applies for what they need and is told of every step.

- OneTimeCode: a sign-in code sent to a phone (only its hash is kept), short-lived, a few attempts;
- PortalNotification: what a migrant is told (a request changed state, a declaration was reviewed);
- StayDeclaration: a stay the migrant declares themselves, pending review by the community's station;
- PoliceSitting: when the hukou police officer sits at a service station (户籍民警下社区).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.core.fields import EncryptedField
from liuguan.core.models import CommunityScoped
from liuguan.registry.codes import DocType, Reason, Sex

USER = settings.AUTH_USER_MODEL


class OneTimeCode(models.Model):
    """A sign-in code for one phone: valid five minutes, five attempts, used once."""

    phone = models.CharField(_("phone"), max_length=11, db_index=True)
    code_hash = models.CharField(max_length=128)
    client_address = models.CharField(pgettext_lazy("network", "address"), max_length=45, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def scope_filter(cls, user):
        from liuguan.core.scoping import NOTHING

        return NOTHING


class PortalNotification(models.Model):
    """One thing a migrant is told in the portal."""

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="portal_notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("portal notification")
        verbose_name_plural = _("portal notifications")

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_filter(cls, user):
        """Only the person's own notifications, and only to them."""
        from liuguan.core.scoping import NOTHING

        person_id = getattr(user, "person_id", None)
        if getattr(user, "role", "") != "migrant" or person_id is None:
            return NOTHING
        return models.Q(person_id=person_id)


class StayDeclaration(CommunityScoped):
    """A stay declared by the migrant, waiting for the community's station to accept or reject it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        ACCEPTED = "accepted", pgettext_lazy("declaration", "Accepted")
        REJECTED = "rejected", _("Rejected")

    account = models.ForeignKey(
        USER, verbose_name=_("account"), on_delete=models.PROTECT, related_name="stay_declarations"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stay_declarations",
    )
    # The declarant's identity, used when they are not on the register yet.
    doc_type = models.CharField(_("document type"), max_length=16, choices=DocType.choices, blank=True)
    # Encrypted at rest (liuguan.core.fields); a declaration is never looked up by these.
    doc_number = EncryptedField(_("document number"), max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=60, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    hukou_address = models.CharField(_("hukou address"), max_length=200, blank=True)
    phone = EncryptedField(_("phone"), max_length=11)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("residence address"), max_length=200)
    house = models.ForeignKey(
        "registry.House", verbose_name=_("house"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    arrived_on = models.DateField(_("arrival date"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reject_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        USER, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    stay = models.ForeignKey(
        "registry.Stay", verbose_name=_("stay"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("stay declaration")
        verbose_name_plural = _("stay declarations")

    def __str__(self) -> str:
        return f"{self.community_id} {self.arrived_on}"


class PoliceSitting(models.Model):
    """The hukou police officer's hours at a service station: a weekday each week (or one date)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    office = models.ForeignKey(
        "geo.Office", verbose_name=_("service station"), on_delete=models.CASCADE, related_name="police_sittings"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, null=True, blank=True)
    on_date = models.DateField(_("date"), null=True, blank=True)
    hours = models.CharField(pgettext_lazy("time of day", "hours"), max_length=40)
    officer_name = models.CharField(pgettext_lazy("police", "officer"), max_length=60)

    class Meta:
        ordering = ["office_id", "weekday", "on_date"]
        verbose_name = _("police sitting")
        verbose_name_plural = _("police sittings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__isnull=False) | models.Q(on_date__isnull=False),
                name="portal_sitting_weekday_or_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.weekday if self.weekday is not None else self.on_date} {self.hours}"

    @classmethod
    def scope_filter(cls, user):
        """Public information: anyone signed in may read it."""
        return models.Q()
