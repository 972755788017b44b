"""Divisions (five levels, from the real statistical codes), grids under communities, and offices."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from liuguan.core.models import CommunityScoped
from liuguan.core.scoping import NOTHING, jurisdiction


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    PREFECTURE = "prefecture", _("Prefecture")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    COMMUNITY = "community", _("Community")


CODE_LENGTHS = {2: Level.PROVINCE, 4: Level.PREFECTURE, 6: Level.COUNTY, 9: Level.TOWNSHIP, 12: Level.COMMUNITY}
LEVEL_LENGTHS = {level: length for length, level in CODE_LENGTHS.items()}


class Division(models.Model):
    """A division whose code is its path: a county's code starts with its prefecture's."""

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Statistical year of the code list the row came from (codes are revised every 30 June).
    vintage = models.PositiveSmallIntegerField(_("code year"), default=2023)

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, user):
        """A user sees their own division, everything under it, and the chain of parents above it."""
        code = jurisdiction(user)
        if code is None:
            return NOTHING
        ancestors = [code[:n] for n in (2, 4, 6, 9) if n < len(code)]
        return models.Q(code__startswith=code) | models.Q(code__in=ancestors)

    @property
    def padded(self) -> str:
        return self.code.ljust(12, "0")

    @classmethod
    def community_codes(cls, under: str) -> list[str]:
        """The codes of every community under a division code, in order (for commands and benchmarks, unscoped)."""
        return list(
            cls.objects.filter(level=Level.COMMUNITY, code__startswith=under)
            .order_by("code")
            .values_list("code", flat=True)
        )


class Grid(CommunityScoped):
    """A block of a community with a responsible grid worker and a deputy who stands in for them."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="grids")
    worker = models.ForeignKey(
        "accounts.User",
        verbose_name=_("grid worker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grids",
    )
    deputy = models.ForeignKey(
        "accounts.User",
        verbose_name=_("deputy grid worker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deputy_grids",
    )
    # The grid's centre (WGS-84), where known: Open311 reports with coordinates land in the nearest grid.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self) -> str:
        return self.name


class OfficeKind(models.TextChoices):
    SERVICE_OFFICE = "service_office", _("Migrant service office")
    STATION = "station", _("Community service station")
    COLLECTION_POINT = "collection_point", _("Collection point")


class Office(models.Model):
    """A 流管办 (street and above), a community service station, or a collection point."""

    kind = models.CharField(_("kind"), max_length=20, choices=OfficeKind.choices)
    name = models.CharField(_("name"), max_length=120)
    division = models.ForeignKey(Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="offices")
    address = models.CharField(_("address"), max_length=200, blank=True)
    hours = models.CharField(_("opening hours"), max_length=100, blank=True)

    class Meta:
        ordering = ["division_id", "kind", "name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [models.UniqueConstraint(fields=["division", "kind", "name"], name="office_unique_name")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, user):
        code = jurisdiction(user)
        return NOTHING if code is None else models.Q(division__code__startswith=code)
