"""Officers' second factor: a TOTP authenticator (RFC 6238, 6 digits, 30 s) through django-otp.

Who must give one: the roles in settings.LIUGUAN_2FA_ROLES once they have enrolled an authenticator, and every
one of them when settings.LIUGUAN_REQUIRE_2FA is on (the production profile's default). Until the code is
given, a signed-in session reaches only the second-factor pages, the logout and the language switch
(`SecondFactorMiddleware`); API calls made with that session are refused. Machine tokens are not sessions
and are unaffected. Wrong codes are throttled by django-otp (the wait doubles after each failure) and audited.
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput

DEVICE_NAME = "authenticator"


def second_factor_roles() -> set[str]:
    return set(getattr(settings, "LIUGUAN_2FA_ROLES", ()))


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def second_factor_needed(user) -> str | None:
    """None when the session may go on; "verify" or "enrol" when it must stop at that page first."""
    if not getattr(user, "is_authenticated", False) or user.role not in second_factor_roles():
        return None
    if getattr(user, "is_verified", lambda: False)():
        return None
    if confirmed_device(user) is not None:
        return "verify"
    if getattr(settings, "LIUGUAN_REQUIRE_2FA", False):
        return "enrol"
    return None


@transaction.atomic
def totp_enrol_start(*, actor) -> TOTPDevice:
    """An unconfirmed authenticator for the actor (a new secret each time until one is confirmed)."""
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name=DEVICE_NAME, confirmed=False)


@transaction.atomic
def totp_enrol_confirm(*, actor, request, code: str) -> TOTPDevice:
    """Confirm the new authenticator with a code it shows; the session counts as verified from now on."""
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).order_by("-id").first()
    if device is None or not _verify(device, code):
        raise _code_problem("mismatch", _("The code does not match the authenticator; check its clock and try again."))
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=actor, action="accounts.2fa_enrolled", obj=actor, division_code="")
    otp_login(request, device)
    return device


def totp_verify(*, actor, request, code: str) -> None:
    """Check a code from the enrolled authenticator; on success the session is verified. Failures are audited."""
    device = confirmed_device(actor)
    if device is None:
        raise _code_problem("no_device", _("No authenticator is enrolled for this account."))
    allowed, _details = device.verify_is_allowed()
    ok = allowed and _verify(device, code)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="accounts.2fa_verified" if ok else "accounts.2fa_refused",
            obj=actor,
            division_code="",
            changes={} if ok else {"throttled": not allowed},
        )
    if not ok:
        rule = "wrong_code" if allowed else "throttled"
        raise _code_problem(rule, _("Wrong or expired code. Wait for the next one and try again."))
    otp_login(request, device)


@transaction.atomic
def totp_reset(*, actor, user) -> int:
    """Remove a user's authenticators (lost phone); they enrol again at their next sign-in. Returns how many."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=actor, action="accounts.2fa_reset", obj=user, division_code="", changes={"devices": removed})
    return removed


def _code_problem(rule: str, message: str) -> InvalidInput:
    return InvalidInput([FieldProblem("code", rule, message)])


def base32_secret(device: TOTPDevice) -> str:
    """The key as an authenticator app asks for it when typed in by hand, in groups of four."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _verify(device: TOTPDevice, code: str) -> bool:
    code = "".join(ch for ch in str(code) if ch.isdigit())
    return len(code) == device.digits and device.verify_token(code)
