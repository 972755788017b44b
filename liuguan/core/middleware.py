"""The project's middleware: views must declare a permission (CommCare's location-safe rule, made general), the
security headers every response carries, and input no view can use refused at the door.
"""

from django.http import HttpResponseForbidden, JsonResponse

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


# What a page may load and run: only this site's own files. No inline script runs (the site's behaviour is in
# static/js/liuguan.js); 'unsafe-inline' stays for styles only, for style attributes in templates. Everything else a
# browser could be told to fetch or run from elsewhere (scripts, frames, plugins, form targets, a <base> elsewhere)
# is refused.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# No page asks for the camera, the microphone, the position or payments.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    SecurityMiddleware and XFrameOptionsMiddleware set nosniff, Referrer-Policy, Cross-Origin-Opener-Policy and
    X-Frame-Options.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RefuseNulMiddleware:
    """A NUL character in the path or a query parameter answers 400 (the API's error shape).

    PostgreSQL's text holds no NUL, and a lookup with one fails in the database driver, a server error, before
    any view could say what is wrong. Form fields refuse NUL themselves (Django's CharField); JSON bodies are
    checked by the API's parser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return JsonResponse({"detail": "NUL characters are not allowed in the address"}, status=400)
        return self.get_response(request)
