"""Every page pattern and every API operation, as every kind of caller (issue 13 §1).

The routes come from the URL configuration and the OpenAPI document, so a new endpoint cannot escape: one the
test cannot fill or has not classified fails `test_every_page_and_operation_can_be_tried` with what to add
(liuguan/core/tests/access_support.py). Each is then tried with GET by the ten staff roles, a landlord, an
employer, a hotel, a migrant, a department subsystem without a grant and anonymous, with records inside the
caller's jurisdiction, outside it and missing; and with a write (empty body) by every caller who must be refused.

It fails on a leak — a record outside the caller's jurisdiction that answers otherwise than a missing one, a
marked string of such a record anywhere in a response, a role answered without the permission the route
declares, anything but a sign-in redirect, 401, 403 or 404 for anonymous callers on a non-public route — on a
server error, and on a refused write that changed any table (a digest of every row of every table, before and
after). Writes that are allowed are other tests' business. The matrices of test_scope_matrix.py,
compliance/tests/test_own_scope.py and the portal's scope tests check the same rules in depth for chosen routes.
"""

import collections
import functools
import time

import pytest

from .access_support import (
    API_SELF_PAGES,
    MISSING_ONLY,
    OBJECT_PARAMS,
    SIGNS_OUT,
    Watch,
    allowed,
    api_routes,
    build_world,
    fill,
    outside_markers,
    page_routes,
    unclassified,
    url_for,
)

# What a refused caller may be answered. 302 only towards the sign-in page (checked below); 422 only from the API,
# whose schema validation runs before the permission check and says nothing about any record.
REFUSED_PAGE = {302, 403, 404, 405}
REFUSED_API = {401, 403, 404, 405, 422}
REFUSED_SAMPLE = 3
TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/xml")


@functools.cache
def _routes():
    pages, _ = page_routes()
    return pages + api_routes()


def test_every_page_and_operation_can_be_tried():
    pages, api_patterns = page_routes()
    operations = [route for route in _routes() if route.kind == "api"]
    problems = unclassified(pages + operations)
    templates = {route.template for route in operations}
    for name, template in api_patterns:
        if template not in templates and name not in API_SELF_PAGES:
            problems.append(f"{name} ({template}): an API URL that is not an operation of the OpenAPI document")
    assert not problems, "\n".join(problems)
    assert len(pages) > 200 and len(operations) > 150  # the enumeration found the application, not a fragment


def _body(response) -> str | None:
    if response.get("Content-Type", "").startswith(TEXT_TYPES) and not getattr(response, "streaming", False):
        return response.content.decode("utf-8", "replace")
    return None


def _to_sign_in(response) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and ("/accounts/login/" in location or "/portal/signin/" in location)


def _refused_by_record(route, where) -> bool:
    """The write names a record the caller may not reach (outside, or missing)."""
    if where in ("far", "missing"):
        return True
    return any(p in MISSING_ONLY for p in route.params) and not any(p in OBJECT_PARAMS for p in route.params)


def _callers(people, route, index):
    """Everyone the route allows, anonymous, and REFUSED_SAMPLE signed-in callers without its permission, taken in
    turn from route to route so that every caller is refused on many routes. A caller without the permission is
    refused by the one decorator (page or endpoint) before the view runs, whoever they are; trying all of them on
    every route would triple the test's time and find nothing the sample does not."""
    may = [w for w in people if allowed(w.role, route)]
    anonymous = [w for w in people if w.role is None and w not in may]
    refused = [w for w in people if w.role is not None and w not in may]
    if len(refused) > REFUSED_SAMPLE:
        start = index * REFUSED_SAMPLE % len(refused)
        refused = (refused + refused)[start : start + REFUSED_SAMPLE]
    return may + anonymous + refused


