"""Every refusal the rules can give, each with the code a script sees in JSON
and the HTTP status, so one helper (units.views.common.refusal) answers them all.

Messages are translated where they are raised (gettext), in the reader's language."""

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A change the rules do not allow; its message is meant for the user.

    Each kind carries the code a script sees in JSON and the HTTP status, so one
    helper (units.views.common.refusal) answers every refusal the same way.
    """

    code = "refused"
    status = 409

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.details = details

    def as_json(self) -> dict:
        return {"error": self.code, "message": str(self), **self.details}


class Invalid(DomainError):
    """What was sent cannot be used as it is (empty, unticked, not found)."""

    code = "invalid"
    status = 400


class TransitionNotAllowed(DomainError):
    code = "not_allowed"


class AnswerLocked(TransitionNotAllowed):
    """The answer is with the assessor or accepted: its text cannot change now."""

    code = "locked"


class AnswerTooLong(DomainError):
    code = "too_large"
    status = 400


class EmptyAnswer(Invalid):
    pass


class WrongPerson(DomainError):
    """The page was loaded for someone other than the person signed in now."""

    code = "wrong_person"
    status = 403


class Unavailable(DomainError):
    """The database refused the write (locked, down, full): nothing was changed."""

    code = "unavailable"
    status = 503


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429


def status_details(answer) -> dict:
    """Where the answer stands, for a page that must show the server's truth."""
    from .models import Answer

    status = Answer.Status(answer.status if answer else Answer.Status.NOT_STARTED)
    return {"status": status.value, "status_label": str(status.label)}


class StaleVersion(DomainError):
    """The answer changed since the editor loaded it (another tab or device)."""

    code = "conflict"

    def __init__(self, current):
        super().__init__(
            _(
                "This answer was changed somewhere else (another tab or device) since you "
                "opened it. Nothing was overwritten: choose which text to keep."
            ),
            server_text=current.text if current else "",
            server_version=current.version if current else 0,
            **status_details(current),
        )
        self.current = current
