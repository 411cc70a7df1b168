"""What the app remembers about a person beyond Django's user."""

from django.conf import settings
from django.db import models

from .content import language_field


class Profile(models.Model):
    """A person's choices, which follow them to any device they sign in on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    answer_language = language_field(
        blank=True, verbose_name="model-answer language", help_text="Shown first beside criteria."
    )

    def __str__(self):
        return f"Profile of {self.user}"
