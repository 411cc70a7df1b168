"""The answer bank's content: units, their criteria, model answers and readings.

Every content model has a natural key so fixtures name what they point at
(a unit code, a criterion code, a language) instead of carrying database ids.
"""

import uuid

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Count, Value
from django.db.models.functions import Cast, Coalesce, StrIndex, Substr
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from ..languages import LANGUAGES, describe_language, language_choices, sort_codes

CRITERION_CODE = r"^[0-9]{1,3}\.[0-9]{1,3}$"
# A BCP 47 shape: language, optional script, optional region (sr-Cyrl, zh-Hans, en-GB).
LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$"
criterion_code_validator = RegexValidator(
    CRITERION_CODE, gettext_lazy("A criterion code is two numbers with a dot, such as 3.10.")
)


# Translators: the field holding the Markdown text of a model answer, introduction or reading.
BODY = pgettext_lazy("Markdown text", "body")

# PostgreSQL cannot store NUL characters; say so before loaddata fails on them.
NO_NUL = ProhibitNullCharactersValidator()


def language_is_a_tag(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(language__regex=LANGUAGE_TAG), name=name)


def language_is_listed(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(language__in=sorted(LANGUAGES)), name=name)


def language_field(**kwargs) -> models.CharField:
    kwargs.setdefault("verbose_name", gettext_lazy("language"))
    kwargs.setdefault(
        "help_text", gettext_lazy("A BCP 47 language tag, such as sr-Cyrl, ko or zh-Hans.")
    )
    return models.CharField(max_length=35, choices=language_choices, **kwargs)


class UnitQuerySet(models.QuerySet):
    def with_criteria_count(self):
        return self.annotate(criteria_count=Count("criteria"))

    def published(self):
        return self.exclude(published_at=None)

    def with_sign_off_to_confirm(self, candidate):
        """Annotate to_confirm: the candidate's assessor signed the unit off and the
        candidate has not confirmed it yet (in the same query)."""
        from .quality import UnitSignOff  # quality imports this module

        waiting = UnitSignOff.objects.active().filter(
            candidate=candidate, unit=models.OuterRef("pk"), confirmed_at=None
        )
        return self.annotate(to_confirm=models.Exists(waiting))

    def visible_to(self, user):
        """The units a person may open: content managers see drafts too (to check
        them as a candidate would); a candidate sees the published units they are
        enrolled on; anyone else, every published unit."""
        from ..access import is_candidate, manages_content  # access imports the models

        if manages_content(user):
            return self.all()
        if is_candidate(user):
            return self.published().filter(enrolments__candidate=user)
        return self.published()


