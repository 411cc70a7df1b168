"""The answer's state machine and its optimistic versions, through the service functions."""

import threading

import pytest
from django.db import connection, connections, transaction

from units import services
from units.models import Answer, Comment, Revision

pytestmark = pytest.mark.django_db

S = Answer.Status


def answer_in(state, candidate, criterion, assessor=None):
    """An answer in the given state, as if it got there; submitted ones have a revision
    and, for the assessor to return it, a comment."""
    if state == S.NOT_STARTED:
        return None
    answer = Answer.objects.create(
        candidate=candidate, learning_outcome=criterion, text="Some text.", status=state, version=3
    )
    if state != S.DRAFT:
        revision = Revision.objects.create(answer=answer, number=1, text="Some text.", word_count=2)
        answer.submitted_at = revision.created_at
        answer.save(update_fields=["submitted_at"])
        if assessor:
            Comment.objects.create(answer=answer, revision=revision, author=assessor, body="Why?")
    return answer


def act(action, candidate, criterion, answer, assessor):
    if action == "save":
        return services.draft_save(
            candidate=candidate, criterion=criterion, text="New text.",
            base_version=answer.version if answer else 0,
        )  # fmt: skip
    if action == "submit":
        return services.draft_submit(
            candidate=candidate, criterion=criterion, text="New text.",
            base_version=answer.version if answer else 0, declaration=True,
        ).answer  # fmt: skip
    if action == "return":
        return services.answer_return(answer=answer, assessor=assessor)
    if action == "accept":
        return services.answer_accept(answer=answer, assessor=assessor)
    return services.answer_reopen(answer=answer, by=assessor, reason="Evidence was missing.")


ALLOWED = {
    ("save", S.NOT_STARTED): S.DRAFT,
    ("save", S.DRAFT): S.DRAFT,
    ("save", S.NEEDS_REVISION): S.NEEDS_REVISION,
    ("submit", S.NOT_STARTED): S.SUBMITTED,
    ("submit", S.DRAFT): S.SUBMITTED,
    ("submit", S.NEEDS_REVISION): S.SUBMITTED,
    ("return", S.SUBMITTED): S.NEEDS_REVISION,
    ("accept", S.SUBMITTED): S.ACCEPTED,
    ("reopen", S.ACCEPTED): S.NEEDS_REVISION,
}
CASES = [
    (action, state)
    for action in ["save", "submit", "return", "accept", "reopen"]
    for state in S
    # An answer that does not exist yet can only be saved or submitted.
    if not (state == S.NOT_STARTED and action in {"return", "accept", "reopen"})
]


@pytest.mark.parametrize(("action", "state"), CASES)
def test_state_machine(people, criterion, action, state):
    alice, carol = people["alice"], people["carol"]
    answer = answer_in(state, alice, criterion, carol)
    if (action, state) in ALLOWED:
        result = act(action, alice, criterion, answer, carol)
        assert Answer.objects.get(pk=result.pk).status == ALLOWED[(action, state)]
    else:
        with pytest.raises(services.TransitionNotAllowed):
            act(action, alice, criterion, answer, carol)
        stored = Answer.objects.get(pk=answer.pk)
        assert (stored.status, stored.text, stored.version) == (state, "Some text.", 3)


def test_submit_freezes_a_numbered_revision_with_its_word_count(people, criterion):
    alice, carol = people["alice"], people["carol"]
    first = services.draft_submit(
        candidate=alice, criterion=criterion, text="One two three.", base_version=0,
        declaration=True,
    )  # fmt: skip
    services.comment_add(answer=first.answer, author=carol, body="More detail, please.")
    services.answer_return(answer=first.answer, assessor=carol)
    answer = Answer.objects.get(pk=first.answer.pk)
    second = services.draft_submit(
        candidate=alice, criterion=criterion, text="One two three four 质量.",
        base_version=answer.version, declaration=True,
    )  # fmt: skip
    assert [(r.number, r.word_count) for r in answer.revisions.all()] == [(1, 3), (2, 6)]
    assert second.text == "One two three four 质量."
    with pytest.raises(ValueError, match="immutable"):
        first.save()


def test_submit_needs_the_declaration_and_some_text(people, criterion):
    alice = people["alice"]
    with pytest.raises(services.DomainError, match="declaration"):
        services.draft_submit(
            candidate=alice, criterion=criterion, text="x", base_version=0, declaration=False
        )
    with pytest.raises(services.EmptyAnswer):
        services.draft_submit(
            candidate=alice, criterion=criterion, text=" \n ", base_version=0, declaration=True
        )
    assert not Answer.objects.exists()


def test_reopen_needs_a_reason(people, criterion):
    answer = answer_in(S.ACCEPTED, people["alice"], criterion)
    with pytest.raises(services.DomainError, match="reason"):
        services.answer_reopen(answer=answer, by=people["carol"], reason="  ")
    assert Answer.objects.get(pk=answer.pk).status == S.ACCEPTED


def test_a_save_from_a_stale_version_is_refused_and_overwrites_nothing(people, criterion):
    alice = people["alice"]
    services.draft_save(candidate=alice, criterion=criterion, text="Tab one.", base_version=0)
    with pytest.raises(services.StaleVersion) as refused:
        services.draft_save(candidate=alice, criterion=criterion, text="Tab two.", base_version=0)
    assert refused.value.current.text == "Tab one."
    assert Answer.objects.get().text == "Tab one."


def test_too_long_is_refused(people, criterion):
    with pytest.raises(services.AnswerTooLong, match="100,000"):
        services.draft_save(
            candidate=people["alice"], criterion=criterion, text="x" * 100_001, base_version=0
        )
    assert not Answer.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs real concurrent connections (PostgreSQL)"
)
def test_concurrent_saves_from_one_version_let_exactly_one_win(people, criterion):
    alice = people["alice"]
    answer = services.draft_save(candidate=alice, criterion=criterion, text="v1", base_version=0)
    results: dict[str, object] = {}
    ready = threading.Barrier(5)

    def save(name):
        try:
            ready.wait()
            results[name] = services.draft_save(
                candidate=alice, criterion=criterion, text=name, base_version=answer.version
            )
        except services.StaleVersion as exc:
            results[name] = exc
        finally:
            connections.close_all()

    # Hold the row locked so that all four saves meet it at the same moment: a
    # read-then-write implementation would let all of them through on release.
    with transaction.atomic():
        Answer.objects.select_for_update().get(pk=answer.pk)
        threads = [threading.Thread(target=save, args=(f"tab {n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        ready.wait()
        threading.Event().wait(0.5)
    for thread in threads:
        thread.join(10)
    winners = [name for name, result in results.items() if isinstance(result, Answer)]
    losers = [result for result in results.values() if isinstance(result, services.StaleVersion)]
    assert len(winners) == 1 and len(losers) == 3
    stored = Answer.objects.get(pk=answer.pk)
    assert (stored.text, stored.version) == (winners[0], 2)
    assert all(loser.current.text in {winners[0], "v1"} for loser in losers)


def test_a_retried_save_whose_first_attempt_landed_is_not_a_conflict(people, criterion):
    alice = people["alice"]
    services.draft_save(candidate=alice, criterion=criterion, text="Same words.", base_version=0)
    again = services.draft_save(
        candidate=alice, criterion=criterion, text="Same words.", base_version=0
    )
    assert (again.text, again.version) == ("Same words.", 1)
