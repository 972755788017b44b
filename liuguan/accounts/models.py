"""Staff accounts bound to a jurisdiction (a division) or a department, and API tokens for machines."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.scoping import NOTHING, jurisdiction

from .roles import DUTY_HOLDERS, Role, role_has


class User(AbstractUser):
    """A person who works on the platform; what they see is bounded by `division`."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    division = models.ForeignKey(
        "geo.Division",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "exchange.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    office = models.ForeignKey(
        "geo.Office", verbose_name=_("office"), null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    phone = models.CharField(_("phone"), max_length=11, blank=True)
    # Duty holders (landlord, employer, hotel accounts) are bound to what they answer for, not to an area.
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    organisation = models.ForeignKey(
        "registry.Employer",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    lodging = models.ForeignKey(
        "registry.Lodging",
        verbose_name=_("hotel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_duty_holder(self) -> bool:
        """A landlord, employer or hotel account: no jurisdiction, only its own houses, staff or guests."""
        return self.role in DUTY_HOLDERS

    def can(self, permission: str) -> bool:
        """Role-based check; scope is applied separately by the selectors."""
        return self.is_active and role_has(self.role, permission)

    @classmethod
    def scope_filter(cls, user):
        """Officers see the accounts of their own jurisdiction and below."""
        code = jurisdiction(user)
        return NOTHING if code is None else models.Q(division__code__startswith=code)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for a machine acting as a user; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_key() -> str:
        return "lg_" + secrets.token_urlsafe(32)

    @staticmethod
    def digest(key: str) -> str:
        return _digest(key)

    @property
    def usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
