from .content import LearningOutcome, ModelAnswer, Reading, Unit, UnitIntroduction
from .review import AuditEntry, Comment, Decision
from .security import SecurityEvent
from .work import Answer, Assignment, Revision

__all__ = [
    "Answer",
    "Assignment",
    "AuditEntry",
    "Comment",
    "Decision",
    "LearningOutcome",
    "ModelAnswer",
    "Reading",
    "Revision",
    "SecurityEvent",
    "Unit",
    "UnitIntroduction",
]
