"""What an answer's reader sees of its assessment: the comments, the highlighted
passages, what changed since the last review, and the history of its states."""

from .models import Action, Answer
from .text import highlight, word_diff

FOLD_THREADS_AFTER = 15
RECENT_COMMENTS = 10


def feedback_context(answer: Answer | None, *, for_candidate: bool) -> dict:
    """Three queries, whatever the number of revisions and comments.

    The word diff since the last review is for the assessor's page only: it costs
    more than the rest of the page put together (up to its time budget, see
    units.text.word_diff), and the candidate has their own revisions page to
    compare any two.
    """
    if answer is None or answer.submitted_at is None:
        return {"revisions": [], "comments": [], "recent_comments": [], "history": []}
    revisions = list(answer.revisions.all())
    history = list(answer.audit_entries.select_related("actor", "revision"))
    # Every decision (accept, return, reopen) is in the history with the revision it
    # was made on: the history says which revisions were decided, no query of its own.
    decided = {entry.revision_id for entry in history if entry.action != Action.SUBMIT}
    comments = list(answer.comments.select_related("author", "revision"))
    if for_candidate:
        # The candidate sees the assessor's comments once a decision is made.
        comments = [
            c for c in comments if c.revision_id in decided or c.author_id == answer.candidate_id
        ]
    latest = revisions[-1]
    for number, comment in enumerate(comments, 1):
        comment.number = number
        comment.on_latest = comment.revision_id == latest.pk
        comment.passage_gone = bool(comment.quote) and comment.quote not in latest.text
    passages = [(c.quote_start, c.quote_end, c.number) for c in comments if c.on_latest and c.quote]
    reviewed = [r for r in revisions if r.pk in decided and r.number < latest.number]
    last_reviewed = reviewed[-1] if reviewed else None
    # A long thread shows its latest comments; the earlier ones fold away.
    folded = len(comments) - RECENT_COMMENTS if len(comments) > FOLD_THREADS_AFTER else 0
    return {
        "revisions": revisions,
        "latest_revision": latest,
        "highlighted": highlight(latest.text, passages),
        "comments": comments,
        "earlier_comments": comments[:folded],
        "recent_comments": comments[folded:],
        "last_reviewed": last_reviewed,
        "changes": (
            word_diff(last_reviewed.text, latest.text)
            if last_reviewed and not for_candidate
            else None
        ),
        "history": history,
    }
