"""Hold a signed-in session at the second-factor pages until the officer has given a code (see twofactor.py)."""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .twofactor import second_factor_needed

# Pages a held session may still open: the second factor itself, leaving, and the language switch.
ALLOWED_NAMES = {"accounts:otp_verify", "accounts:otp_enrol", "accounts:logout", "accounts:login", "set_language"}


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ALLOWED_NAMES:
            return None
        needed = second_factor_needed(user)
        if needed is None:
            return None
        if match is not None and "api" in match.namespaces:
            if request.headers.get("Authorization"):
                return None  # a machine token: the API's own authentication decides
            return JsonResponse({"detail": "Second factor required: sign in again in the browser."}, status=401)
        target = reverse("accounts:otp_verify" if needed == "verify" else "accounts:otp_enrol")
        return redirect(f"{target}?next={request.get_full_path()}")
