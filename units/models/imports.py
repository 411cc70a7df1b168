"""Content and enrolments loaded by admins in the browser: each upload is staged,
validated and previewed, and applied only when confirmed. The applied ones are
the import log (who, when, which files, what changed)."""

import hashlib

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy


class ContentImportManager(models.Manager):
    def stage(self, user, kind, files, *, origin=""):
        """Keep uploaded files (name, text) for preview; nothing is loaded yet."""
        return self.create(
            created_by=user,
            kind=kind,
            origin=origin,
            files=[
                {
                    "name": name,
                    "sha256": hashlib.sha256(text.encode()).hexdigest(),
                    "size": len(text.encode()),
                    "text": text,
                }
                for name, text in files
            ],
        )


class ContentImport(models.Model):
    class Kind(models.TextChoices):
        CONTENT = "content", pgettext_lazy("import kind", "Units and content")
        ENROLMENTS = "enrolments", pgettext_lazy("import kind", "Enrolments")

    class State(models.TextChoices):
        STAGED = "staged", pgettext_lazy("import state", "Waiting for confirmation")
        APPLIED = "applied", pgettext_lazy("import state", "Loaded")
        DISCARDED = "discarded", pgettext_lazy("import state", "Discarded")

    kind = models.CharField(gettext_lazy("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(
        gettext_lazy("state"), max_length=20, choices=State.choices, default=State.STAGED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=gettext_lazy("uploaded by"),
    )
    created_at = models.DateTimeField(gettext_lazy("uploaded at"), default=timezone.now)
    applied_at = models.DateTimeField(gettext_lazy("loaded at"), null=True, blank=True)
    # Where the files came from when they are not uploaded fixtures: e.g. a
    # document turned into a fixture ("001_….txt, F3, ko").
    origin = models.CharField(gettext_lazy("origin"), max_length=300, blank=True)
    # [{"name", "sha256", "size", "text"}]: the files as uploaded (decoded text).
    files = models.JSONField(gettext_lazy("files"), default=list)
    # What loading did, per model: {"units.unit": {"created": 1, "changed": 0, "unchanged": 2}}.
    summary = models.JSONField(gettext_lazy("summary"), default=dict, blank=True)

    objects = ContentImportManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = gettext_lazy("import")
        verbose_name_plural = gettext_lazy("imports")

    def __str__(self):
        names = ", ".join(f["name"] for f in self.files)
        return f"{self.get_kind_display()}: {names}"

    def preview_url(self):
        if self.kind == self.Kind.ENROLMENTS:
            return reverse("admin:units_enrolment_import_preview", args=[self.pk])
        return reverse("admin:units_contentimport_preview", args=[self.pk])

    @property
    def file_names(self) -> list[str]:
        return [f["name"] for f in self.files]
