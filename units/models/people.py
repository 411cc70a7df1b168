"""What the app remembers about a person beyond Django's user."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .content import language_field


class Profile(models.Model):
    """A person's choices, which follow them to any device they sign in on.

    The two languages are separate choices: a Korean candidate may read the
    interface in English and the model answers in Korean, or both in Korean.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    interface_language = models.CharField(
        _("interface language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of menus, buttons and emails. Empty: the browser's language."),
    )
    answer_language = language_field(
        blank=True,
        verbose_name=_("model-answer language"),
        help_text=_("Shown first beside criteria."),
    )
    # Moved on whenever the person's groups or permissions (or their groups'
    # permissions) change, so their roles, cached under this number, are read
    # afresh on the very next request (units.roles.connect, units.access).
    roles_version = models.PositiveIntegerField(default=0, editable=False)
    # How many internal verifiers' verdicts on the person's decisions they have not
    # yet read: the home page reads the verdicts only when there are some
    # (units.verification keeps it, in the same transactions as the verdicts).
    unread_verifications = models.PositiveIntegerField(default=0, editable=False)
    # Data protection (units.retention): the retention period runs from deactivation;
    # once it is over the person is anonymised, their records kept and readable.
    deactivated_at = models.DateTimeField(
        _("deactivated at"), null=True, blank=True, editable=False
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self):
        return _("Profile of %(user)s") % {"user": self.user}
