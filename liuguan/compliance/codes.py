"""Code lists of housing and employment duties (以房管人、以业管人): who reports, what, and how it ends."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DutyChannel(models.TextChoices):
    """Who owes the report; the values are the registry's source channels of the same name."""

    LANDLORD = "landlord", _("Landlord")
    EMPLOYER = "employer", _("Employer")
    HOTEL = "hotel", _("Hotel")


class ReportKind(models.TextChoices):
    ARRIVAL = "arrival", _("Moved in / hired / checked in")
    DEPARTURE = "departure", _("Moved out / left / checked out")


class ReportOutcome(models.TextChoices):
    CREATED = "created", _("New stay registered")
    CORROBORATED = "corroborated", _("Agrees with the register")
    DISAGREED = "disagreed", _("Disagrees with the register")
    DEPARTED = "departed", _("Stay ended")


class TenancyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class DisagreementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Report accepted")
    KEPT = "kept", _("Register kept")


class AgreementKind(models.TextChoices):
    LANDLORD = "landlord", _("Landlord (rental house)")
    HOTEL = "hotel", _("Hotel")
    EMPLOYER = "employer", _("Employer")


class AgreementState(models.TextChoices):
    """Derived from the term and today's date; terminated is recorded."""

    VALID = "valid", _("Valid")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")
    NOT_STARTED = "not_started", _("Not yet in force")
    TERMINATED = "terminated", _("Terminated")


class BreachKind(models.TextChoices):
    LATE_REPORT = "late_report", _("Late report")
    MISSING_REPORT = "missing_report", _("Missing report")
    INCIDENT = "incident", _("Incident")


class Tier(models.TextChoices):
    """Classified management of temporary residents (暂住人口分类管理)."""

    STABLE = "stable", _("Long-term stable")
    ORDINARY = "ordinary", _("Ordinary")
    ATTENTION = "attention", _("Needs attention")


class ForeignDocKind(models.TextChoices):
    VISA = "visa", _("Visa")
    RESIDENCE_PERMIT = "residence_permit", _("Foreigner's residence permit")
    STAY_PERMIT = "stay_permit", _("Foreigner's stay permit")
    PERMANENT_RESIDENCE = "permanent_residence", _("Permanent residence ID card")
