"""Assessment: comments on answers, assessors' decisions, and the audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.html import format_html

from .work import Action, Answer, Revision


class Comment(models.Model):
    """A comment on a submitted revision: on the whole answer, or on a quoted passage.

    The quote is stored with its position in the revision's text, so the passage
    can be highlighted there and still be shown after a later revision drops it.
    """

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="comments")
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="answer_comments"
    )
    body = models.TextField(help_text="Markdown.")
    quote = models.TextField(blank=True)
    quote_start = models.PositiveIntegerField(null=True, blank=True)
    quote_end = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["answer_id", "created_at", "id"]
        indexes = [models.Index(fields=["answer", "created_at"], name="comment_answer_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quote="", quote_start=None, quote_end=None)
                | models.Q(quote_start__isnull=False, quote_end__gt=models.F("quote_start")),
                name="comment_quote_has_a_range",
            )
        ]

    def __str__(self):
        return f"Comment by {self.author} on {self.answer}"

    @property
    def is_on_passage(self) -> bool:
        return bool(self.quote)


class Decision(models.Model):
    """An assessor's decision on a revision, or the reopening of an accepted answer."""

    class Outcome(models.TextChoices):
        NEEDS_REVISION = "needs_revision", "Needs revision"
        ACCEPTED = "accepted", "Accepted"
        REOPENED = "reopened", "Reopened"

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="decisions")
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="decisions")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["answer_id", "created_at", "id"]

    def __str__(self):
        return f"{self.get_outcome_display()} by {self.assessor} on {self.revision}"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One state change of an answer: who, what, when, from which state to which.

    Append-only: rows are never changed or deleted through the application.
    """

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_entries"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=Answer.Status.choices)
    to_status = models.CharField(max_length=20, choices=Answer.Status.choices)
    revision = models.ForeignKey(
        Revision, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["answer_id", "created_at", "id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.actor} {self.action} {self.answer} ({self.from_status} → {self.to_status})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")

    # What each action reads as in the answer's history, in a sentence.
    SENTENCES = {
        Action.SUBMIT: "{actor} submitted revision {number}.",
        Action.RETURN: "{actor} returned revision {number} for changes.",
        Action.ACCEPT: "{actor} accepted revision {number}.",
        Action.REOPEN: "{actor} reopened the accepted answer so it can be revised again.",
    }

    @property
    def sentence(self) -> str:
        """The entry as a sentence, with the person's name isolated from the text around it."""
        actor = self.actor.get_full_name() or self.actor.username
        return format_html(
            self.SENTENCES[self.action].replace("{actor}", "<bdi>{actor}</bdi>"),
            actor=actor,
            number=self.revision.number if self.revision else "",
        )
