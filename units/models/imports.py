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
        """Keep uploaded files (name, text) or (name, text, bytes as uploaded) for
        preview; nothing is loaded yet. The same files staged again by the same person
        (a form posted twice, a page reloaded) give the import already waiting, not
        another one."""
        entries = [file_entry(*file) for file in files]
        listed = [{key: f[key] for key in ("name", "sha256", "size")} for f in entries]
        waiting = self.filter(created_by=user, kind=kind, state=ContentImport.State.STAGED)
        # Compared here rather than by a JSON lookup, which databases compare differently.
        for staged in waiting.defer("files").order_by("-created_at"):
            if staged.file_list == listed:
                return staged
        return self.create(created_by=user, kind=kind, origin=origin, files=entries)


def file_entry(name: str, text: str, data: bytes | None = None) -> dict:
    """A file as kept: its text, and the hash and size of its bytes as uploaded (data,
    when given), so that the log's SHA-256 matches `sha256sum` of the file (a BOM and all)."""
    data = text.encode() if data is None else data
    return {
        "name": name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "text": text,
    }


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
    # [{"name", "sha256", "size"}]: the files without their text, filled on save, so
    # that the import log's list need not read every file's text.
    file_list = models.JSONField(
        gettext_lazy("file list"), default=list, blank=True, editable=False
    )
    # What loading did, per model: {"units.unit": {"created": 1, "changed": 0, "unchanged": 2}}.
    summary = models.JSONField(gettext_lazy("summary"), default=dict, blank=True)

    objects = ContentImportManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = gettext_lazy("import")
        verbose_name_plural = gettext_lazy("imports")

    def __str__(self):
        return f"{self.get_kind_display()}: {', '.join(self.file_names)}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if "files" not in self.get_deferred_fields() and (
            update_fields is None or "files" in update_fields
        ):
            self.file_list = [
                {key: f[key] for key in ("name", "sha256", "size")} for f in self.files
            ]
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "file_list"}
        super().save(*args, **kwargs)

    def preview_url(self):
        if self.kind == self.Kind.ENROLMENTS:
            return reverse("admin:units_enrolment_import_preview", args=[self.pk])
        return reverse("admin:units_contentimport_preview", args=[self.pk])

    @property
    def file_names(self) -> list[str]:
        return [f["name"] for f in self.file_list]
