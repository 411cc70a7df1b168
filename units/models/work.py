"""Candidates' work: their answers to criteria, the revisions they submit, and
which assessors look after which candidates."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .content import LearningOutcome, Unit


class Assignment(models.Model):
    """An assessor looks after a candidate. A candidate may have several assessors."""

    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assessor_assignments",
        verbose_name=gettext_lazy("candidate"),
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="candidate_assignments",
        verbose_name=gettext_lazy("assessor"),
    )
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("assignment")
        verbose_name_plural = gettext_lazy("assignments")
        constraints = [
            models.UniqueConstraint(fields=["candidate", "assessor"], name="unique_assignment"),
            models.CheckConstraint(
                condition=~models.Q(candidate=models.F("assessor")),
                name="assessor_is_not_own_candidate",
            ),
        ]

    def __str__(self):
        return _("%(assessor)s assesses %(candidate)s") % {
            "assessor": self.assessor,
            "candidate": self.candidate,
        }

    def clean(self):
        if self.candidate_id and self.candidate_id == self.assessor_id:
            raise ValidationError(_("A candidate cannot be their own assessor."))


class EnrolmentQuerySet(models.QuerySet):
    def ready_to_sign_off(self):
        """Enrolments on a published unit whose every criterion is accepted for the
        candidate, and which no standing sign-off covers yet: for their assessor."""
        from .content import LearningOutcome
        from .quality import UnitSignOff

        criteria = (
            LearningOutcome.objects.filter(unit=models.OuterRef("unit"))
            .order_by()
            .values("unit")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        accepted = (
            Answer.objects.filter(
                candidate=models.OuterRef("candidate"),
                learning_outcome__unit=models.OuterRef("unit"),
                status=Answer.Status.ACCEPTED,
            )
            .order_by()
            .values("candidate")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        standing = UnitSignOff.objects.active().filter(
            candidate=models.OuterRef("candidate"), unit=models.OuterRef("unit")
        )
        return (
            self.filter(unit__published_at__isnull=False)
            .annotate(criteria_n=models.Subquery(criteria), accepted_n=models.Subquery(accepted))
            .filter(criteria_n__gt=0, accepted_n=models.F("criteria_n"))
            .exclude(models.Exists(standing))
            .select_related("candidate", "unit")
            .order_by("candidate__first_name", "candidate__username", "unit__code")
        )


class Enrolment(models.Model):
    """A candidate is enrolled on a unit: they see it, write for it and are counted
    against it. Ending an enrolment hides the unit; it deletes none of their work."""

    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=gettext_lazy("candidate"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="enrolments", verbose_name=gettext_lazy("unit")
    )
    enrolled_at = models.DateTimeField(gettext_lazy("enrolled at"), default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("enrolled by"),
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["candidate_id", "unit__code"]
        verbose_name = gettext_lazy("enrolment")
        verbose_name_plural = gettext_lazy("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["candidate", "unit"], name="one_enrolment_per_unit")
        ]

    def __str__(self):
        # Translators: e.g. "mina on F3".
        return _("%(candidate)s on %(unit)s") % {
            "candidate": self.candidate,
            "unit": self.unit.code,
        }


def candidate_ids(assessor) -> list[int]:
    """The ids of the assessor's candidates, read once for the person object (a request's
    request.user lives as long as the request).

    A list, not a subquery: as a subquery the planner can only guess how many there
    are, and for "the next waiting answer" (LIMIT 1) of an assessor with one candidate
    it walked all 375,000 waiting answers in order, looking for one of theirs (1.7 s
    at benchmark scale 10). Given the ids, it reads theirs."""
    ids = getattr(assessor, "_candidate_ids", None)
    if ids is None:
        ids = list(
            Assignment.objects.filter(assessor=assessor).values_list("candidate_id", flat=True)
        )
        assessor._candidate_ids = ids
    return ids


class AnswerQuerySet(models.QuerySet):
    def enrolled(self, *, few: bool = False):
        """Answers on published units their candidate is enrolled on: what counts and is
        reviewed. Unpublishing a unit or ending an enrolment hides its answers from the
        assessor's queue as from the candidate, until it is published or enrolled again.

        few: the other filters leave a few thousand answers at most (one assessor's
        candidates). The enrolment is then looked up answer by answer, through the
        (candidate, unit) index, instead of joined. Joined, it closes a loop (answer →
        criterion → unit → enrolment → candidate → answer) that has PostgreSQL weigh
        every order of the six tables: 4 to 13 ms of planning for each query of the
        queue and the review page, more than running them (benchmark scale 1). As an
        EXISTS it is turned back into a join, or into a hash of every enrolment (100,000
        at scale 10: 45 ms a query); a scalar subquery is neither."""
        published = self.filter(learning_outcome__unit__published_at__isnull=False)
        if not few:
            return published.filter(
                learning_outcome__unit__enrolments__candidate=models.F("candidate")
            )
        enrolment = (
            Enrolment.objects.filter(
                candidate=models.OuterRef("candidate_id"),
                unit=models.OuterRef("learning_outcome__unit_id"),
            )
            .order_by()
            .values("pk")[:1]
        )  # no ordering: the enrolments' own joins their units
        return published.filter(IsNull(models.Subquery(enrolment), False))

    def for_candidate(self, user):
        return self.filter(candidate=user)

    def for_reviewer(self, user):
        """The answers an assessor may see: their candidates' on the units they are
        enrolled on (an admin: everyone's, enrolled)."""
        if user.is_superuser:
            return self.enrolled()
        return self.filter(candidate_id__in=candidate_ids(user)).enrolled(few=True)

    def reviewable_by(self, user):
        """The answers the review page opens for an assessor: their candidates',
        submitted at least once."""
        return self.for_reviewer(user).exclude(submitted_at=None)

    def status_counts(self) -> dict[str, int]:
        counts = dict(self.order_by().values_list("status").annotate(n=models.Count("id")))
        return {status: counts.get(status, 0) for status in Answer.Status.values}


class Action(models.TextChoices):
    """The workflow's vocabulary: what moves an answer from one state to another."""

    SUBMIT = "submit", pgettext_lazy("assessment action", "Submit")
    RETURN = "return", pgettext_lazy("assessment action", "Return for revision")
    ACCEPT = "accept", pgettext_lazy("assessment action", "Accept")
    REOPEN = "reopen", pgettext_lazy("assessment action", "Reopen")


class Answer(models.Model):
    """A candidate's own answer to one criterion, in English, and where it stands."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", pgettext_lazy("answer status", "Not started")
        DRAFT = "draft", pgettext_lazy("answer status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("answer status", "Submitted")
        NEEDS_REVISION = "needs_revision", pgettext_lazy("answer status", "Needs revision")
        ACCEPTED = "accepted", pgettext_lazy("answer status", "Accepted")

    # The state machine: action -> (states it may start from, state it leads to).
    # Saving text is allowed only in EDITABLE states and does not change the state.
    EDITABLE = frozenset({Status.DRAFT, Status.NEEDS_REVISION})
    TRANSITIONS = {
        Action.SUBMIT: (frozenset({Status.DRAFT, Status.NEEDS_REVISION}), Status.SUBMITTED),
        Action.RETURN: (frozenset({Status.SUBMITTED}), Status.NEEDS_REVISION),
        Action.ACCEPT: (frozenset({Status.SUBMITTED}), Status.ACCEPTED),
        Action.REOPEN: (frozenset({Status.ACCEPTED}), Status.NEEDS_REVISION),
    }

    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=gettext_lazy("candidate"),
    )
    learning_outcome = models.ForeignKey(
        LearningOutcome,
        on_delete=models.PROTECT,
        related_name="answers",
        verbose_name=gettext_lazy("assessment criterion"),
    )
    text = models.TextField(gettext_lazy("text"), blank=True)
    status = models.CharField(
        gettext_lazy("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # Optimistic concurrency: every save names the version it started from and
    # bumps it; a save from an older version is refused instead of overwriting.
    version = models.PositiveIntegerField(gettext_lazy("version"), default=0)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    updated_at = models.DateTimeField(gettext_lazy("updated at"), default=timezone.now)
    submitted_at = models.DateTimeField(gettext_lazy("submitted at"), null=True, blank=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("answer")
        verbose_name_plural = gettext_lazy("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "learning_outcome"], name="one_answer_per_criterion"
            )
        ]
        indexes = [
            models.Index(fields=["candidate", "-updated_at"], name="answer_candidate_recent"),
            models.Index(fields=["status", "submitted_at"], name="answer_status_waiting"),
        ]
        permissions = [
            ("draft_answer", "Can draft and submit their own answers"),
            ("review_answer", "Can review the answers of their candidates"),
        ]

    def __str__(self):
        return f"{self.candidate} · {self.learning_outcome}"

    @property
    def status_choice(self) -> "Answer.Status":
        return self.Status(self.status)

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def allows(self, action: "Action") -> bool:
        return self.status in self.TRANSITIONS[action][0]

    @property
    def can_be_commented(self) -> bool:
        """Comments belong to a revision under review or sent back; an accepted answer is closed."""
        return self.submitted_at is not None and self.status != self.Status.ACCEPTED


class Revision(models.Model):
    """What the candidate submitted, frozen: a revision is never changed afterwards."""

    answer = models.ForeignKey(
        Answer,
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=gettext_lazy("answer"),
    )
    number = models.PositiveIntegerField(gettext_lazy("number"))
    text = models.TextField(gettext_lazy("text"))
    word_count = models.PositiveIntegerField(gettext_lazy("word count"))
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)

    class Meta:
        ordering = ["answer_id", "number"]
        verbose_name = gettext_lazy("revision")
        verbose_name_plural = gettext_lazy("revisions")
        constraints = [
            models.UniqueConstraint(fields=["answer", "number"], name="unique_revision_number")
        ]

    def __str__(self):
        return _("%(answer)s · revision %(number)s") % {
            "answer": self.answer,
            "number": self.number,
        }

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A revision is immutable once submitted.")
        super().save(*args, **kwargs)