@pytest.mark.django_db
def test_every_route_as_everyone(users, divisions, department):
    started = time.process_time()
    marked, people = build_world(users, divisions, department)
    routes = _routes()
    failures = []
    counts = collections.Counter()
    refusals = collections.Counter()  # per caller: routes on which they were refused
    seen_inside = set()  # the inside record's markers seen by callers who may see it: proof the markers render
    spent = collections.Counter()

    def request(who, route, method, url):
        client = who.page if route.kind == "page" else who.api
        if route.key in SIGNS_OUT:
            client = who.fresh_page()
        counts[f"{route.kind} {method}"] += 1
        t0 = time.process_time()
        if method == "GET":
            response = client.get(url)
        elif route.kind == "page":
            response = client.post(url, {})
        else:
            response = client.generic(method, url, "{}", content_type="application/json")
        spent[route.key] += time.process_time() - t0
        if not allowed(who.role, route):
            refusals[who.label] += 1
        return response

    def check_body(label, who, response):
        body = _body(response)
        if body is not None:
            leaked = [m for m in outside_markers(who, marked) if m in body]
            if leaked:
                failures.append(f"{label}: shows records outside its reach: {leaked[:3]}")
        return body

    # Reads: inside, outside and missing for those the route allows; refused callers once.
    for index, route in enumerate(routes):
        if "GET" not in route.methods:
            continue
        callers = _callers(people, route, index)
        allowed_callers = [w for w in callers if allowed(w.role, route)]
        # One caller the route allows (in turn) compares the record outside with a missing one; the others
        # check that the one outside is refused.
        comparer = allowed_callers[index % len(allowed_callers)] if allowed_callers else None
        for who in callers:
            may = allowed(who.role, route)
            answers, bodies = {}, {}
            for where in ("in", "far", "missing"):
                values = None if where != "in" and not may else fill(route, marked, where)
                if where == "missing" and who is not comparer and answers.get("far") in (403, 404, 405):
                    values = None  # refused already; one caller in turn still compares it with a missing one
                if values is None:
                    continue
                url = url_for(route, values)
                response = request(who, route, "GET", url)
                answers[where] = response.status_code
                if where in ("far", "missing") and response.status_code == 200:
                    bodies[where] = response.content
                label = f"GET {url} ({route.key}) as {who.label}"
                if response.status_code >= 500:
                    failures.append(f"{label}: server error {response.status_code}")
                    continue
                if who.role is None and not route.public:
                    # 405: a view that takes only POST says so before it asks who is calling.
                    if not (_to_sign_in(response) or response.status_code in (401, 403, 404, 405)):
                        failures.append(f"{label}: anonymous got {response.status_code}")
                elif not may:
                    refused = REFUSED_PAGE if route.kind == "page" else REFUSED_API
                    if response.status_code not in refused or (
                        response.status_code == 302 and not _to_sign_in(response)
                    ):
                        failures.append(f"{label}: no permission {route.permission!r}, got {response.status_code}")
                body = check_body(label, who, response)
                if body is not None and where == "in" and may:
                    seen_inside.update(m for m in marked["in"].markers if m in body)
            # A record outside is refused (405: the view takes only POST), or answers exactly as a missing one does
            # (a list scoped to the caller: empty for both).
            if answers.get("far") == 200 and bodies.get("far") != bodies.get("missing"):
                failures.append(f"GET {route.key} as {who.label}: a record outside answers unlike a missing one")
            elif "missing" in answers and answers["far"] != answers["missing"]:
                failures.append(
                    f"GET {route.key} as {who.label}: a record outside answers {answers['far']}, "
                    f"a missing one {answers.get('missing')}"
                )

    # Writes: only by those who must be refused (no permission, or a record outside or missing), each route's
    # attempts between two fingerprints of every table.
    watch = Watch()
    for index, route in enumerate(routes):
        methods = ["POST"] if route.kind == "page" else [m for m in route.methods if m != "GET"]
        if not methods or route.public:
            continue
        attempted = []
        callers = _callers(people, route, index + 1)
        allowed_callers = [w for w in callers if allowed(w.role, route)]
        if len(allowed_callers) > REFUSED_SAMPLE and not any(p in OBJECT_PARAMS for p in route.params):
            # A missing record is missing for everyone: a few of those the route allows try it, in turn.
            start = index * REFUSED_SAMPLE % len(allowed_callers)
            keep = (allowed_callers + allowed_callers)[start : start + REFUSED_SAMPLE]
            callers = [w for w in callers if w in keep or not allowed(w.role, route)]
        for who in callers:
            may = allowed(who.role, route)
            for where in ("in", "far"):
                values = fill(route, marked, where)
                if values is None or (may and not _refused_by_record(route, where)):
                    continue
                url = url_for(route, values)
                for method in methods:
                    response = request(who, route, method, url)
                    label = f"{method} {url} ({route.key}) as {who.label}"
                    attempted.append(label)
                    code = response.status_code
                    if code >= 500:
                        failures.append(f"{label}: server error {code}")
                    elif not may and code < 400 and not _to_sign_in(response):
                        # Without the permission: refused before any form is read. With it, a record outside or
                        # missing may be refused by the form's own validation first (the empty body); either
                        # way nothing may change, which the fingerprints check.
                        failures.append(f"{label}: a write without permission {route.permission!r} answered {code}")
                    check_body(label, who, response)
                if not may:
                    break  # refused for the permission: the record does not matter
        if attempted:
            moved = watch.after(route.key)
            if moved:
                failures.append(moved)
    moved = watch.close()
    if moved:
        failures.append(moved)

    print(
        f"\naccess: {sum(r.kind == 'page' for r in routes)} page patterns, {sum(r.kind == 'api' for r in routes)} "
        f"API operations, {len(people)} callers, {sum(counts.values())} requests ({dict(counts)}) in "
        f"{time.process_time() - started:.1f} s of CPU ({sum(spent.values()):.1f} s in requests, {watch.fingerprints} "
        f"fingerprints); refusals per caller: {dict(refusals)}; slowest: "
        f"{[(k, round(v, 2)) for k, v in spent.most_common(8)]}"
    )
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures[:200])
    # Were the marked strings not rendered at all, "no marker outside" would prove nothing.
    inside = marked["in"].markers
    assert {inside[0], inside[1]} & seen_inside, seen_inside  # the name, in full or masked
    assert {inside[3], inside[6]} <= seen_inside, seen_inside  # the masked number, the address
    assert min(refusals.values()) >= 20 and len(refusals) == len(people), refusals  # everyone was refused, often


