"""Departments that share through the exchange hub (grants, feeds and logs come with the exchange issue)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    GOVERNMENT = "government", _("Government department")
    VERTICAL = "vertical", _("Vertically managed body")
    PARTY = "party", _("Party committee body")
    MASS_ORGANISATION = "mass_organisation", _("Mass organisation")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    COORDINATION_OFFICE = "coordination_office", _("Coordination office")
    INTERNAL_OFFICE = "internal_office", _("Office inside another department")


class Department(models.Model):
    """A government department (public security, human resources and social security, ...)."""

    code = models.CharField(_("code"), max_length=32, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default="government")

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name
