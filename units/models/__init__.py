from .content import LearningOutcome, ModelAnswer, Reading, Unit, UnitIntroduction
from .people import Profile
from .review import AuditEntry, Comment, Decision
from .search import SearchEntry
from .security import SecurityEvent
from .work import Action, Answer, Assignment, Revision

__all__ = [
    "Action",
    "Answer",
    "Assignment",
    "AuditEntry",
    "Comment",
    "Decision",
    "LearningOutcome",
    "ModelAnswer",
    "Profile",
    "Reading",
    "Revision",
    "SearchEntry",
    "SecurityEvent",
    "Unit",
    "UnitIntroduction",
]
