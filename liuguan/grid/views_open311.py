"""Open311 GeoReport v2 at /open311/v2/: services, service definitions, requests (post, list, one). JSON only.

Errors follow the spec's shape, a list of {"code", "description"}: 400 for a bad request (missing or invalid
service_code, location, dates over 90 days), 403 for a missing or wrong api_key on POST, 404 for an unknown
service, request or format (XML is not served: `.xml` answers 404 in JSON). Reading is open to anyone, as in
the spec; only public categories are services, and reporters' contact details are never shown.
"""

import datetime as dt

from django.http import JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from liuguan.core.errors import InvalidInput
from liuguan.core.permissions import public

from . import selectors
from .models import CLOSED_STATES, EventCategory
from .services.open311 import as_request, open311_client_by_key, request_post

MAX_DAYS = 90


def _error(status: int, description: str) -> JsonResponse:
    return JsonResponse([{"code": status, "description": description}], status=status, safe=False)


def _json(body, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _format_ok(fmt: str) -> bool:
    return fmt == "json"


def _service(category: EventCategory) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": category.group,
        "group": category.group,
    }


@public
@require_http_methods(["GET"])
def services(request, fmt: str):
    """GET services.json: the public categories, each a realtime service without extra attributes."""
    if not _format_ok(fmt):
        return _error(404, "Only JSON is served: use services.json")
    return _json([_service(c) for c in selectors.category_list(public_only=True)])


@public
@require_http_methods(["GET"])
def service_definition(request, code: str, fmt: str):
    """GET services/<code>.json: the definition; no category asks for attributes, so the list is empty."""
    if not _format_ok(fmt):
        return _error(404, "Only JSON is served: use services/<service_code>.json")
    category = selectors.public_service(code)
    if category is None:
        return _error(404, f"No service with service_code {code}")
    return _json({"service_code": category.code, "attributes": []})


def _parse_date(value: str, name: str):
    if not value:
        return None
    try:
        parsed = parse_datetime(value.replace(" ", "+"))
    except ValueError:  # well formed but impossible, such as 2026-02-30T00:00:00Z
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput([])  # reported by the caller with the parameter's name
    return parsed


@csrf_exempt
@public
@require_http_methods(["GET", "POST"])
def requests_(request, fmt: str):
    """GET requests.json lists service requests; POST requests.json (form-encoded, api_key) creates one."""
    if not _format_ok(fmt):
        return _error(404, "Only JSON is served: use requests.json")
    if request.method == "POST":
        return _post(request)
    params = request.GET
    ids = [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
    qs = selectors.public_requests()
    if ids:
        # The spec: service_request_id overrides every other parameter.
        qs = qs.filter(pk__in=[int(i) for i in ids if i.isdecimal()])
        return _json([as_request(e) for e in qs.order_by("-created_at", "-id")])
    try:
        start = _parse_date(params.get("start_date", ""), "start_date")
        end = _parse_date(params.get("end_date", ""), "end_date")
    except InvalidInput:
        return _error(400, "start_date and end_date must be W3C datetimes with an offset, e.g. 2026-09-30T00:00:00Z")
    if start and end and end < start:
        return _error(400, "end_date is before start_date")
    if start and end and end - start > dt.timedelta(days=MAX_DAYS):
        return _error(400, f"start_date and end_date may not span more than {MAX_DAYS} days")
    try:
        if start and not end:
            end = start + dt.timedelta(days=MAX_DAYS)
        if end and not start:
            start = end - dt.timedelta(days=MAX_DAYS)
    except OverflowError:  # 90 days past the end of the calendar (9999-12-31) or before its start
        return _error(400, "start_date and end_date must lie between the years 1 and 9999")
    if start is None:
        from django.utils import timezone

        end = timezone.now()
        start = end - dt.timedelta(days=MAX_DAYS)
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
    if codes:
        qs = qs.filter(category_id__in=codes)
    statuses = {s.strip() for s in params.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        return _error(400, "status is open or closed")
    if statuses == {"open"}:
        qs = qs.exclude(state__in=CLOSED_STATES)
    elif statuses == {"closed"}:
        qs = qs.filter(state__in=CLOSED_STATES)
    return _json([as_request(e) for e in qs.order_by("-created_at", "-id")[:1000]])


def _post(request):
    client = open311_client_by_key(request.POST.get("api_key", ""))
    if client is None:
        return _error(403, "api_key is missing or not valid")
    try:
        event = request_post(client=client, data=request.POST)
    except InvalidInput as exc:
        return _error(400, "; ".join(f"{p.field}: {p.message}" for p in exc.problems))
    return _json([{"service_request_id": str(event.pk), "service_notice": event.number, "account_id": None}])


@public
@require_http_methods(["GET"])
def request_one(request, request_id: str, fmt: str):
    """GET requests/<id>.json: one service request, as a list of one (the spec's shape)."""
    if not _format_ok(fmt):
        return _error(404, "Only JSON is served: use requests/<service_request_id>.json")
    event = selectors.public_requests().filter(pk=int(request_id)).first() if request_id.isdecimal() else None
    if event is None:
        return _error(404, f"No service request {request_id}")
    return _json([as_request(event)])
