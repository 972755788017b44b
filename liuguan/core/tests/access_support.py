"""What the access test over everything needs: every page pattern and API operation, how to fill their path
parameters, the people who try them, marked records inside and outside each jurisdiction, and a cheap
fingerprint of the database to show that a refused write changed nothing.

When a new page or operation has a path parameter this file does not know, the test fails and names it: add the
parameter to OBJECT_PARAMS (a record made in `build_world`, tried inside and outside the jurisdiction),
MISSING_ONLY (an id tried as missing only) or STRING_PARAMS (a sample value), and the page to PUBLIC_PAGES only if
anonymous visitors must reach it.
"""

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from liuguan.accounts.models import ApiToken, User
from liuguan.accounts.roles import ALL_STAFF, PERMISSIONS, Role
from liuguan.conftest import FAR_COMMUNITY, IN_COMMUNITY, OUT_COMMUNITY, PASSWORD, ROLE_DIVISIONS, citizen_id
from liuguan.core.identity import mask_document_number, mask_name, mask_phone
from liuguan.core.permissions import PUBLIC, declared_permission

MISSING_ID = 987_654

# Pages anyone may open, signed in or not. Keep it short: every entry is a door without a lock.
PUBLIC_PAGES = {
    "accounts:login",
    "accounts:logout",
    "permit_verify",  # a permit's QR code: says valid or not, nothing personal
    "federation:inbox",  # peers' signed envelopes; the signature is the lock
    "grid:survey",  # the reporter's satisfaction link, keyed by an unguessable token
    "open311:services",
    "open311:service",
    "open311:requests",
    "open311:request",
    "portal:signin",
    "portal:signout",
    "healthz",
    "set_language",
}
# The API's own pages (not operations): the OpenAPI document and the interactive docs.
API_SELF_PAGES = {"api:api-root", "api:openapi-json", "api:openapi-view"}
# Requests that end the session: each is made with a client of its own.
SIGNS_OUT = {"accounts:logout", "portal:signout"}

# Path parameters naming a record made by build_world, tried with the record inside the caller's jurisdiction
# and the one outside it (which must answer exactly as a missing one).
OBJECT_PARAMS = {"person_id": "person", "stay_id": "stay", "house_id": "house", "employer_id": "employer"}
# Ids of records the world does not make: tried as missing (must refuse cleanly, never a server error).
MISSING_ONLY = {
    "agreement_id",
    "application_id",
    "association_id",
    "batch_id",
    "bulletin_id",
    "check_id",
    "declaration_id",
    "delivery_id",
    "disagreement_id",
    "enrolment_id",
    "event_id",
    "filing_id",
    "grant_id",
    "hit_id",
    "merge_id",
    "message_id",
    "notice_id",
    "pair_id",
    "part_id",
    "permit_id",
    "record_id",
    "report_id",
    "request_id",
    "round_id",
    "run_id",
    "school_id",
    "seeker_id",
    "subscription_id",
    "subsystem_id",
    "sweep_id",
    "task_id",
    "token_id",
    "training_id",
}
MISSING_UUID = "6d9c9f0e-8f5e-4a1f-9a43-000000000000"
# Other path parameters: a sample value (by name, or by "route name:parameter" where one name means two things).
STRING_PARAMS = {
    "action": "accept",
    "code": "nosuchcode",
    "dataset": "people",
    "fmt": "json",
    "key": "registry",
    "kind": "houses",
    "name": "population",
    "prefix": "5101",
    "record": "health",
    "token": "no-such-token",
    "geo:division:code": "510104",
    "api:/api/geo/divisions/{code}:code": "510104",
    "insight:report_download:kind": "pdf",
    "api:/api/insight/reports/{report_id}/{kind}:kind": "pdf",
}
# Division-code parameters also tried outside every jurisdiction (the far community's county).
DIVISION_PARAMS = {"geo:division:code", "api:/api/geo/divisions/{code}:code"}
FAR_DIVISION = "500101"


# ---------------------------------------------------------------------------------------------------- enumeration
@dataclass
class Route:
    """One page pattern or one API operation, with what the test needs to call it."""

    key: str  # "namespace:name" for pages, "METHOD /api/path" for operations
    kind: str  # "page" or "api"
    methods: tuple[str, ...]
    params: list[str]
    permission: str | None
    template: str = ""  # API path template
    pattern_name: str = ""  # for reverse()

    @property
    def public(self) -> bool:
        return self.permission == PUBLIC and self.kind == "page"


