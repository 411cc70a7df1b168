"""Sign-in, sign-out and failed sign-ins, recorded with who, when and from where.

Django announces these with its auth signals; the receivers are connected in
UnitsConfig.ready(), and they only record: they change nothing else.
"""

import logging
import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from .models import SecurityEvent

logger = logging.getLogger("nvqbank.security")


def client_ip(request) -> str | None:
    """The client's address as django-axes sees it (PROXY_COUNT proxies trusted)."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def _record(kind, request, *, user=None, username=""):
    agent = request.headers.get("User-Agent", "")[:300] if request is not None else ""
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or getattr(user, "username", ""))[:150],
        ip_address=client_ip(request),
        user_agent=agent,
    )
    logger.info("%s username=%s ip=%s", kind, event.username, event.ip_address)


def on_signed_in(sender, request, user, **kwargs):
    _record(SecurityEvent.Kind.SIGNED_IN, request, user=user)
    if request is not None and hasattr(request, "session"):
        # The session is new: start its idle clock now, without another write.
        request.session["_touched"] = int(time.time())


def on_signed_out(sender, request, user, **kwargs):
    if user is not None:
        _record(SecurityEvent.Kind.SIGNED_OUT, request, user=user)


def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    _record(SecurityEvent.Kind.SIGN_IN_FAILED, request, username=credentials.get("username", ""))


def connect():
    user_logged_in.connect(on_signed_in, dispatch_uid="nvqbank.signed_in")
    user_logged_out.connect(on_signed_out, dispatch_uid="nvqbank.signed_out")
    user_login_failed.connect(on_sign_in_failed, dispatch_uid="nvqbank.sign_in_failed")
