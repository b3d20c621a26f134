"""Records of the cases app: complaints and the reporter vault, cases, sanctions, appeals and
deadlines."""

from cases.models.cases import (
    Appeal,
    AppealReviewer,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseQuerySet,
    CaseSubject,
    NumberSequence,
    Sanction,
)
from cases.models.complaints import (
    Complaint,
    ComplaintAttachment,
    ComplaintCadre,
    ComplaintCategory,
    ComplaintMessage,
    ComplaintQuerySet,
    ReporterIdentity,
    SensitiveAccess,
)
from cases.models.deadlines import (
    CalendarDay,
    Deadline,
    DeadlineExtension,
    DeadlinePause,
    SweepRun,
)

__all__ = [
    "Appeal",
    "AppealReviewer",
    "CalendarDay",
    "Case",
    "CaseAssignment",
    "CaseEvent",
    "CaseQuerySet",
    "CaseSubject",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintCadre",
    "ComplaintCategory",
    "ComplaintMessage",
    "ComplaintQuerySet",
    "Deadline",
    "DeadlineExtension",
    "DeadlinePause",
    "NumberSequence",
    "ReporterIdentity",
    "Sanction",
    "SensitiveAccess",
    "SweepRun",
]
