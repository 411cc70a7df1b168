"""Internal quality assurance: what an internal verifier samples, the verdicts they
record on assessors' decisions, and units signed off as complete."""

import math

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .content import Unit
from .review import AppendOnly, Decision

CREATED_AT = gettext_lazy("created at")
IP_ADDRESS = gettext_lazy("IP address")


def percentage_field(verbose_name, **kwargs):
    return models.PositiveSmallIntegerField(
        verbose_name, validators=[MaxValueValidator(100)], **kwargs
    )


class SamplingPlan(models.Model):
    """How much of each assessor's work an internal verifier samples: a percentage
    of every assessor's decisions, more (up to every decision) for the assessors
    named in its rules, and, if asked, at least one decision on every unit."""

    verifier = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sampling_plan",
        verbose_name=gettext_lazy("internal verifier"),
    )
    percentage = percentage_field(
        gettext_lazy("percentage of each assessor's decisions"),
        default=10,
        help_text=gettext_lazy("For every assessor without a rule of their own."),
    )
    every_unit = models.BooleanField(
        gettext_lazy("every unit at least once"),
        default=True,
        help_text=gettext_lazy("Add a decision on each unit the sample would otherwise miss."),
    )
    updated_at = models.DateTimeField(gettext_lazy("updated at"), default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("sampling plan")
        verbose_name_plural = gettext_lazy("sampling plans")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percentage__lte=100), name="plan_percentage_at_most_100"
            )
        ]

    def __str__(self):
        return _("Sampling plan of %(verifier)s") % {"verifier": self.verifier}

    def percentages(self) -> dict[int, int]:
        """The percentage of each assessor the rules name (by id); the others get
        the plan's own. A plan not saved yet has none."""
        if self.pk is None:
            return {}
        return {rule.assessor_id: rule.percentage for rule in self.rules.all()}

    @staticmethod
    def target(decisions: int, percentage: int) -> int:
        """How many of `decisions` a percentage asks for: rounded up, so 10% of 3 is 1."""
        return math.ceil(decisions * percentage / 100)


class SamplingRule(models.Model):
    """A percentage of its own for one assessor: 100 samples every decision (a new
    assessor, or one whose decisions were disagreed with)."""

    plan = models.ForeignKey(
        SamplingPlan,
        on_delete=models.CASCADE,
        related_name="rules",
        verbose_name=gettext_lazy("sampling plan"),
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("assessor"),
    )
    percentage = percentage_field(gettext_lazy("percentage of their decisions"))

    class Meta:
        ordering = ["plan_id", "assessor__first_name", "assessor__username"]
        verbose_name = gettext_lazy("sampling rule")
        verbose_name_plural = gettext_lazy("sampling rules")
        constraints = [
            models.UniqueConstraint(fields=["plan", "assessor"], name="one_rule_per_assessor"),
            models.CheckConstraint(
                condition=models.Q(percentage__lte=100), name="rule_percentage_at_most_100"
            ),
        ]

    def __str__(self):
        return f"{self.assessor}: {self.percentage}%"


class VerificationQuerySet(models.QuerySet):
    def for_assessor(self, user):
        """The verdicts on an assessor's own decisions."""
        return self.filter(decision__assessor=user)

    def unacknowledged(self):
        return self.filter(acknowledged_at=None)


class Verification(models.Model):
    """An internal verifier's verdict on one assessor's decision, with feedback to the
    assessor. Written once: only the assessor's acknowledgement is added later."""

    class Verdict(models.TextChoices):
        AGREE = "agree", pgettext_lazy("verification verdict", "Agree")
        DISAGREE = "disagree", pgettext_lazy("verification verdict", "Disagree")
        ACTION = "action", pgettext_lazy("verification verdict", "Agree, with an action")

    decision = models.OneToOneField(
        Decision,
        on_delete=models.CASCADE,
        related_name="verification",
        verbose_name=gettext_lazy("decision"),
    )
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="verifications",
        verbose_name=gettext_lazy("internal verifier"),
    )
    verdict = models.CharField(gettext_lazy("verdict"), max_length=20, choices=Verdict.choices)
    # Translators: why the internal verifier disagrees with the assessor's decision.
    reason = models.TextField(gettext_lazy("reason"), blank=True)
    # Translators: what the assessor must do after the internal verifier's check.
    action = models.TextField(gettext_lazy("action for the assessor"), blank=True)
    feedback = models.TextField(gettext_lazy("feedback to the assessor"), blank=True)
    # The disagreement reopened the accepted answer (through services.answer_reopen).
    reopened = models.BooleanField(gettext_lazy("answer reopened"), default=False)
    ip_address = models.GenericIPAddressField(IP_ADDRESS, null=True, blank=True)
    created_at = models.DateTimeField(CREATED_AT, default=timezone.now)
    # The assessor has read the feedback (and, for an action, done it).
    acknowledged_at = models.DateTimeField(gettext_lazy("acknowledged at"), null=True, blank=True)

    objects = VerificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = gettext_lazy("verification")
        verbose_name_plural = gettext_lazy("verifications")
        permissions = [
            ("verify_decision", "Can sample and verify assessors' decisions"),
            ("export_portfolio", "Can read and export every candidate's portfolio"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(verdict="disagree", reason=""),
                name="disagreement_has_a_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict="action", action=""),
                name="action_verdict_names_the_action",
            ),
            models.CheckConstraint(
                condition=models.Q(reopened=False) | models.Q(verdict="disagree"),
                name="only_a_disagreement_reopens",
            ),
        ]

    def __str__(self):
        return _("%(verdict)s: %(verifier)s on %(decision)s") % {
            "verdict": self.get_verdict_display(),
            "verifier": self.verifier,
            "decision": self.decision,
        }

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("A verdict is written once (see verification_acknowledge).")
        super().save(*args, **kwargs)

    @property
    def verdict_choice(self) -> "Verification.Verdict":
        return self.Verdict(self.verdict)


