"""Every write of the cases app (CONVENTIONS §1): import services from here."""

from cases.services.cases import (
    allowed_moves,
    case_add_subject,
    case_assign,
    case_open,
    case_transition,
    case_unassign,
    restricted_case,
)
from cases.services.complaints import (
    complaint_close,
    complaint_create,
    complaint_from_review,
    complaint_mark_duplicate,
    complaint_message,
    complaint_not_accept,
    complaint_receive,
    complaint_register,
    complaint_transfer,
    complaint_transition,
    restricted_complaint,
)
from cases.services.deadlines import deadline_open, deadline_state, deadlines_meet
from cases.services.errors import InvalidInput, NotFound, SanctionRefused, TransitionRefused
from cases.services.numbers import next_number

__all__ = [
    "InvalidInput",
    "NotFound",
    "SanctionRefused",
    "TransitionRefused",
    "allowed_moves",
    "case_add_subject",
    "case_assign",
    "case_open",
    "case_transition",
    "case_unassign",
    "complaint_close",
    "complaint_create",
    "complaint_from_review",
    "complaint_mark_duplicate",
    "complaint_message",
    "complaint_not_accept",
    "complaint_receive",
    "complaint_register",
    "complaint_transfer",
    "complaint_transition",
    "deadline_open",
    "deadline_state",
    "deadlines_meet",
    "next_number",
    "restricted_case",
    "restricted_complaint",
]
