"""Sign in and out (throttled by django-axes), and API tokens for one's own machines."""

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import InvalidInput
from liuguan.core.permissions import page, public

from . import services, twofactor
from .selectors import token_list_for

login = public(auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True))
logout = public(require_POST(auth_views.LogoutView.as_view()))


@page("token.manage")
def tokens(request):
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            services.token_revoke(actor=request.user, token_id=request.POST["revoke"])
            messages.success(request, _("The token was revoked."))
            return redirect("accounts:tokens")
        name = (request.POST.get("name") or "").strip() or _("unnamed")
        _token, new_key = services.token_issue(actor=request.user, name=name[:80])
    return render(request, "accounts/tokens.html", {"tokens": token_list_for(user=request.user), "new_key": new_key})


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@page("home.view")
def otp_verify(request):
    """The second step of an officer's sign-in: the code their authenticator shows."""
    if twofactor.second_factor_needed(request.user) != "verify":
        return redirect(_next(request))
    error = None
    if request.method == "POST":
        try:
            twofactor.totp_verify(actor=request.user, request=request, code=request.POST.get("code", ""))
            return redirect(_next(request))
        except InvalidInput as exc:
            error = "; ".join(str(p.message) for p in exc.problems)
    return render(request, "accounts/otp_verify.html", {"error": error, "next": _next(request)})


@page("home.view")
def otp_enrol(request):
    """Enrol an authenticator app: scan the code (or type the key), then confirm with the code it shows."""
    error = None
    if request.method == "POST" and "code" in request.POST:
        try:
            twofactor.totp_enrol_confirm(actor=request.user, request=request, code=request.POST.get("code", ""))
            messages.success(request, _("The authenticator is enrolled; it will be asked for at every sign-in."))
            return redirect(_next(request))
        except InvalidInput as exc:
            error = "; ".join(str(p.message) for p in exc.problems)
    device = twofactor.totp_enrol_start(actor=request.user)
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4)
    secret = twofactor.base32_secret(device)
    return render(
        request,
        "accounts/otp_enrol.html",
        {"qr": qr, "secret": secret, "error": error, "next": _next(request)},
    )
