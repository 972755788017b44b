"""Roles and what each may do. A permission not listed for a role is refused (deny by default)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    GRID_WORKER = "grid_worker", _("Grid worker")
    STATION_OFFICER = "station_officer", _("Station officer")
    STREET_OFFICER = "street_officer", _("Street officer")
    COUNTY_OFFICER = "county_officer", _("County officer")
    CITY_OFFICER = "city_officer", _("City officer")
    PROVINCE_ADMIN = "province_admin", _("Province administrator")
    DEPARTMENT_USER = "department_user", _("Department user")
    POLICE = "police", _("Police")
    AUDITOR = "auditor", _("Auditor")
    # Duty holders: no jurisdiction; they reach only their own houses, staff or guests.
    LANDLORD = "landlord", _("Landlord")
    EMPLOYER = "employer", _("Employer")
    HOTEL = "hotel", _("Hotel")
    # A migrant signed in to the portal: no jurisdiction; they reach their own records and their children's.
    MIGRANT = "migrant", _("Migrant")


FIELD = {Role.COLLECTOR, Role.GRID_WORKER}
OFFICERS = {Role.STATION_OFFICER, Role.STREET_OFFICER, Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_ADMIN}
REGISTRY_READERS = FIELD | OFFICERS | {Role.POLICE}
DUTY_HOLDERS = {Role.LANDLORD, Role.EMPLOYER, Role.HOTEL}
ALL_STAFF = set(Role) - DUTY_HOLDERS - {Role.MIGRANT}
DESK = {Role.STATION_OFFICER, Role.STREET_OFFICER}

PERMISSIONS: dict[str, set[Role]] = {
    "home.view": ALL_STAFF | DUTY_HOLDERS | {Role.MIGRANT},  # duty holders and migrants are sent on to their page
    "division.view": ALL_STAFF,
    "person.view": REGISTRY_READERS,
    # Seeing a full ID number or phone is allowed to those who work with people, always with a purpose.
    "person.reveal": REGISTRY_READERS,
    "person.register": FIELD | {Role.STATION_OFFICER, Role.STREET_OFFICER},
    "stay.depart": FIELD | {Role.STATION_OFFICER, Role.STREET_OFFICER},
    "stay.import": FIELD | OFFICERS,
    "place.view": REGISTRY_READERS,
    "place.register": FIELD | {Role.STATION_OFFICER, Role.STREET_OFFICER},
    "audit.view": {Role.AUDITOR, Role.PROVINCE_ADMIN},
    "token.manage": ALL_STAFF | DUTY_HOLDERS,
    # Housing and employment duties (compliance).
    "duty.home": DUTY_HOLDERS,
    "duty.report": DUTY_HOLDERS,
    "holder.manage": DESK,  # station and street officers open landlord, employer and hotel accounts
    "tenancy.view": REGISTRY_READERS,
    "tenancy.file": FIELD | DESK | {Role.LANDLORD},
    "disagreement.resolve": DESK,
    "agreement.view": REGISTRY_READERS,
    "agreement.sign": DESK | {Role.POLICE},
    "breach.view": REGISTRY_READERS,
    "breach.record": FIELD | DESK | {Role.POLICE},
    "classification.manage": {Role.CITY_OFFICER, Role.PROVINCE_ADMIN},
    "foreigner.view": OFFICERS | {Role.POLICE},
    # Department exchange (the hub): what a department sees is further bounded by its grants.
    "exchange.admin": {Role.PROVINCE_ADMIN, Role.CITY_OFFICER},
    "exchange.use": {Role.DEPARTMENT_USER},
    "exchange.log": {Role.DEPARTMENT_USER, Role.AUDITOR, Role.PROVINCE_ADMIN},
    "bulletin.issue": {Role.POLICE},
    "bulletin.view": {Role.POLICE},
    "offence.notify": {Role.POLICE},
    # Municipal management (oversight): data quality, spot checks, feedback, sweeps.
    "quality.view": OFFICERS | {Role.AUDITOR},
    "spotcheck.manage": OFFICERS,
    "spotcheck.verify": FIELD | DESK,
    "feedback.open": OFFICERS,
    "feedback.work": FIELD | DESK,
    "sweep.manage": OFFICERS,
    "sweep.work": FIELD | DESK,
    "omission.view": OFFICERS | {Role.POLICE},
    # Residence permits: stations and streets take applications (Order 663 Art. 8 lets public security entrust
    # community service bodies); public security decides, issues and endorses alongside the desk officers.
    "permit.view": OFFICERS | {Role.POLICE},
    "permit.apply": DESK,
    "permit.decide": DESK | {Role.POLICE},
    "permit.issue": DESK | {Role.POLICE},
    "permit.endorse": DESK | {Role.POLICE},
    "permit.revoke": DESK | {Role.COUNTY_OFFICER, Role.POLICE},
    # Residence permits, rights and certificates (permrights): what a person's permit grants, the settlement
    # check, and marriage-and-childbearing certificates (recorded at the desk, read by officers in scope).
    "rights.view": OFFICERS | {Role.POLICE},
    "certificate.record": DESK,
    "certificate.view": OFFICERS | {Role.POLICE},
    # Outflow population: the origin side's list of its people elsewhere, the reconciliation tasks, the flows;
    # the federation with other instances (peers, outbox, inbox, refusals) is the province administrator's.
    "outflow.view": OFFICERS | {Role.POLICE},
    "outflow.record": FIELD | DESK,
    "outflow.task": DESK | {Role.COUNTY_OFFICER},
    "trajectory.view": REGISTRY_READERS,
    "flow.view": OFFICERS | {Role.AUDITOR},
    "federation.query": OFFICERS | {Role.POLICE},
    "federation.admin": {Role.PROVINCE_ADMIN},
    # Grid management (网格化): grid workers and desks report; desks route, check and close; the unit an event is
    # routed to (an office's officers, a department's users) accepts and disposes; officers above supervise.
    "grid.view": REGISTRY_READERS | {Role.DEPARTMENT_USER},
    "grid.report": FIELD | DESK,
    "grid.route": DESK,
    "grid.dispose": DESK | {Role.COUNTY_OFFICER, Role.DEPARTMENT_USER},
    "grid.supervise": OFFICERS,
    "grid.manage": {Role.CITY_OFFICER, Role.PROVINCE_ADMIN},
    # Children's schooling (livelihood/schooling): desks link families and take applications (migrants apply
    # for their own children through the portal); desks and the county's education officers decide and keep
    # the school registry and records; officers above and the education department read the figures.
    "school.view": OFFICERS | {Role.DEPARTMENT_USER},
    "school.manage": DESK | {Role.COUNTY_OFFICER},
    "school.apply": DESK | {Role.MIGRANT},
    "school.withdraw": DESK | {Role.MIGRANT},
    "school.decide": DESK | {Role.COUNTY_OFFICER},
    "school.record": DESK | {Role.COUNTY_OFFICER},
    "guardianship.link": DESK,
    # Health, family planning, work and training (livelihood/welfare): desks record, officers in scope read;
    # departments share medical cover and remote-treatment filings through the hub under grants.
    "welfare.view": OFFICERS,
    "welfare.record": DESK,
    "employment.view": OFFICERS,
    "employment.record": DESK,
    "training.manage": DESK | {Role.COUNTY_OFFICER},
    # The migrant portal: a migrant uses it for their own records; the community's station reviews declarations.
    "portal.use": {Role.MIGRANT},
    "portal.review": DESK,
    # Legal aid (livelihood/legalaid): a migrant asks for themself, a grid worker for a person in their grid, a
    # desk for a person in scope; officers of the unit's area accept, decline, handle and close.
    "legalaid.view": OFFICERS | {Role.GRID_WORKER},
    "legalaid.open": DESK | {Role.GRID_WORKER, Role.MIGRANT},
    "legalaid.handle": OFFICERS,
    "legalaid.manage": {Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_ADMIN},
    # Associations (自组织): desks register and keep them; officers give them tasks; everyone in scope reads.
    "association.view": OFFICERS | FIELD,
    "association.manage": OFFICERS,
    "association.task": OFFICERS,
    # Macro decision (insight): dashboards, trends and forecasts down to the reader's own area, and the monthly
    # reports; departments get aggregates with small counts suppressed through the hub (exchange.use + a grant).
    "insight.view": OFFICERS | {Role.AUDITOR},
    "insight.report": OFFICERS,
    "insight.opendata": {Role.PROVINCE_ADMIN},  # the k-anonymity thresholds of the open data
    # Entity resolution (linkage): desks review likely duplicates in scope and merge or keep apart (and undo);
    # county, city and province officers run batch linkage and train models; officers read the results.
    "linkage.view": OFFICERS,
    "linkage.review": DESK,
    "linkage.run": {Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_ADMIN},
}

# The level of division each role is normally bound to; used by the demo and to check new accounts.
ROLE_LEVELS: dict[Role, tuple[str, ...]] = {
    Role.COLLECTOR: ("community", "township"),
    Role.GRID_WORKER: ("community",),
    Role.STATION_OFFICER: ("community",),
    Role.STREET_OFFICER: ("township",),
    Role.COUNTY_OFFICER: ("county",),
    Role.CITY_OFFICER: ("prefecture",),
    Role.PROVINCE_ADMIN: ("province",),
    Role.DEPARTMENT_USER: ("province", "prefecture", "county"),
    Role.POLICE: ("province", "prefecture", "county", "township"),
    Role.AUDITOR: ("province", "prefecture", "county"),
    Role.LANDLORD: (),
    Role.EMPLOYER: (),
    Role.HOTEL: (),
    Role.MIGRANT: (),
}


def role_has(role: str, permission: str) -> bool:
    """True only when the permission is declared and lists the role."""
    return role in PERMISSIONS.get(permission, ())