class UnitManager(models.Manager.from_queryset(UnitQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Unit(models.Model):
    code = models.CharField(
        pgettext_lazy("unit", "code"),
        max_length=20,
        unique=True,
        help_text=gettext_lazy("For example F3 or A/601/2550."),
    )
    slug = models.SlugField(
        gettext_lazy("slug"),
        max_length=40,
        unique=True,
        help_text=gettext_lazy("The unit's address: /units/<slug>/"),
    )
    title = models.CharField(gettext_lazy("title"), max_length=200)
    qualification = models.CharField(gettext_lazy("qualification"), max_length=200, blank=True)
    group = models.CharField(
        # Translators: the group a unit belongs to in its qualification (mandatory, optional).
        pgettext_lazy("unit", "group"),
        max_length=100,
        blank=True,
        help_text=gettext_lazy("For example Group A (mandatory)."),
    )
    level = models.PositiveSmallIntegerField(
        pgettext_lazy("qualification level", "level"), null=True, blank=True
    )
    credit = models.PositiveSmallIntegerField(
        # Translators: the unit's credit value in the qualification (a number).
        pgettext_lazy("qualification credits", "credit"),
        null=True,
        blank=True,
    )
    ofqual_ref = models.CharField(gettext_lazy("Ofqual reference"), max_length=20, blank=True)
    description = models.TextField(gettext_lazy("description"), blank=True)
    # Set by publishing, in the bank, never by a fixture: a unit arrives as a
    # draft and candidates see it only once an admin has checked and published it.
    published_at = models.DateTimeField(
        gettext_lazy("published at"),
        null=True,
        blank=True,
        editable=False,
        help_text=gettext_lazy("Empty while the unit is a draft that candidates cannot see."),
    )
    # A new value whenever what the unit shows changes: the unit, a criterion, a model
    # answer. What a page draws from them is kept under it (views.common.model_answer_panel),
    # so an edit shows on the very next request. Random, not a counter: a fixture loaded
    # again gives its unit a fresh one, never one some cached drawing was kept under.
    content_version = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = UnitManager()

    class Meta:
        ordering = ["code"]
        verbose_name = gettext_lazy("unit")
        verbose_name_plural = gettext_lazy("units")
        # loaddata skips validation: the database itself refuses what must not be empty.
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(code="") & ~models.Q(slug="") & ~models.Q(title=""),
                name="unit_code_slug_title_not_empty",
            )
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        self.content_version = uuid.uuid4()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "content_version"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("units:unit", kwargs={"unit": self.slug})

    @classmethod
    def content_changed(cls, units: models.QuerySet) -> None:
        """What these units show has changed (a criterion or model answer saved or deleted)."""
        cls.objects.filter(pk__in=units.values("pk")).update(content_version=uuid.uuid4())

    def natural_key(self):
        return (self.code,)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def publish(self) -> list[str]:
        """Publish the unit if it is complete; return what stops it otherwise."""
        with transaction.atomic():
            # The unit's row is locked while it is checked, so an import confirmed at the
            # same moment (which locks the units it touches) waits, and cannot make it
            # incomplete between the check and the publishing.
            list(Unit.objects.select_for_update().filter(pk=self.pk).values_list("pk"))
            problems = self.publication_problems()
            if not problems:
                # An update of the row, not save(): a stale copy must not undo another's edit.
                Unit.objects.filter(pk=self.pk, published_at=None).update(
                    published_at=timezone.now()
                )
        self.refresh_from_db(fields=["published_at"])
        return problems

    def unpublish(self) -> None:
        """Hide the unit from candidates; their answers stay, and show again on republishing."""
        Unit.objects.filter(pk=self.pk).update(published_at=None)
        self.published_at = None

    def publication_problems(self) -> list[str]:
        """What stops the unit being published, each as a sentence; empty when complete.

        The database already refuses an empty question or an unlisted language;
        this checks what only the whole unit shows: it has criteria, and each
        outcome's criteria are numbered from 1 without a gap.
        """
        codes = sorted(
            (major, minor) for major, minor in self.criteria.values_list("major", "minor")
        )
        if not codes:
            return [_("The unit has no assessment criteria yet.")]
        problems = []
        by_outcome: dict[int, list[int]] = {}
        for major, minor in codes:
            by_outcome.setdefault(major, []).append(minor)
        for major, minors in by_outcome.items():
            missing = sorted(set(range(1, max(minors) + 1)) - set(minors))
            problems.extend(
                # Translators: a criterion code such as 3.2 missing between 3.1 and 3.3.
                _(
                    "Criterion %(code)s is missing: the criteria of an outcome are numbered "
                    "from 1 without a gap."
                )
                % {"code": f"{major}.{minor}"}
                for minor in missing
            )
        return problems


class QualificationManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Qualification(models.Model):
    """A named set of units, so a candidate can be enrolled on all of them at once."""

    title = models.CharField(gettext_lazy("title"), max_length=200)
    slug = models.SlugField(gettext_lazy("slug"), max_length=80, unique=True)
    units = models.ManyToManyField(
        Unit, related_name="qualifications", blank=True, verbose_name=gettext_lazy("units")
    )

    objects = QualificationManager()

    class Meta:
        ordering = ["title"]
        verbose_name = gettext_lazy("qualification")
        verbose_name_plural = gettext_lazy("qualifications")

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)


class LearningOutcomeQuerySet(models.QuerySet):
    def with_status_of(self, candidate):
        """Annotate my_status: the state of the candidate's answer (in the same query)."""
        from .work import Answer  # work imports this module

        status = Answer.objects.filter(
            candidate=candidate, learning_outcome=models.OuterRef("pk")
        ).values("status")[:1]
        return self.annotate(
            my_status=Coalesce(models.Subquery(status), Value(Answer.Status.NOT_STARTED.value))
        )

    def with_answer_languages(self):
        """Prefetch just the language of each model answer, for lists of criteria."""
        return self.prefetch_related(
            models.Prefetch(
                "model_answers",
                queryset=ModelAnswer.objects.only("id", "learning_outcome_id", "language"),
                to_attr="answer_language_rows",
            )
        )