def _walk(resolver, namespaces=(), prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(
                entry, namespaces + ((entry.namespace,) if entry.namespace else ()), prefix + str(entry.pattern)
            )
        elif isinstance(entry, URLPattern):
            yield namespaces, prefix + str(entry.pattern), entry


def page_routes() -> tuple[list[Route], list[str]]:
    """Every page pattern outside the API, and the API patterns (as OpenAPI-style templates) for cross-checking."""
    pages, api_patterns = [], []
    for namespaces, route, pattern in _walk(get_resolver()):
        if "api" in namespaces:
            template = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
            api_patterns.append((":".join(namespaces) + ":" + (pattern.name or ""), template))
            continue
        name = ":".join(namespaces + (pattern.name,)) if pattern.name else route
        params = list(pattern.pattern.regex.groupindex)
        pages.append(
            Route(
                key=name,
                kind="page",
                methods=("GET", "POST"),
                params=params,
                permission=declared_permission(pattern.callback),
                pattern_name=name,
            )
        )
    return pages, api_patterns


def api_routes() -> list[Route]:
    """Every operation of the published OpenAPI document, with the permission its view declares."""
    from liuguan.api import api, api_operations

    declared = {}
    for method, path, operation in api_operations(api):
        declared[(method.upper(), "/api" + path)] = declared_permission(operation.view_func)
    document = api.get_openapi_schema()
    routes = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            key = f"{method.upper()} {template}"
            ninja_path = re.sub(r"\{(\w+)\}", r"{\1}", template)
            routes.append(
                Route(
                    key=key,
                    kind="api",
                    methods=(method.upper(),),
                    params=params,
                    permission=_lookup_declared(declared, method.upper(), ninja_path),
                    template=template,
                )
            )
    return routes


def _lookup_declared(declared, method, template):
    # ninja keeps the converter in its own path ("{int:person_id}" or "{person_id}"); compare without it.
    plain = re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", template)
    for (m, path), perm in declared.items():
        if m == method and re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", path).rstrip("/") == plain.rstrip("/"):
            return perm
    return None


def permission_names(permission: str | None) -> list[str]:
    """A view may declare "a | b" (either grants it)."""
    return [p.strip() for p in (permission or "").split("|") if p.strip()]


def unclassified(routes: list[Route]) -> list[str]:
    """What the test cannot try: unknown path parameters, undeclared or unknown permissions, unlisted public pages."""
    problems = []
    for route in routes:
        for param in route.params:
            scoped = f"{route.pattern_name or 'api:' + route.template}:{param}"
            known = param in OBJECT_PARAMS or param in MISSING_ONLY or param in STRING_PARAMS or scoped in STRING_PARAMS
            if not known:
                problems.append(
                    f"{route.key}: path parameter {param!r} unknown; add it to OBJECT_PARAMS, MISSING_ONLY or "
                    "STRING_PARAMS in liuguan/core/tests/access_support.py"
                )
        if route.permission is None:
            problems.append(f"{route.key}: declares no permission")
            continue
        if route.permission == PUBLIC:
            if route.kind == "page" and route.key not in PUBLIC_PAGES:
                problems.append(f"{route.key}: public but not in PUBLIC_PAGES (add it only if anonymous may open it)")
            continue
        for name in permission_names(route.permission):
            if name not in PERMISSIONS:
                problems.append(f"{route.key}: permission {name!r} is not in accounts.roles.PERMISSIONS")
    return problems


def allowed(role: str | None, route: Route) -> bool:
    if route.permission == PUBLIC:
        return role is not None or route.kind == "page"
    if role is None:
        return False
    return any(role in PERMISSIONS.get(name, ()) for name in permission_names(route.permission))


# ---------------------------------------------------------------------------------------------------- the world
@dataclass
class Marked:
    """A record whose rendering would be recognised anywhere: its strings are unique to it."""

    community: str
    markers: list[str]
    objects: dict = field(default_factory=dict)


@dataclass
class Who:
    label: str
    role: str | None
    division: str | None  # None: no jurisdiction (own records only, or nothing)
    page: Client
    api: Client
    user: User | None = None

    def fresh_page(self) -> Client:
        client = Client()
        if self.user is not None:
            client.force_login(self.user)
        return client


def _marked_person(label, surname, area, community, seq, phone):
    from liuguan.registry.models import Employer, House, Lodging, Person, Stay

    number = citizen_id(area, "19880808", seq)
    name = f"{surname}{label}{label}"
    person = Person.objects.create(
        doc_type="citizen_id",
        doc_number=number,
        name=name,
        name_pinyin=f"access{label}",
        name_initials="ax",
        sex="F",
        birth_date=dt.date(1988, 8, 8),
        hukou_code=area,
        phone=phone,
    )
    address = f"{surname}园路 {seq} 号"
    stay = Stay.objects.create(
        person=person,
        community_id=community,
        reason="work",
        arrived_on=dt.date(2024, 6, 1),
        source_channel="collector",
        address=address,
    )
    house = House.objects.create(community_id=community, address=f"{surname}宅 {seq} 号", owner_name=f"{surname}房主")
    employer = Employer.objects.create(name=f"{surname}记商行{seq}", industry="H", community_id=community)
    Lodging.objects.create(name=f"{surname}家客栈{seq}", address=address, community_id=community)
    markers = [
        name,
        mask_name(name),
        number,
        mask_document_number(number),
        phone,
        mask_phone(phone),
        address,
        house.address,
        employer.name,
    ]
    return Marked(
        community=community,
        markers=markers,
        objects={"person": person.pk, "stay": stay.pk, "house": house.pk, "employer": employer.pk},
    )


def _token_client(user) -> Client:
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, name="access", prefix=key[3:9], key_hash=ApiToken.digest(key))
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def _session_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def build_world(users, divisions, department):
    """Three marked people (with a stay, a house, an employer and a lodging each) in the Jinjiang community, in
    Mianyang and in Chongqing; one account per role, duty holders bound to their own records, a migrant bound to
    their own person, a department subsystem without any grant, and anonymous."""
    from liuguan.exchange.models import Subsystem
    from liuguan.registry.models import Employer, House, Lodging, Person

    marked = {
        "in": _marked_person("甲", "檀", "510104", IN_COMMUNITY, "701", "13511110701"),
        "out": _marked_person("乙", "樊", "510703", OUT_COMMUNITY, "702", "13511110702"),
        "far": _marked_person("丙", "龚", "500101", FAR_COMMUNITY, "703", "13511110703"),
    }
    # Pages and API alike through the signed-in session (the API takes it as well as a token: the same
    # permission checks, one query less per call); tokens are tried by test_scope_matrix.py, and here by the
    # department's subsystem, which calls with its key.
    people = []
    for role, user in users.items():
        session = _session_client(user)
        people.append(Who(role.value, role.value, ROLE_DIVISIONS[role], session, session, user))

    def holder(username, role, **bound):
        user = User(username=username, role=role, full_name=username, **bound)
        user.set_password(PASSWORD)
        user.save()
        return user

    own_person = Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id("510104", "19700101", "711"),
        name="房东自己",
        name_pinyin="fangdong",
        name_initials="fd",
        sex="M",
        birth_date=dt.date(1970, 1, 1),
    )
    House.objects.create(community_id=IN_COMMUNITY, address="自家路 1 号", kind="rental", landlord=own_person)
    employer = Employer.objects.create(name="自家公司", industry="H", community_id=IN_COMMUNITY)
    lodging = Lodging.objects.create(name="自家宾馆", address="自家路 2 号", community_id=IN_COMMUNITY, rooms=5)
    migrant_person = Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id("511321", "19950101", "712"),
        name="自己人",
        name_pinyin="zijiren",
        name_initials="zjr",
        sex="M",
        birth_date=dt.date(1995, 1, 1),
        phone="13800000712",
    )
    duty = [
        holder("access_landlord", Role.LANDLORD, person=own_person),
        holder("access_employer", Role.EMPLOYER, organisation=employer),
        holder("access_hotel", Role.HOTEL, lodging=lodging),
    ]
    for user in duty:
        session = _session_client(user)
        people.append(Who(user.role, user.role, None, session, session, user))
    migrant = User(username="access_migrant", role=Role.MIGRANT, phone=migrant_person.phone, person=migrant_person)
    migrant.set_unusable_password()
    migrant.save()
    session = _session_client(migrant)
    people.append(Who("migrant", Role.MIGRANT, None, session, session, migrant))
    service = User(username="access_subsystem", role=Role.DEPARTMENT_USER, division=divisions["51"])
    service.department = department
    service.set_unusable_password()
    service.save()
    Subsystem.objects.create(department=department, code="nogrant", name="无授权子系统", account=service)
    people.append(
        Who("subsystem_without_grant", Role.DEPARTMENT_USER, None, _session_client(service), _token_client(service))
    )
    people.append(Who("anonymous", None, None, Client(), Client()))
    return marked, people


