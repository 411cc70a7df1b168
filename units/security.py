"""Sign-in, sign-out and failed sign-ins, recorded with who, when and from where.

Django announces these with its auth signals; the receivers are connected in
UnitsConfig.ready(), and they only record: they change nothing else.
"""

import ipaddress
import logging
import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from .models import SecurityEvent

logger = logging.getLogger("nvqbank.security")


def client_ip(request) -> str | None:
    """The client's address: the one function the audit, the security events and
    django-axes (AXES_CLIENT_IP_CALLABLE) all use.

    With PROXY_COUNT = 0 (no proxy) it is REMOTE_ADDR and X-Forwarded-For is ignored:
    anyone can send that header. With PROXY_COUNT = N, each of our N proxies appended
    the address it was reached from, so the client is the N-th address from the right;
    whatever a client put in front of it is ignored. A header shorter than that did
    not come through our proxies, and REMOTE_ADDR is used.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


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
