"""The benchmark's synthetic data holds only what the app itself could have made."""

import pytest

from benchmark.generate import generate
from units.models import Action, Answer, AuditEntry, Comment, Decision

pytestmark = pytest.mark.django_db


def test_generated_answers_are_in_states_the_state_machine_reaches():
    generate(0.002)
    entries = {}
    for entry in AuditEntry.objects.order_by("answer_id", "created_at", "id"):
        entries.setdefault(entry.answer_id, []).append(entry)
    assert entries
    for answer in Answer.objects.all():
        state = Answer.Status.DRAFT
        for entry in entries[answer.pk]:
            sources, target = Answer.TRANSITIONS[Action(entry.action)]
            assert entry.from_status == state and state in sources, (answer.pk, entry.action)
            state = entry.to_status
            assert state == target
            if entry.action == Action.RETURN:
                # The service refuses a return without a comment on that revision.
                assert Comment.objects.filter(revision=entry.revision).exists()
        assert state == answer.status, answer.pk
    assert Decision.objects.count() == AuditEntry.objects.exclude(action=Action.SUBMIT).count()


def test_generated_candidates_answer_only_on_their_enrolled_published_units():
    from units.models import Unit

    generate(0.002)
    assert not Unit.objects.filter(published_at=None).exists()
    assert Answer.objects.count() == Answer.objects.enrolled().count() > 0


def test_generated_revisions_carry_the_apps_word_count_and_new_rows_follow_them():
    from units.models import Revision
    from units.text import count_words

    generate(0.002)
    revisions = list(Revision.objects.all())
    assert revisions
    assert all(r.word_count == count_words(r.text) for r in revisions)
    # The ids were given by the generator: the database's own come after them.
    answer = Answer.objects.order_by("id").first()
    before = Revision.objects.order_by("-id").values_list("id", flat=True).first()
    made = Revision.objects.create(answer=answer, number=99, text="more words", word_count=2)
    assert made.pk > before
