"""Home, the six systems' landing pages, health and language switching."""

import time

from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .permissions import page, public
from .selectors import home_summary
from .systems import SYSTEM_PAGES


@public
def healthz(request):
    """Liveness and database state as JSON; 503 when the database does not answer."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = {"ok": True, "vendor": connection.vendor, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
        status = 200
    except Exception as exc:  # the point of a health check is to report any failure, not raise it
        db = {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}
        status = 503
    return JsonResponse({"status": "ok" if db["ok"] else "degraded", "database": db}, status=status)


set_language = public(require_POST(django_set_language))


@page("home.view")
def home(request):
    if request.user.is_duty_holder:
        return redirect("compliance:duties")  # landlords, employers and hotels work on their own page
    if request.user.role == "migrant":
        return redirect("portal:home")  # a migrant's own page is the portal
    return render(request, "core/home.html", {"summary": home_summary(user=request.user)})


@page("home.view")
def system(request, key):
    info = SYSTEM_PAGES.get(key)
    if info is None:
        raise Http404
    return render(request, "core/system.html", {"key": key, "info": info})


@page("audit.view")
def audit(request):
    from .selectors import audit_event_list

    events = audit_event_list(
        user=request.user,
        object_type=request.GET.get("object_type", ""),
        object_id=request.GET.get("object_id", ""),
        action=request.GET.get("action", ""),
        limit=200,
    )
    return render(request, "core/audit.html", {"events": events})
