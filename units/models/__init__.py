from .content import (
    LearningOutcome,
    ModelAnswer,
    Qualification,
    Reading,
    Unit,
    UnitIntroduction,
)
from .imports import ContentImport
from .people import Profile
from .quality import SamplingPlan, SamplingRule, SignOffEvent, UnitSignOff, Verification
from .records import PortfolioExport, PortfolioGrant, RecordAccess
from .review import AuditEntry, Comment, Decision
from .search import SearchEntry
from .security import SecurityEvent
from .work import Action, Answer, Assignment, Enrolment, Revision

__all__ = [
    "PortfolioExport",
    "PortfolioGrant",
    "RecordAccess",
    "SamplingPlan",
    "SamplingRule",
    "SignOffEvent",
    "UnitSignOff",
    "Verification",
    "Action",
    "Answer",
    "Assignment",
    "AuditEntry",
    "Comment",
    "ContentImport",
    "Decision",
    "Enrolment",
    "LearningOutcome",
    "ModelAnswer",
    "Profile",
    "Qualification",
    "Reading",
    "Revision",
    "SearchEntry",
    "SecurityEvent",
    "Unit",
    "UnitIntroduction",
]
