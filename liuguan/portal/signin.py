"""Sign-in to the portal with a mobile number and a one-time code.

A code lives five minutes and allows five attempts; a phone may ask once a minute and five times an hour, an
address twenty times an hour. Only the code's keyed hash is stored. Staff accounts never sign in this way.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import DomainError, FieldProblem, InvalidInput
from liuguan.core.identity import mask_phone

from .models import OneTimeCode
from .sms import SmsError, sender

PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")  # [0-9], not \d: \d takes the digits of every script

DEFAULTS = {
    "code_ttl_seconds": 300,
    "max_attempts": 5,
    "phone_interval_seconds": 60,
    "phone_per_hour": 5,
    "address_per_hour": 20,
    "session_idle_seconds": 2 * 3600,
}


def portal_setting(name: str):
    return (getattr(settings, "LIUGUAN_PORTAL", {}) or {}).get(name, DEFAULTS[name])


class CodeRateLimited(DomainError):
    """Too many codes asked for this phone or from this address; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(_("Too many codes requested. Try again in %(seconds)d seconds.") % {"seconds": retry_after})
        self.retry_after = max(1, int(retry_after))


def _hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"portal-otp:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _phone_checked(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "")
    if not PHONE_RE.match(phone):
        raise InvalidInput([FieldProblem("phone", "phone.format", _("Enter an 11-digit mobile number."))])
    return phone


def _rate_check(*, phone: str, client_address: str, now) -> None:
    interval = portal_setting("phone_interval_seconds")
    hour_ago = now - timedelta(hours=1)
    recent = OneTimeCode.objects.filter(phone=phone, created_at__gt=hour_ago).order_by("-created_at")
    last = recent.first()
    if last is not None and (now - last.created_at).total_seconds() < interval:
        raise CodeRateLimited(interval - (now - last.created_at).total_seconds())
    if recent.count() >= portal_setting("phone_per_hour"):
        oldest = recent.order_by("created_at").first()
        raise CodeRateLimited((oldest.created_at + timedelta(hours=1) - now).total_seconds())
    if client_address:
        from_address = OneTimeCode.objects.filter(client_address=client_address, created_at__gt=hour_ago)
        if from_address.count() >= portal_setting("address_per_hour"):
            oldest = from_address.order_by("created_at").first()
            raise CodeRateLimited((oldest.created_at + timedelta(hours=1) - now).total_seconds())


def otp_request(*, phone: str, client_address: str = "", source: str = "web") -> OneTimeCode:
    """Send a six-digit code to the phone, within the rate limits; the code itself is never stored."""
    phone = _phone_checked(phone)
    now = timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        # Serialise requests for one phone so two at once cannot both pass the limit.
        list(OneTimeCode.objects.select_for_update().filter(phone=phone, used_at__isnull=True))
        _rate_check(phone=phone, client_address=client_address, now=now)
        row = OneTimeCode.objects.create(
            phone=phone,
            code_hash=_hash(phone, code),
            client_address=client_address[:45],
            created_at=now,
            expires_at=now + timedelta(seconds=portal_setting("code_ttl_seconds")),
        )
        audit_record(
            actor=SYSTEM,
            action="portal.otp_request",
            obj=row,
            changes={"phone": mask_phone(phone), "address": client_address},
            source=source,
        )
    message = _("Your Liuguan sign-in code is %(code)s. It is valid for 5 minutes. Do not tell anyone.") % {
        "code": code
    }
    try:
        sender().send(phone=phone, message=message)
    except SmsError as exc:
        raise InvalidInput([FieldProblem("phone", "sms.failed", _("The code could not be sent: %s") % exc)]) from exc
    return row


def _wrong_code() -> InvalidInput:
    return InvalidInput([FieldProblem("code", "code.invalid", _("The code is wrong or has expired."))])


def otp_verify(*, phone: str, code: str, source: str = "web"):
    """Check the code; on success the migrant's account (created on first sign-in) is returned."""
    phone = _phone_checked(phone)
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.attempts >= portal_setting("max_attempts"):
            raise _wrong_code()
        if not hmac.compare_digest(row.code_hash, _hash(phone, code)):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            audit_record(actor=SYSTEM, action="portal.otp_failed", obj=row, changes={"attempts": row.attempts})
            ok = False
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            account = migrant_account_for_phone(phone=phone, source=source)
            audit_record(actor=account, action="portal.sign_in", obj=row, changes={"phone": mask_phone(phone)})
            ok = True
    if not ok:
        # Outside the block so that the counted attempt is kept.
        raise _wrong_code()
    return account


def migrant_account_for_phone(*, phone: str, source: str = "web"):
    """The migrant account of a phone, created on first sign-in and bound to its Person when exactly one matches."""
    from liuguan.registry.models import Person

    User = get_user_model()
    username = f"m{phone}"
    account = User.objects.filter(username=username).first()
    if account is not None and account.role != Role.MIGRANT:
        # A staff account can never be reached through a phone code.
        raise _wrong_code()
    if account is not None and not account.is_active:
        raise _wrong_code()
    if account is None:
        account = User(username=username, role=Role.MIGRANT, phone=phone)
        account.set_unusable_password()
        account.save()
        audit_record(actor=SYSTEM, action="portal.account_create", obj=account, changes={"phone": mask_phone(phone)})
    if account.person_id is None:
        matches = list(Person.objects.filter(phone=phone).values_list("pk", flat=True)[:2])
        if len(matches) == 1:
            account.person_id = matches[0]
            account.save(update_fields=["person"])
            audit_record(actor=SYSTEM, action="portal.account_bind", obj=account, changes={"person": matches[0]})
    return account
