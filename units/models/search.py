"""The search index: one row per searchable record, written by units.search.

The row holds the record's text as a reader sees it (for snippets) and its
tokens, the ASCII words that units.search makes of that text. The database
indexes the tokens: FTS5 on SQLite, a GIN index on to_tsvector('simple', tokens)
(kept in a stored generated column, search_vector) on PostgreSQL; migration
0012 makes the one for the vendor at hand.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from .content import LearningOutcome, ModelAnswer, Reading, Unit
from .work import Answer, Revision


class SearchEntry(models.Model):
    class Kind(models.TextChoices):
        # The order of the results on the page.
        CRITERION = "criterion", gettext_lazy("assessment criterion")
        MODEL_ANSWER = "model_answer", gettext_lazy("model answer")
        READING = "reading", gettext_lazy("reading")
        ANSWER = "answer", gettext_lazy("answer")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    language = models.CharField(max_length=35)  # BCP 47, as the record's `lang`
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField()  # plain text in its own script: snippets, nothing else
    tokens = models.TextField()  # what the database indexes; see units.search
    criterion = models.ForeignKey(
        LearningOutcome, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    model_answer = models.ForeignKey(
        ModelAnswer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reading = models.ForeignKey(
        Reading, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # For an answer: the submitted revision this row holds, or None for the draft.
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Whose work it is (answers); None for the public catalogue.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = gettext_lazy("search entry")
        verbose_name_plural = gettext_lazy("search entries")
        # A search reads the latest matches of one kind first (units.search).
        indexes = [models.Index(fields=["kind", "id"], name="search_entry_kind_latest")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="criterion", criterion__isnull=False)
                    | models.Q(kind="model_answer", model_answer__isnull=False)
                    | models.Q(kind="reading", reading__isnull=False)
                    | models.Q(kind="answer", answer__isnull=False)
                ),
                name="search_entry_points_at_its_record",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.title}"
