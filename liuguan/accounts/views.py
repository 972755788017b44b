"""Sign in and out (throttled by django-axes), and API tokens for one's own machines."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.permissions import page, public

from . import services
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
