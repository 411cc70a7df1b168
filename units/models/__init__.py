from .content import LearningOutcome, ModelAnswer, Reading, Unit, UnitIntroduction
from .work import Answer, Assignment, Revision

__all__ = [
    "Answer",
    "Assignment",
    "LearningOutcome",
    "ModelAnswer",
    "Reading",
    "Revision",
    "Unit",
    "UnitIntroduction",
]