class LearningOutcomeManager(models.Manager.from_queryset(LearningOutcomeQuerySet)):
    def get_by_natural_key(self, unit_code, code):
        return self.get(unit__code=unit_code, code=code)


class LearningOutcome(models.Model):
    """One assessment criterion of a unit (3.5, 4.1 …) and the outcome it belongs to."""

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="criteria", verbose_name=gettext_lazy("unit")
    )
    code = models.CharField(
        pgettext_lazy("criterion", "code"), max_length=10, validators=[criterion_code_validator]
    )
    outcome = models.CharField(
        gettext_lazy("learning outcome"),
        max_length=255,
        help_text=gettext_lazy(
            "The learning-outcome heading, e.g. 'LO4 Understand the purpose of …'."
        ),
    )
    question = models.TextField(
        gettext_lazy("question"),
        help_text=gettext_lazy("The criterion in English, as it is assessed."),
    )
    # Derived by the database from `code`, so that fixtures (which bypass save())
    # still sort 3.9 before 3.10.
    major = models.GeneratedField(
        expression=Cast(Substr("code", 1, StrIndex("code", Value(".")) - 1), models.IntegerField()),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    minor = models.GeneratedField(
        expression=Cast(Substr("code", StrIndex("code", Value(".")) + 1), models.IntegerField()),
        output_field=models.IntegerField(),
        db_persist=True,
    )

    objects = LearningOutcomeManager()

    class Meta:
        ordering = ["unit_id", "major", "minor"]
        verbose_name = gettext_lazy("assessment criterion")
        verbose_name_plural = gettext_lazy("assessment criteria")
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="unique_criterion_code_per_unit"),
            models.CheckConstraint(
                condition=models.Q(code__regex=CRITERION_CODE)
                & ~models.Q(question="")
                & ~models.Q(outcome=""),
                name="criterion_code_question_outcome_valid",
            ),
        ]

    def __str__(self):
        return f"{self.unit.code} {self.code}"

    def get_absolute_url(self):
        return reverse("units:criterion", kwargs={"unit": self.unit.slug, "code": self.code})

    def natural_key(self):
        return (*self.unit.natural_key(), self.code)

    natural_key.dependencies = ["units.unit"]

    def neighbour_codes(self) -> tuple[str | None, str | None]:
        """The codes of the criteria before and after this one in its unit."""
        codes = list(self.unit.criteria.values_list("code", flat=True))
        index = codes.index(self.code)
        previous_code = codes[index - 1] if index > 0 else None
        next_code = codes[index + 1] if index + 1 < len(codes) else None
        return previous_code, next_code

    @property
    def answer_languages(self):
        """Languages of its model answers; needs with_answer_languages()."""
        return sort_codes(row.language for row in self.answer_language_rows)


class InLanguage:
    """For models with a `language` tag: the Language it names (own name, direction)."""

    @property
    def language_info(self):
        return describe_language(self.language)


class ModelAnswerQuerySet(models.QuerySet):
    def languages_by_unit(self) -> dict[int, list]:
        pairs = self.values_list("learning_outcome__unit_id", "language").distinct().order_by()
        codes: dict[int, set[str]] = {}
        for unit_id, code in pairs:
            codes.setdefault(unit_id, set()).add(code)
        return {unit_id: sort_codes(found) for unit_id, found in codes.items()}


class ModelAnswerManager(models.Manager.from_queryset(ModelAnswerQuerySet)):
    def get_by_natural_key(self, unit_code, criterion_code, language):
        return self.get(
            learning_outcome__unit__code=unit_code,
            learning_outcome__code=criterion_code,
            language=language,
        )