def outside_markers(who: Who, marked: dict[str, Marked]) -> list[str]:
    """The markers this caller must never see: records outside their jurisdiction, or every marked record for
    callers without one (duty holders, migrants, departments, anonymous)."""
    seen = []
    for record in marked.values():
        inside = who.division is not None and record.community.startswith(who.division)
        # A department user's jurisdiction names where their grants may reach, not people they may read.
        if who.role == Role.DEPARTMENT_USER or who.role not in {r.value for r in ALL_STAFF}:
            inside = False
        if not inside:
            seen.extend(record.markers)
    return seen


# ---------------------------------------------------------------------------------------------------- filling
def fill(route: Route, marked: dict[str, Marked], where: str) -> dict | None:
    """Path parameters for the route with the records `where` ("in", "far" or "missing"); None when the route has
    no parameter that differs between inside and outside (so "far" adds nothing)."""
    values, differs = {}, False
    for param in route.params:
        scoped = f"{route.pattern_name or 'api:' + route.template}:{param}"
        if param in OBJECT_PARAMS:
            differs = True
            values[param] = MISSING_ID if where == "missing" else marked[where].objects[OBJECT_PARAMS[param]]
        elif scoped in DIVISION_PARAMS:
            differs = True
            values[param] = {"in": STRING_PARAMS[scoped], "far": FAR_DIVISION, "missing": "519999"}[where]
        elif param in MISSING_ONLY:
            values[param] = MISSING_UUID if param == "message_id" else MISSING_ID
        else:
            values[param] = STRING_PARAMS.get(scoped, STRING_PARAMS.get(param))
    if where != "in" and not differs:
        return None
    return values


