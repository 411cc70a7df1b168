"""Candidates' work: their answers to criteria, the revisions they submit, and
which assessors look after which candidates."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .content import LearningOutcome


class Assignment(models.Model):
    """An assessor looks after a candidate. A candidate may have several assessors."""

    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessor_assignments"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="candidate_assignments"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["candidate", "assessor"], name="unique_assignment"),
            models.CheckConstraint(
                condition=~models.Q(candidate=models.F("assessor")),
                name="assessor_is_not_own_candidate",
            ),
        ]

    def __str__(self):
        return f"{self.assessor} assesses {self.candidate}"

    def clean(self):
        if self.candidate_id and self.candidate_id == self.assessor_id:
            raise ValidationError("A candidate cannot be their own assessor.")


class AnswerQuerySet(models.QuerySet):
    def for_candidate(self, user):
        return self.filter(candidate=user)

    def for_reviewer(self, user):
        """The answers an assessor may see: their candidates' (an admin: everyone's)."""
        if user.is_superuser:
            return self.all()
        return self.filter(candidate__assessor_assignments__assessor=user)

    def status_counts(self) -> dict[str, int]:
        counts = dict(self.order_by().values_list("status").annotate(n=models.Count("id")))
        return {status: counts.get(status, 0) for status in Answer.Status.values}


class Action(models.TextChoices):
    """The workflow's vocabulary: what moves an answer from one state to another."""

    SUBMIT = "submit", "Submit"
    RETURN = "return", "Return for revision"
    ACCEPT = "accept", "Accept"
    REOPEN = "reopen", "Reopen"


class Answer(models.Model):
    """A candidate's own answer to one criterion, in English, and where it stands."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        NEEDS_REVISION = "needs_revision", "Needs revision"
        ACCEPTED = "accepted", "Accepted"

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
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answers"
    )
    learning_outcome = models.ForeignKey(
        LearningOutcome, on_delete=models.PROTECT, related_name="answers"
    )
    text = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Optimistic concurrency: every save names the version it started from and
    # bumps it; a save from an older version is refused instead of overwriting.
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
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

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    word_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["answer_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["answer", "number"], name="unique_revision_number")
        ]

    def __str__(self):
        return f"{self.answer} · revision {self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A revision is immutable once submitted.")
        super().save(*args, **kwargs)
