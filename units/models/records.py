"""People's records leaving the bank or being read by others: external verifiers'
grants, the log of who read or exported whose records, and the exports themselves."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .content import Unit
from .review import AppendOnly

CREATED_AT = gettext_lazy("created at")


class PortfolioGrantQuerySet(models.QuerySet):
    def active(self, at=None):
        """Grants in force at `at` (now): started and not yet expired."""
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, expires_at__gt=at)

    def covering(self, candidate_id: int, unit_id: int | None = None):
        """Grants on this candidate's whole portfolio, or (with a unit) on that unit."""
        grants = self.filter(candidate_id=candidate_id)
        if unit_id is None:
            return grants
        return grants.filter(models.Q(unit=None) | models.Q(unit_id=unit_id))


class PortfolioGrant(models.Model):
    """An external verifier may read a candidate's portfolio (or one unit of it) from
    `starts_at` until `expires_at`, read-only; every page they open is logged."""

    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="portfolio_grants",
        verbose_name=gettext_lazy("external verifier"),
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("candidate"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("unit"),
        help_text=gettext_lazy("Empty: every unit the candidate is enrolled on."),
    )
    starts_at = models.DateTimeField(gettext_lazy("from"), default=timezone.now)
    expires_at = models.DateTimeField(gettext_lazy("until"))
    # Translators: what a grant is for, e.g. "EQA visit, March 2027".
    note = models.CharField(gettext_lazy("purpose"), max_length=200, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("granted by"),
    )
    created_at = models.DateTimeField(CREATED_AT, default=timezone.now)

    objects = PortfolioGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-expires_at", "id"]
        verbose_name = gettext_lazy("external verifier's access")
        verbose_name_plural = gettext_lazy("external verifiers' access")
        permissions = [
            (
                "view_granted_portfolio",
                "Can read the portfolios granted to them (external verifier)",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("starts_at")),
                name="grant_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~models.Q(verifier=models.F("candidate")),
                name="grant_not_to_the_candidate",
            ),
        ]
        indexes = [models.Index(fields=["verifier", "expires_at"], name="grant_verifier_expiry")]

    def __str__(self):
        if self.unit_id:
            return _("%(verifier)s reads %(unit)s of %(candidate)s") % {
                "verifier": self.verifier,
                "unit": self.unit.code,
                "candidate": self.candidate,
            }
        return _("%(verifier)s reads the portfolio of %(candidate)s") % {
            "verifier": self.verifier,
            "candidate": self.candidate,
        }

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at < self.expires_at


class RecordAccess(AppendOnly):
    """Someone read or exported a candidate's records: the log an awarding body and a
    person asking for their data may see."""

    class Kind(models.TextChoices):
        VIEWED = "viewed", pgettext_lazy("record access", "Viewed")
        EXPORT_REQUESTED = "export_requested", pgettext_lazy("record access", "Export requested")
        DOWNLOADED = "downloaded", pgettext_lazy("record access", "Export downloaded")

    kind = models.CharField(
        pgettext_lazy("record access", "kind"), max_length=20, choices=Kind.choices
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("read by"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        # Translators: the person whose records were read.
        verbose_name=gettext_lazy("whose records"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("unit"),
    )
    # The page's address, or what was exported.
    what = models.CharField(gettext_lazy("what"), max_length=300)
    ip_address = models.GenericIPAddressField(gettext_lazy("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(CREATED_AT, default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = gettext_lazy("record access")
        verbose_name_plural = gettext_lazy("record accesses")
        indexes = [models.Index(fields=["person", "-created_at"], name="access_person_recent")]

    def __str__(self):
        return _("%(reader)s · %(kind)s · %(person)s") % {
            "reader": self.reader,
            "kind": self.get_kind_display(),
            "person": self.person,
        }


class PortfolioExportQuerySet(models.QuerySet):
    def without_content(self):
        return self.defer("content")

    def for_requester(self, user):
        return self.filter(requested_by=user)

    def expired(self, at=None):
        return self.filter(expires_at__lte=at or timezone.now())

    def kept(self, at=None):
        """Not yet past their EXPORT_KEEP_DAYS (apply_retention deletes the others)."""
        return self.filter(expires_at__gt=at or timezone.now())


class PortfolioExport(models.Model):
    """A file made by the worker: a candidate's portfolio (or one unit of it) as a PDF,
    or as a ZIP of that PDF and the same data as JSON; or everything the bank holds
    about a person, for them. Kept for EXPORT_KEEP_DAYS, then deleted."""

    class Kind(models.TextChoices):
        PORTFOLIO = "portfolio", pgettext_lazy("export kind", "Portfolio")
        PERSONAL_DATA = "personal_data", pgettext_lazy("export kind", "Personal data")

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        ZIP = "zip", pgettext_lazy("export format", "ZIP (PDF and JSON)")

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("export status", "Waiting")
        RUNNING = "running", pgettext_lazy("export status", "Being prepared")
        READY = "ready", pgettext_lazy("export status", "Ready")
        FAILED = "failed", pgettext_lazy("export status", "Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="exports",
        verbose_name=gettext_lazy("requested by"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("whose records"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("unit"),
        help_text=gettext_lazy("Empty: the whole portfolio."),
    )
    kind = models.CharField(
        pgettext_lazy("export kind", "kind"), max_length=20, choices=Kind.choices
    )
    file_format = models.CharField(gettext_lazy("format"), max_length=10, choices=Format.choices)
    status = models.CharField(
        gettext_lazy("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    file_name = models.CharField(gettext_lazy("file name"), max_length=200, blank=True)
    # In the database, so every app server can hand out what any worker made.
    content = models.BinaryField(gettext_lazy("content"), null=True, editable=False)
    size = models.PositiveIntegerField(gettext_lazy("size in bytes"), null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    error = models.TextField(gettext_lazy("error"), blank=True)
    # The interface language the requester read when asking: the file's headings.
    language = models.CharField(gettext_lazy("language"), max_length=10)
    created_at = models.DateTimeField(CREATED_AT, default=timezone.now)
    started_at = models.DateTimeField(gettext_lazy("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(gettext_lazy("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(gettext_lazy("deleted after"))
    downloaded_at = models.DateTimeField(gettext_lazy("downloaded at"), null=True, blank=True)
    # The units the file holds (ids), written with it: a download needs the person to
    # read every one of them still, not merely some unit of the candidate.
    unit_ids = models.JSONField(gettext_lazy("units held"), default=list, editable=False)

    objects = PortfolioExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = gettext_lazy("export")
        verbose_name_plural = gettext_lazy("exports")
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="export_requester_recent")
        ]

    def __str__(self):
        return _("%(kind)s of %(person)s (%(format)s)") % {
            "kind": self.get_kind_display(),
            "person": self.person,
            "format": self.get_file_format_display(),
        }

    @property
    def status_choice(self) -> "PortfolioExport.Status":
        return self.Status(self.status)

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