def test_an_unknown_parameter_permission_or_public_page_is_named():
    from .access_support import Route

    routes = [
        Route("x:new", "page", ("GET",), ["gadget_id"], "person.view", pattern_name="x:new"),
        Route("x:open", "page", ("GET",), [], "public", pattern_name="x:open"),
        Route("GET /api/x", "api", ("GET",), [], "no.such.permission", template="/api/x"),
        Route("GET /api/y", "api", ("GET",), [], None, template="/api/y"),
    ]
    problems = "\n".join(unclassified(routes))
    assert "'gadget_id' unknown; add it to OBJECT_PARAMS" in problems
    assert "x:open: public but not in PUBLIC_PAGES" in problems
    assert "'no.such.permission' is not in accounts.roles.PERMISSIONS" in problems
    assert "GET /api/y: declares no permission" in problems


@pytest.mark.django_db
def test_the_watch_sees_an_update_an_insert_and_a_delete(person_in):
    from liuguan.registry.models import Person, Stay

    watch = Watch(every=100)
    assert watch.after("quiet") is None and watch.close() is None
    Person.objects.filter(pk=person_in.pk).update(name_pinyin="changed")  # same counts: found at the window's end
    assert watch.after("update") is None
    assert "registry_person" in watch.close()
    Stay.objects.filter(person=person_in).delete()
    assert "registry_stay" in watch.after("delete")  # a count moved: found at once
