"""The server error handler (urls.handler500): while the database cannot be reached (restarted, failed over, the
network cut) a request answers 503 Service Unavailable with Retry-After instead of a server error, JSON under
/api/ and a short page elsewhere. Django calls the handler inside the exception's context, wherever the
exception was raised (a view, the session or user loaded by a middleware, the API), and logs the traceback; the
answer carries none. Any other exception gets Django's own server error page.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> bool:
    """The database refused or dropped the connection, or gave up on a statement (both mean: try again)."""
    return isinstance(exc, OperationalError | InterfaceError)


def server_error(request, *args, **kwargs):
    if not database_unavailable(sys.exc_info()[1]):
        return django_server_error(request, *args, **kwargs)
    message = _("The database cannot be reached just now; please try again in a moment.")
    if request.path.startswith("/api/") or request.path == "/healthz" or "json" in request.headers.get("Accept", ""):
        # /healthz's own answer when it cannot reach the database, for a probe that came with a session cookie
        body = {"detail": message, "code": "database_unavailable", "status": "degraded", "database": {"ok": False}}
        response = JsonResponse(body, status=503)
    else:
        title = _("The service is briefly unavailable")
        # No template: rendering one could reach for the database again (context processors, the user).
        page = (
            f'<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p></body></html>"
        )
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
