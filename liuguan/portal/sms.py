"""Text-message senders for sign-in codes, chosen by settings.LIUGUAN_SMS["backend"].

- LogSender (the demo): appends the message to VAR_DIR/sms.log (the log only says that it did, without the code);
- HttpGatewaySender (production): POSTs JSON {"phone", "message", "sign"} to the gateway URL with a bearer token.
"""

import json
import logging
import urllib.request

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from liuguan.core.identity import mask_phone

logger = logging.getLogger("liuguan.portal.sms")


class SmsError(Exception):
    """The gateway refused or could not be reached."""


def sms_settings() -> dict:
    return dict(getattr(settings, "LIUGUAN_SMS", {}) or {})


class LogSender:
    """The demo sender: the message goes to VAR_DIR/sms.log, where a tester can read the code."""

    def __init__(self, **options):
        self.path = options.get("log_file") or (settings.VAR_DIR / "sms.log")

    def send(self, *, phone: str, message: str) -> None:
        # The message holds the sign-in code: it goes to sms.log only (the demo's phone), never to the server log.
        logger.warning("SMS to %s written to %s", mask_phone(phone), self.path)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(f"{timezone.now().isoformat()}\t{phone}\t{message}\n")


class HttpGatewaySender:
    """A configured SMS gateway's HTTP API: one JSON POST per message, authorised with a bearer token."""

    def __init__(self, **options):
        self.url = options.get("url", "")
        self.token = options.get("token", "")
        self.sign = options.get("sign", "")
        self.timeout = float(options.get("timeout", 5))

    def send(self, *, phone: str, message: str) -> None:
        if not self.url:
            raise SmsError("LIUGUAN_SMS has no gateway url")
        body = json.dumps({"phone": phone, "message": message, "sign": self.sign}, ensure_ascii=False).encode()
        if not self.url.startswith(("http://", "https://")):
            raise SmsError("the gateway url must be http(s)")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise SmsError(f"gateway answered {response.status}")
        except OSError as exc:  # URLError, HTTPError and timeouts are OSErrors
            raise SmsError(f"gateway unreachable: {exc}") from exc


def sender():
    """The configured sender instance."""
    options = sms_settings()
    backend = options.pop("backend", "liuguan.portal.sms.LogSender")
    return import_string(backend)(**options)
