"""Assessment: comments on answers, assessors' decisions, and the audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .work import Action, Answer, Revision

ANSWER = gettext_lazy("answer")
# What units.retention may replace in a log's rows: free text and addresses.
REDACTABLE = frozenset({"note", "ip_address"})
REVISION = gettext_lazy("revision")
CREATED_AT = gettext_lazy("created at")
IP_ADDRESS = gettext_lazy("IP address")


class Comment(models.Model):
    """A comment on a submitted revision: on the whole answer, or on a quoted passage.

    The quote is stored with its position in the revision's text, so the passage
    can be highlighted there and still be shown after a later revision drops it.
    """

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="comments", verbose_name=ANSWER
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="comments", verbose_name=REVISION
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="answer_comments",
        verbose_name=gettext_lazy("author"),
    )
    body = models.TextField(
        pgettext_lazy("Markdown text", "body"), help_text=gettext_lazy("Markdown.")
    )
    # Translators: the passage of the answer a comment is about.
    quote = models.TextField(gettext_lazy("quote"), blank=True)
    quote_start = models.PositiveIntegerField(gettext_lazy("quote start"), null=True, blank=True)
    quote_end = models.PositiveIntegerField(gettext_lazy("quote end"), null=True, blank=True)
    created_at = models.DateTimeField(CREATED_AT, default=timezone.now)

    class Meta:
        ordering = ["answer_id", "created_at", "id"]
        verbose_name = pgettext_lazy("noun", "comment")
        verbose_name_plural = gettext_lazy("comments")
        indexes = [models.Index(fields=["answer", "created_at"], name="comment_answer_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quote="", quote_start=None, quote_end=None)
                | models.Q(quote_start__isnull=False, quote_end__gt=models.F("quote_start")),
                name="comment_quote_has_a_range",
            )
        ]

    def __str__(self):
        return _("Comment by %(author)s on %(answer)s") % {
            "author": self.author,
            "answer": self.answer,
        }

    @property
    def is_on_passage(self) -> bool:
        return bool(self.quote)


class DecisionQuerySet(models.QuerySet):
    def assessments(self):
        """Assessment judgements (accepts and returns), which internal verifiers sample;
        reopening is not one."""
        return self.filter(outcome__in=Decision.ASSESSMENTS)

    def sampleable_by(self, verifier):
        """Other assessors' judgements on answers that count (a published unit their
        candidate is enrolled on): a verifier never verifies their own decisions."""
        return (
            self.assessments()
            .filter(
                answer__learning_outcome__unit__published_at__isnull=False,
                answer__learning_outcome__unit__enrolments__candidate=models.F("answer__candidate"),
            )
            .exclude(assessor=verifier)
        )


class Decision(models.Model):
    """An assessor's decision on a revision, or the reopening of an accepted answer."""

    class Outcome(models.TextChoices):
        NEEDS_REVISION = "needs_revision", pgettext_lazy("decision outcome", "Needs revision")
        ACCEPTED = "accepted", pgettext_lazy("decision outcome", "Accepted")
        REOPENED = "reopened", pgettext_lazy("decision outcome", "Reopened")

    ASSESSMENTS = (Outcome.ACCEPTED, Outcome.NEEDS_REVISION)

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="decisions", verbose_name=ANSWER
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="decisions", verbose_name=REVISION
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=gettext_lazy("assessor"),
    )
    outcome = models.CharField(
        pgettext_lazy("of a decision", "outcome"), max_length=20, choices=Outcome.choices
    )
    reason = models.TextField(gettext_lazy("reason"), blank=True)
    ip_address = models.GenericIPAddressField(IP_ADDRESS, null=True, blank=True)
    created_at = models.DateTimeField(CREATED_AT, default=timezone.now)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["answer_id", "created_at", "id"]
        verbose_name = gettext_lazy("decision")
        verbose_name_plural = gettext_lazy("decisions")
        # Internal verifiers sample the decisions of a period (units.sampling).
        indexes = [models.Index(fields=["created_at"], name="decision_time")]

    def __str__(self):
        # One whole phrase per outcome: the words around the names differ by language.
        if self.outcome == self.Outcome.ACCEPTED:
            template = _("Accepted by %(assessor)s on %(revision)s")
        elif self.outcome == self.Outcome.REOPENED:
            template = _("Reopened by %(assessor)s on %(revision)s")
        else:
            template = _("Needs revision by %(assessor)s on %(revision)s")
        return template % {"assessor": self.assessor, "revision": self.revision}


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")

    def redact(self, **fields):
        """The one change a log allows: a person's free text and addresses replaced
        once their retention period is over (units.retention). Rows stay, and nothing
        else of them can change this way."""
        if not set(fields) <= REDACTABLE:
            raise TypeError(f"Only {sorted(REDACTABLE)} are redacted.")
        return super().update(**fields)


class AppendOnly(models.Model):
    """Rows of a log (the audit, sign-off events, record accesses): written once,
    never changed or deleted through the application."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")


class AuditEntry(AppendOnly):
    """One state change of an answer: who, what, when, from which state to which.

    Append-only: rows are never changed or deleted through the application.
    """

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="audit_entries", verbose_name=ANSWER
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        # Translators: the person who made a change to an answer.
        verbose_name=gettext_lazy("actor"),
    )
    action = models.CharField(
        pgettext_lazy("assessment action", "action"), max_length=20, choices=Action.choices
    )
    from_status = models.CharField(
        gettext_lazy("from status"), max_length=20, choices=Answer.Status.choices
    )
    to_status = models.CharField(
        gettext_lazy("to status"), max_length=20, choices=Answer.Status.choices
    )
    revision = models.ForeignKey(
        Revision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=REVISION,
    )
    # Translators: the reason given with a change (reopening an accepted answer).
    note = models.TextField(gettext_lazy("note"), blank=True)
    ip_address = models.GenericIPAddressField(IP_ADDRESS, null=True, blank=True)
    created_at = models.DateTimeField(CREATED_AT, default=timezone.now)

    class Meta:
        ordering = ["answer_id", "created_at", "id"]
        verbose_name = gettext_lazy("audit entry")
        verbose_name_plural = gettext_lazy("audit entries")

    def __str__(self):
        # Translators: an audit entry in the admin: who, which action, on which answer,
        # from which status to which, e.g. "carol Accept alice · F3 3.5 (Submitted → Accepted)".
        return _("%(actor)s %(action)s %(answer)s (%(from_status)s → %(to_status)s)") % {
            "actor": self.actor,
            "action": self.get_action_display(),
            "answer": self.answer,
            "from_status": self.get_from_status_display(),
            "to_status": self.get_to_status_display(),
        }

    def _sentence_template(self) -> str:
        """What the action reads as in the answer's history: one whole sentence each."""
        if self.action == Action.SUBMIT:
            # Translators: in an answer's history; the person's name and a revision number.
            return _("%(actor)s submitted revision %(number)s.")
        if self.action == Action.RETURN:
            return _("%(actor)s returned revision %(number)s for changes.")
        if self.action == Action.ACCEPT:
            return _("%(actor)s accepted revision %(number)s.")
        return _("%(actor)s reopened the accepted answer so it can be revised again.")

    @property
    def sentence(self) -> str:
        """The entry as a sentence, with the person's name isolated from the text around it."""
        actor = self.actor.get_full_name() or self.actor.username
        number = self.revision.number if self.revision else ""
        # The translation is escaped like any text; only the name's <bdi> is markup.
        return mark_safe(  # noqa: S308
            conditional_escape(self._sentence_template())
            % {"actor": format_html("<bdi>{}</bdi>", actor), "number": number}
        )