class UnitSignOffQuerySet(models.QuerySet):
    def active(self):
        """Sign-offs that stand: not withdrawn by a reopened criterion."""
        return self.filter(withdrawn_at=None)


class UnitSignOff(models.Model):
    """A unit signed off as complete for a candidate: by their assessor once every
    criterion is accepted, confirmed by the candidate's declaration, and perhaps
    countersigned by an internal verifier. Reopening a criterion withdraws it; a new
    sign-off is then a new row, so the withdrawn one stays on record."""

    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="unit_sign_offs",
        verbose_name=gettext_lazy("candidate"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="sign_offs", verbose_name=gettext_lazy("unit")
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("signed off by"),
    )
    signed_at = models.DateTimeField(gettext_lazy("signed off at"), default=timezone.now)
    confirmed_at = models.DateTimeField(
        gettext_lazy("confirmed by the candidate at"), null=True, blank=True
    )
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("countersigned by"),
    )
    countersigned_at = models.DateTimeField(gettext_lazy("countersigned at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(gettext_lazy("withdrawn at"), null=True, blank=True)

    objects = UnitSignOffQuerySet.as_manager()

    class Meta:
        ordering = ["unit__code", "-signed_at"]
        verbose_name = gettext_lazy("unit sign-off")
        verbose_name_plural = gettext_lazy("unit sign-offs")
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "unit"],
                condition=models.Q(withdrawn_at=None),
                name="one_standing_sign_off_per_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(countersigned_at=None) | models.Q(confirmed_at__isnull=False),
                name="countersigned_after_confirmation",
            ),
        ]

    def __str__(self):
        # Translators: e.g. "F3 for mina".
        return _("%(unit)s for %(candidate)s") % {
            "unit": self.unit.code,
            "candidate": self.candidate,
        }

    @property
    def is_complete(self) -> bool:
        """Signed by the assessor and confirmed by the candidate: the unit is complete."""
        return self.withdrawn_at is None and self.confirmed_at is not None


class SignOffEvent(AppendOnly):
    """One step of a unit sign-off, for the audit trail: who, what, when, from where."""

    class Kind(models.TextChoices):
        SIGNED = "signed", pgettext_lazy("sign-off event", "Signed off by the assessor")
        CONFIRMED = "confirmed", pgettext_lazy("sign-off event", "Confirmed by the candidate")
        COUNTERSIGNED = (
            "countersigned",
            pgettext_lazy("sign-off event", "Countersigned by the internal verifier"),
        )
        WITHDRAWN = "withdrawn", pgettext_lazy("sign-off event", "Withdrawn")

    sign_off = models.ForeignKey(
        UnitSignOff,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=gettext_lazy("unit sign-off"),
    )
    kind = models.CharField(
        pgettext_lazy("sign-off event", "kind"), max_length=20, choices=Kind.choices
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("actor"),
    )
    # For a withdrawal: the answer whose reopening withdrew it, and the reason given.
    answer = models.ForeignKey(
        "units.Answer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("reopened answer"),
    )
    note = models.TextField(gettext_lazy("note"), blank=True)
    ip_address = models.GenericIPAddressField(IP_ADDRESS, null=True, blank=True)
    created_at = models.DateTimeField(CREATED_AT, default=timezone.now)

    class Meta:
        ordering = ["sign_off_id", "created_at", "id"]
        verbose_name = gettext_lazy("sign-off event")
        verbose_name_plural = gettext_lazy("sign-off events")

    def __str__(self):
        return f"{self.sign_off} · {self.get_kind_display()}"
