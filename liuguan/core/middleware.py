"""Refuse every view that has not declared a permission (CommCare's location-safe rule, made general)."""

from django.http import HttpResponseForbidden

from .permissions import declared_permission

# The API checks its own operations when it is built (see liuguan/api.py); static files come from
# WhiteNoise before this middleware runs.
EXEMPT_NAMESPACES = {"api"}


class DeclaredPermissionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if match is not None and set(match.namespaces) & EXEMPT_NAMESPACES:
            return None
        if declared_permission(view_func) is None:
            return HttpResponseForbidden("This page declares no permission and is refused.")
        return None