class ModelAnswer(InLanguage, models.Model):
    """A model answer to one criterion in one language: a guide, not text to copy."""

    learning_outcome = models.ForeignKey(
        LearningOutcome,
        on_delete=models.CASCADE,
        related_name="model_answers",
        verbose_name=gettext_lazy("assessment criterion"),
    )
    language = language_field()
    question = models.TextField(
        gettext_lazy("question"),
        blank=True,
        help_text=gettext_lazy("The criterion's question as written in this language."),
    )
    body = models.TextField(BODY, help_text=gettext_lazy("Markdown."), validators=[NO_NUL])
    attribution = models.CharField(gettext_lazy("attribution"), max_length=300, blank=True)

    objects = ModelAnswerManager()

    class Meta:
        ordering = ["learning_outcome_id", "language"]
        verbose_name = gettext_lazy("model answer")
        verbose_name_plural = gettext_lazy("model answers")
        constraints = [
            models.UniqueConstraint(
                fields=["learning_outcome", "language"], name="one_model_answer_per_language"
            ),
            language_is_a_tag("model_answer_language_is_a_tag"),
            language_is_listed("model_answer_language_is_listed"),
            models.CheckConstraint(condition=~models.Q(body=""), name="model_answer_has_a_body"),
        ]

    def __str__(self):
        return f"{self.learning_outcome} [{self.language}]"

    def natural_key(self):
        return (*self.learning_outcome.natural_key(), self.language)

    natural_key.dependencies = ["units.learningoutcome"]


class UnitIntroductionManager(models.Manager):
    def get_by_natural_key(self, unit_code, language):
        return self.get(unit__code=unit_code, language=language)


class UnitIntroduction(InLanguage, models.Model):
    """The source's introduction to a unit for candidates, in one language."""

    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="introductions",
        verbose_name=gettext_lazy("unit"),
    )
    language = language_field()
    body = models.TextField(BODY, help_text=gettext_lazy("Markdown."), validators=[NO_NUL])
    attribution = models.CharField(gettext_lazy("attribution"), max_length=300, blank=True)

    objects = UnitIntroductionManager()

    class Meta:
        ordering = ["unit_id", "language"]
        verbose_name = gettext_lazy("unit introduction")
        verbose_name_plural = gettext_lazy("unit introductions")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "language"], name="one_unit_introduction_per_language"
            ),
            language_is_a_tag("unit_introduction_language_is_a_tag"),
            language_is_listed("unit_introduction_language_is_listed"),
        ]

    def __str__(self):
        # Translators: a unit's introduction in one language, e.g. "F3 introduction [ko]".
        return _("%(unit)s introduction [%(language)s]") % {
            "unit": self.unit.code,
            "language": self.language,
        }

    def natural_key(self):
        return (*self.unit.natural_key(), self.language)

    natural_key.dependencies = ["units.unit"]


class ReadingManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Reading(InLanguage, models.Model):
    """Background reading for one or more units, such as an article in Croatian."""

    slug = models.SlugField(gettext_lazy("slug"), max_length=80, unique=True)
    language = language_field()
    title = models.CharField(
        gettext_lazy("title"), max_length=200, help_text=gettext_lazy("In the reading's language.")
    )
    title_en = models.CharField(gettext_lazy("English title"), max_length=200, blank=True)
    body = models.TextField(BODY, help_text=gettext_lazy("Markdown."), validators=[NO_NUL])
    attribution = models.CharField(gettext_lazy("attribution"), max_length=300, blank=True)
    units = models.ManyToManyField(
        Unit, related_name="readings", blank=True, verbose_name=gettext_lazy("units")
    )

    objects = ReadingManager()

    class Meta:
        ordering = ["title"]
        verbose_name = gettext_lazy("reading")
        verbose_name_plural = gettext_lazy("readings")
        constraints = [
            language_is_a_tag("reading_language_is_a_tag"),
            language_is_listed("reading_language_is_listed"),
            models.CheckConstraint(
                condition=~models.Q(slug="") & ~models.Q(title="") & ~models.Q(body=""),
                name="reading_slug_title_body_not_empty",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("units:reading", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)


def _criterion_changed(sender, instance, **kwargs):
    Unit.content_changed(Unit.objects.filter(pk=instance.unit_id))


def _model_answer_changed(sender, instance, **kwargs):
    Unit.content_changed(Unit.objects.filter(criteria=instance.learning_outcome_id))


def connect() -> None:
    """Move a unit's content_version on when its criteria or model answers change, as
    saved by the admin, an import or loaddata (raw saves too: what they load is shown).
    A QuerySet.update() or bulk_create() sends no signal: call Unit.content_changed."""
    for model, handler in [
        (LearningOutcome, _criterion_changed),
        (ModelAnswer, _model_answer_changed),
    ]:
        for signal in (post_save, post_delete):
            signal.connect(handler, sender=model, dispatch_uid=f"nvqbank.content.{model.__name__}")