def url_for(route: Route, values: dict) -> str:
    if route.kind == "page":
        return reverse(route.pattern_name, kwargs=values)
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), route.template)


# ---------------------------------------------------------------------------------------------------- fingerprint
# Written by any request, refused or not: the session (saved on every request), a token's last use, the sign-in
# throttle's log. None of them holds registry data.
VOLATILE_TABLES = {
    "django_session",
    "accounts_apitoken",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
}


@functools.cache
def _tables() -> list[str]:
    names = set(connection.introspection.table_names())
    tables = []
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in names and table not in VOLATILE_TABLES and not model._meta.proxy:
            tables.append(table)
    return sorted(set(tables))


def fingerprint(*, rows: bool = True) -> dict[str, str]:
    """Per table: its row count (one query for all) and, with `rows`, for tables with rows a digest of every row.
    An update needs a row to exist, an insert or a delete changes the count, so empty tables need no digest."""
    tables = _tables()
    quote = connection.ops.quote_name
    digests = {}
    with connection.cursor() as cursor:
        counts = []
        for start in range(0, len(tables), 100):  # SQLite allows 500 terms in a compound SELECT
            chunk = tables[start : start + 100]
            # Table names come from the models, not from input.
            sql = " UNION ALL ".join(f"SELECT {i}, COUNT(*) FROM {quote(t)}" for i, t in enumerate(chunk))  # noqa: S608
            cursor.execute(sql)
            counts.extend((chunk[i], n) for i, n in cursor.fetchall())
        for table, count in counts:
            digests[table] = str(count)
            if count and rows:
                cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
                content = sorted(repr(row) for row in cursor.fetchall())
                digests[table] += ":" + hashlib.sha256("\n".join(content).encode()).hexdigest()[:16]
    return digests


class Watch:
    """Refused writes between fingerprints: the counts after every route (one query), every row after every
    `every` routes and whenever the counts moved; a change names the routes since the last clean fingerprint."""

    def __init__(self, every: int = 8):
        self.every = every
        self.rows = fingerprint()
        self.counts = {table: digest.split(":")[0] for table, digest in self.rows.items()}
        self.window: list[str] = []
        self.fingerprints = 1

    def after(self, route_key: str) -> str | None:
        self.window.append(route_key)
        counts = fingerprint(rows=False)
        self.fingerprints += 1
        if counts == self.counts and len(self.window) < self.every:
            return None
        return self.close()

    def close(self) -> str | None:
        if not self.window:
            return None
        now = fingerprint()
        self.fingerprints += 1
        moved = changed(self.rows, now)
        report = f"refused writes to {self.window} changed {moved}" if moved else None
        self.rows, self.window = now, []
        self.counts = {table: digest.split(":")[0] for table, digest in now.items()}
        return report


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [table for table in before if before[table] != after.get(table)]
