from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy


class SecurityEvent(models.Model):
    """A sign-in, sign-out or failed sign-in: who, when and from where."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", pgettext_lazy("security event", "Signed in")
        SIGNED_OUT = "signed_out", pgettext_lazy("security event", "Signed out")
        SIGN_IN_FAILED = "sign_in_failed", pgettext_lazy("security event", "Sign-in failed")

    kind = models.CharField(
        pgettext_lazy("security event", "kind"), max_length=20, choices=Kind.choices
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("user"),
    )
    # As typed, for failed sign-ins (the account may not exist).
    username = models.CharField(gettext_lazy("username"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(gettext_lazy("IP address"), null=True, blank=True)
    # Translators: the browser's User-Agent header, as sent.
    user_agent = models.CharField(gettext_lazy("user agent"), max_length=300, blank=True)
    created_at = models.DateTimeField(
        gettext_lazy("created at"), default=timezone.now, db_index=True
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = gettext_lazy("security event")
        verbose_name_plural = gettext_lazy("security events")

    def __str__(self):
        # Translators: e.g. "Sign-in failed: mina from 192.0.2.1".
        return _("%(kind)s: %(username)s from %(ip_address)s") % {
            "kind": self.get_kind_display(),
            "username": self.username,
            "ip_address": self.ip_address,
        }
