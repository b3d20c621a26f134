"""Vocabularies of the discipline pipeline (DOMAIN.md §2, §5) and its transition tables."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")
    PHONE = "phone", _("Phone (12388)")
    ONLINE = "online", _("Online")
    ONSITE = "onsite", _("On site")
    COMMITTEE = "committee", _("Supervision committee escalation")
    INSPECTION = "inspection", _("Inspection tour")
    AUDIT = "audit", pgettext_lazy("channel", "Audit")
    ASSIGNED = "assigned", _("Assigned from above")
    TRANSFERRED = "transferred", _("Transferred by police or courts")
    DATA_ALERT = "data_alert", _("Data cross-check alert")
    MEDIA = "media", _("Media")
    OTHER = "other", _("Other")


class Category(models.TextChoices):
    """The 21 allegation categories (domain-research §4.2)."""

    EMBEZZLEMENT = "embezzlement", _("Embezzling collective funds or assets")
    MISAPPROPRIATION = "misappropriation", _("Misappropriating funds")
    BENEFIT_SKIMMING = "benefit_skimming", _("Skimming benefit money")
    FALSE_CLAIMS = "false_claims", _("False claims for subsidies")
    FAVOURITISM = "favouritism", _("Favouring relatives and friends")
    PROJECT_VIOLATION = "project_violation", _("Construction project violations")
    ASSET_DISPOSAL = "asset_disposal", _("Improper disposal of assets")
    FINANCIAL_VIOLATION = "financial_violation", _("Financial violations")
    UNAUTHORISED_ALLOWANCE = "unauthorised_allowance", _("Unauthorised bonuses and allowances")
    BANQUETING_GIFTS = "banqueting_gifts", _("Banqueting and gifts")
    EXTORTION_FEES = "extortion_fees", _("Extortion and illegal fees")
    BRIBERY = "bribery", _("Bribery")
    NON_DISCLOSURE = "non_disclosure", _("Village affairs not disclosed")
    DECISION_PROCEDURE = "decision_procedure", _("Breach of the 4+2 decision procedure")
    ELECTION_VIOLATION = "election_violation", _("Election violations")
    REQUISITION_COMPENSATION = "requisition_compensation", _("Requisition compensation")
    HOMESTEAD = "homestead", _("Homestead approval")
    SEAL_CERTIFICATE = "seal_certificate", _("Misuse of seals or certificates")
    DERELICTION = "dereliction", _("Dereliction of duty")
    RETALIATION = "retaliation", _("Retaliation against reporters or committee members")
    OTHER = "other", _("Other")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    REGISTERED = "registered", pgettext_lazy("complaint status", "Registered")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    DUPLICATE = "duplicate", _("Duplicate")
    TRANSFERRED = "transferred", _("Transferred")
    IN_PROCESS = "in_process", _("In process")
    CONCLUDED = "concluded", _("Concluded")
    FEEDBACK_GIVEN = "feedback_given", _("Feedback given")
    CLOSED = "closed", pgettext_lazy("complaint status", "Closed")


class ComplaintAction(models.TextChoices):
    REGISTER = "register", _("Register")
    NOT_ACCEPT = "not_accept", _("Do not accept")
    MARK_DUPLICATE = "mark_duplicate", _("Mark as duplicate")
    TRANSFER = "transfer", _("Transfer")
    OPEN_CASE = "open_case", _("Open a case")
    CONCLUDE = "conclude", _("Conclude")
    GIVE_FEEDBACK = "give_feedback", _("Give feedback")
    CLOSE = "close", _("Close")


# (from, action) → to. Each action's permission is in COMPLAINT_ACTION_PERMISSIONS.
COMPLAINT_TRANSITIONS: dict[tuple[str, str], str] = {
    (ComplaintStatus.RECEIVED, ComplaintAction.REGISTER): ComplaintStatus.REGISTERED,
    (ComplaintStatus.RECEIVED, ComplaintAction.MARK_DUPLICATE): ComplaintStatus.DUPLICATE,
    (ComplaintStatus.REGISTERED, ComplaintAction.MARK_DUPLICATE): ComplaintStatus.DUPLICATE,
    (ComplaintStatus.REGISTERED, ComplaintAction.NOT_ACCEPT): ComplaintStatus.NOT_ACCEPTED,
    (ComplaintStatus.REGISTERED, ComplaintAction.TRANSFER): ComplaintStatus.TRANSFERRED,
    (ComplaintStatus.REGISTERED, ComplaintAction.OPEN_CASE): ComplaintStatus.IN_PROCESS,
    (ComplaintStatus.IN_PROCESS, ComplaintAction.CONCLUDE): ComplaintStatus.CONCLUDED,
    (ComplaintStatus.CONCLUDED, ComplaintAction.GIVE_FEEDBACK): ComplaintStatus.FEEDBACK_GIVEN,
    (ComplaintStatus.CONCLUDED, ComplaintAction.CLOSE): ComplaintStatus.CLOSED,
    (ComplaintStatus.FEEDBACK_GIVEN, ComplaintAction.CLOSE): ComplaintStatus.CLOSED,
}
COMPLAINT_ACTION_PERMISSIONS: dict[str, str] = {
    ComplaintAction.REGISTER: "cases.change_complaint",
    ComplaintAction.NOT_ACCEPT: "cases.change_complaint",
    ComplaintAction.MARK_DUPLICATE: "cases.change_complaint",
    ComplaintAction.TRANSFER: "cases.change_complaint",
    ComplaintAction.OPEN_CASE: "cases.add_case",
    ComplaintAction.CONCLUDE: "cases.change_complaint",
    ComplaintAction.GIVE_FEEDBACK: "cases.change_complaint",
    ComplaintAction.CLOSE: "cases.change_complaint",
}
# Statuses in which the complaint is still being dealt with (the queue of intake).
COMPLAINT_OPEN = frozenset(
    {ComplaintStatus.RECEIVED, ComplaintStatus.REGISTERED, ComplaintStatus.IN_PROCESS}
)
COMPLAINT_DONE = frozenset(
    {ComplaintStatus.CONCLUDED, ComplaintStatus.FEEDBACK_GIVEN, ComplaintStatus.CLOSED}
)


class PublicStage(models.TextChoices):
    """What a reporter or the escalating committee is told: plain words, no internals."""

    RECEIVED = "received", _("Received, waiting to be registered")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("Being dealt with")
    CONCLUDED = "concluded", _("Concluded")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    TRANSFERRED = "transferred", _("Passed to the competent authority")


PUBLIC_STAGE = {
    ComplaintStatus.RECEIVED: PublicStage.RECEIVED,
    ComplaintStatus.REGISTERED: PublicStage.ACCEPTED,
    ComplaintStatus.DUPLICATE: PublicStage.ACCEPTED,
    ComplaintStatus.IN_PROCESS: PublicStage.IN_PROGRESS,
    ComplaintStatus.NOT_ACCEPTED: PublicStage.NOT_ACCEPTED,
    ComplaintStatus.TRANSFERRED: PublicStage.TRANSFERRED,
    ComplaintStatus.CONCLUDED: PublicStage.CONCLUDED,
    ComplaintStatus.FEEDBACK_GIVEN: PublicStage.CONCLUDED,
    ComplaintStatus.CLOSED: PublicStage.CONCLUDED,
}


class MessageKind(models.TextChoices):
    """What passed between the commission and the reporter (never internal notes)."""

    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    QUESTION = "question", _("Question from the handler")
    ANSWER = "answer", _("Answer from the reporter")
    FEEDBACK = "feedback", _("Result feedback")
    NOTICE = "notice", _("Notice")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class CaseKind(models.TextChoices):
    VIOLATION = "violation", _("Violation of discipline or law")
    DERELICTION = "dereliction", _("Accountability for failing duties")


class CaseStatus(models.TextChoices):
    REGISTERED = "registered", pgettext_lazy("case status", "Registered")
    DISPOSITION_PROPOSED = "disposition_proposed", _("Disposition proposed")
    TALK_INQUIRY = "talk_inquiry", _("Talk or letter inquiry")
    PRELIMINARY_VERIFICATION = "preliminary_verification", _("Preliminary verification")
    SHELVED = "shelved", _("Shelved pending")
    CLOSED_NO_ACTION = "closed_no_action", _("Closed without action")
    FILED = "filed", pgettext_lazy("case status", "Filed")
    INVESTIGATING = "investigating", _("Investigating")
    HEARD = "heard", _("Heard (statement and defence)")
    TRIAL_REVIEW = "trial_review", _("Trial review")
    AWAITING_DECISION = "awaiting_decision", _("Awaiting decision")
    DECIDED = "decided", pgettext_lazy("case status", "Decided")
    EXECUTING = "executing", _("Executing")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    TRANSFERRED = "transferred", _("Transferred to the judiciary")


# The four ways a clue can be disposed of (分类处置); a leader approves a proposal of one.
DISPOSITIONS = (
    CaseStatus.TALK_INQUIRY,
    CaseStatus.PRELIMINARY_VERIFICATION,
    CaseStatus.SHELVED,
    CaseStatus.CLOSED_NO_ACTION,
)
# A case in one of these has ended: its complaints are concluded.
CASE_ENDED = frozenset(
    {
        CaseStatus.CLOSED_NO_ACTION,
        CaseStatus.CLOSED,
        CaseStatus.WITHDRAWN,
        CaseStatus.TRANSFERRED,
        CaseStatus.DECIDED,
        CaseStatus.EXECUTING,
    }
)
# Sanctions may be recorded while the case is in one of these.
SANCTION_STATUSES = frozenset(
    {
        CaseStatus.TALK_INQUIRY,
        CaseStatus.PRELIMINARY_VERIFICATION,
        CaseStatus.AWAITING_DECISION,
        CaseStatus.DECIDED,
    }
)


class Duty(models.TextChoices):
    """Who, on the case, may make a move (besides holding the permission)."""

    HANDLER = "handler", _("Handler")
    INVESTIGATOR = "investigator", _("Investigator")
    TRIAL_REVIEWER = "trial_reviewer", _("Trial reviewer")
    LEADER = "leader", _("Leader")


class AssignmentRole(models.TextChoices):
    HANDLER = "handler", _("Handler")
    INVESTIGATOR = "investigator", _("Investigator")
    TRIAL_REVIEWER = "trial_reviewer", _("Trial reviewer")


@dataclass(frozen=True)
class Move:
    """One allowed move of a case: the permission it needs and who on the case may make it."""

    permission: str
    duty: str


_HANDLE = Move("cases.handle_case", Duty.HANDLER)
_INVESTIGATE = Move("cases.handle_case", Duty.INVESTIGATOR)
_TRIAL = Move("cases.trial_review_case", Duty.TRIAL_REVIEWER)
_APPROVE = Move("cases.approve_case", Duty.LEADER)
_DECIDE = Move("cases.decide_case", Duty.LEADER)

# The case pipeline of DOMAIN.md §5: (from, to) → the move. Nothing else is possible.
CASE_TRANSITIONS: dict[tuple[str, str], Move] = {
    # Disposition (分类处置): a handler proposes, a leader who is not the proposer approves.
    (CaseStatus.REGISTERED, CaseStatus.DISPOSITION_PROPOSED): _HANDLE,
    (CaseStatus.SHELVED, CaseStatus.DISPOSITION_PROPOSED): _HANDLE,
    (CaseStatus.TALK_INQUIRY, CaseStatus.DISPOSITION_PROPOSED): _HANDLE,
    (CaseStatus.PRELIMINARY_VERIFICATION, CaseStatus.DISPOSITION_PROPOSED): _HANDLE,
    (CaseStatus.DISPOSITION_PROPOSED, CaseStatus.TALK_INQUIRY): _APPROVE,
    (CaseStatus.DISPOSITION_PROPOSED, CaseStatus.PRELIMINARY_VERIFICATION): _APPROVE,
    (CaseStatus.DISPOSITION_PROPOSED, CaseStatus.SHELVED): _APPROVE,
    (CaseStatus.DISPOSITION_PROPOSED, CaseStatus.CLOSED_NO_ACTION): _APPROVE,
    (CaseStatus.DISPOSITION_PROPOSED, CaseStatus.REGISTERED): _APPROVE,  # sent back
    (CaseStatus.REGISTERED, CaseStatus.TRANSFERRED): _APPROVE,
    # Form-1 measures after a talk or a verification are decided by the leader.
    (CaseStatus.TALK_INQUIRY, CaseStatus.DECIDED): _DECIDE,
    (CaseStatus.PRELIMINARY_VERIFICATION, CaseStatus.DECIDED): _DECIDE,
    # Filing (立案) is approved by a leader who is not a handler of the case.
    (CaseStatus.PRELIMINARY_VERIFICATION, CaseStatus.FILED): _APPROVE,
    (CaseStatus.FILED, CaseStatus.INVESTIGATING): _INVESTIGATE,
    (CaseStatus.INVESTIGATING, CaseStatus.HEARD): _INVESTIGATE,
    (CaseStatus.HEARD, CaseStatus.TRIAL_REVIEW): _INVESTIGATE,
    (CaseStatus.TRIAL_REVIEW, CaseStatus.INVESTIGATING): _TRIAL,  # returned for more evidence
    (CaseStatus.TRIAL_REVIEW, CaseStatus.AWAITING_DECISION): _TRIAL,
    (CaseStatus.AWAITING_DECISION, CaseStatus.DECIDED): _DECIDE,
    (CaseStatus.AWAITING_DECISION, CaseStatus.WITHDRAWN): _DECIDE,
    (CaseStatus.AWAITING_DECISION, CaseStatus.TRANSFERRED): _DECIDE,
    (CaseStatus.DECIDED, CaseStatus.EXECUTING): _HANDLE,
    (CaseStatus.DECIDED, CaseStatus.CLOSED): _HANDLE,  # nothing to execute (form-1 measures)
    (CaseStatus.EXECUTING, CaseStatus.CLOSED): _HANDLE,
}


class EventKind(models.TextChoices):
    CREATED = "created", _("Case opened")
    TRANSITION = "transition", _("Status changed")
    ASSIGNMENT = "assignment", _("Assignment changed")
    SANCTION = "sanction", _("Sanction")
    APPEAL = "appeal", _("Appeal")
    DEADLINE = "deadline", _("Deadline")
    NOTE = "note", _("Note")
    REVEAL = "reveal", _("Reporter identity revealed")


class Stage(models.TextChoices):
    """A deadline's stage, with its legal duration in DEADLINE_RULES."""

    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledge a named reporter")
    FEEDBACK = "feedback", _("Tell a named reporter the result")
    DISPOSITION = "disposition", _("Propose a disposition")
    TALK_INQUIRY = "talk_inquiry", _("Talk or letter inquiry")
    WRITTEN_REPLY = "written_reply", _("Written reply to the inquiry")
    PRELIMINARY_VERIFICATION = "preliminary_verification", _("Preliminary verification")
    SHELVED_REVIEW = "shelved_review", _("Review the shelved clue")
    INVESTIGATION = "investigation", _("Investigation")
    TRIAL_REVIEW = "trial_review", _("Trial review")
    ANNOUNCE_DECISION = "announce_decision", _("Announce the decision")
    EXECUTION_REPORT = "execution_report", _("Report the execution")
    PARTY_APPEAL = "party_appeal", _("Party re-examination of an appeal")
    REEXAMINATION = "reexamination", _("Re-examination of an appeal")
    HIGHER_REVIEW = "higher_review", _("Review of an appeal by the higher level")


class Unit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    DAYS = "days", _("days")
    MONTHS = "months", _("months")


@dataclass(frozen=True)
class DeadlineRule:
    """A legal time limit (domain-research §3.6): its length, unit and allowed extensions."""

    amount: int
    unit: str
    extension: int = 0  # how long one extension may be, in the same unit (0: none allowed)
    max_extensions: int = 0


DEADLINE_RULES: dict[str, DeadlineRule] = {
    Stage.ACKNOWLEDGEMENT: DeadlineRule(15, Unit.WORKING_DAYS),
    Stage.FEEDBACK: DeadlineRule(15, Unit.WORKING_DAYS),
    Stage.DISPOSITION: DeadlineRule(30, Unit.DAYS, 30, 1),
    Stage.TALK_INQUIRY: DeadlineRule(30, Unit.DAYS, 30, 1),
    Stage.WRITTEN_REPLY: DeadlineRule(15, Unit.WORKING_DAYS),
    Stage.PRELIMINARY_VERIFICATION: DeadlineRule(2, Unit.MONTHS, 1, 1),
    Stage.SHELVED_REVIEW: DeadlineRule(30, Unit.DAYS),
    Stage.INVESTIGATION: DeadlineRule(90, Unit.DAYS, 90, 1),
    Stage.TRIAL_REVIEW: DeadlineRule(1, Unit.MONTHS, 1, 1),
    Stage.ANNOUNCE_DECISION: DeadlineRule(1, Unit.MONTHS),
    Stage.EXECUTION_REPORT: DeadlineRule(6, Unit.MONTHS),
    Stage.PARTY_APPEAL: DeadlineRule(3, Unit.MONTHS),
    Stage.REEXAMINATION: DeadlineRule(1, Unit.MONTHS),
    Stage.HIGHER_REVIEW: DeadlineRule(2, Unit.MONTHS),
}
# The deadlines that start when a case enters a status. A talk or letter inquiry has two: the
# 30 days of the inquiry and the 15 working days in which the cadre must answer in writing.
STATUS_DEADLINES: dict[str, tuple[str, ...]] = {
    CaseStatus.REGISTERED: (Stage.DISPOSITION,),
    CaseStatus.TALK_INQUIRY: (Stage.TALK_INQUIRY, Stage.WRITTEN_REPLY),
    CaseStatus.PRELIMINARY_VERIFICATION: (Stage.PRELIMINARY_VERIFICATION,),
    CaseStatus.SHELVED: (Stage.SHELVED_REVIEW,),
    CaseStatus.INVESTIGATING: (Stage.INVESTIGATION,),
    CaseStatus.TRIAL_REVIEW: (Stage.TRIAL_REVIEW,),
    CaseStatus.DECIDED: (Stage.ANNOUNCE_DECISION,),
    CaseStatus.EXECUTING: (Stage.EXECUTION_REPORT,),
}
# Days before the due date from which a deadline is "due soon".
DUE_SOON_DAYS = 5


class DeadlineState(models.TextChoices):
    OK = "ok", _("On time")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    MET = "met", _("Met")


class SanctionFamily(models.TextChoices):
    FIRST_FORM = "first_form", _("First-form measure")
    PARTY = "party", _("Party discipline")
    GOVERNMENT = "government", _("Government sanction")
    ORGANISATIONAL = "organisational", _("Organisational handling")
    SELF_GOVERNMENT = "self_government", _("Village self-government measure")
    JUDICIAL = "judicial", _("Judicial transfer")


class SanctionType(models.TextChoices):
    REMINDER_TALK = "reminder_talk", _("Reminder talk")
    CRITICISM_EDUCATION = "criticism_education", _("Criticism and education")
    ORDERED_SELF_EXAMINATION = "ordered_self_examination", _("Ordered self-examination")
    ADMONISHMENT = "admonishment", _("Admonishment")
    WARNING_TALK = "warning_talk", _("Warning talk")
    PUBLIC_SELF_CRITICISM = "public_self_criticism", _("Public self-criticism")
    CIRCULATED_CRITICISM = "circulated_criticism", _("Circulated criticism")
    PARTY_WARNING = "party_warning", _("Party warning")
    PARTY_SERIOUS_WARNING = "party_serious_warning", _("Party serious warning")
    PARTY_POST_REMOVAL = "party_post_removal", _("Removal from Party posts")
    PARTY_PROBATION = "party_probation", _("Party probation")
    PARTY_EXPULSION = "party_expulsion", _("Expulsion from the Party")
    GOV_WARNING = "gov_warning", pgettext_lazy("government sanction", "Warning")
    GOV_DEMERIT = "gov_demerit", _("Demerit")
    GOV_MAJOR_DEMERIT = "gov_major_demerit", _("Major demerit")
    GOV_DEMOTION = "gov_demotion", _("Demotion (government sanction)")
    GOV_DISMISSAL = "gov_dismissal", _("Dismissal (government sanction)")
    GOV_EXPULSION = "gov_expulsion", _("Expulsion from public employment")
    SUSPENSION = "suspension", _("Suspension for examination")
    REASSIGNMENT = "reassignment", _("Reassignment")
    ORDERED_RESIGNATION = "ordered_resignation", _("Ordered resignation")
    DISMISSAL_FROM_POST = "dismissal_from_post", _("Dismissal from post")
    DEMOTION = "demotion", _("Demotion")
    CANCEL_ELECTION = "cancel_election", _("Election cancelled")
    RECALL = "recall", _("Recall")
    JUDICIAL_TRANSFER = "judicial_transfer", _("Transfer to the judiciary")


@dataclass(frozen=True)
class SanctionRule:
    """A sanction type's family, its form (四种形态) and its effect period in months."""

    family: str
    form: int
    months: int = 0


_T = SanctionType
_F = SanctionFamily
SANCTION_RULES: dict[str, SanctionRule] = {
    _T.REMINDER_TALK: SanctionRule(_F.FIRST_FORM, 1),
    _T.CRITICISM_EDUCATION: SanctionRule(_F.FIRST_FORM, 1),
    _T.ORDERED_SELF_EXAMINATION: SanctionRule(_F.FIRST_FORM, 1),
    _T.ADMONISHMENT: SanctionRule(_F.FIRST_FORM, 1),
    _T.WARNING_TALK: SanctionRule(_F.FIRST_FORM, 1),
    _T.PUBLIC_SELF_CRITICISM: SanctionRule(_F.FIRST_FORM, 1),
    _T.CIRCULATED_CRITICISM: SanctionRule(_F.FIRST_FORM, 1),
    _T.PARTY_WARNING: SanctionRule(_F.PARTY, 2, 12),
    _T.PARTY_SERIOUS_WARNING: SanctionRule(_F.PARTY, 2, 18),
    _T.PARTY_POST_REMOVAL: SanctionRule(_F.PARTY, 3, 24),
    _T.PARTY_PROBATION: SanctionRule(_F.PARTY, 3, 12),  # one year, or two (probation_years)
    _T.PARTY_EXPULSION: SanctionRule(_F.PARTY, 3, 60),
    _T.GOV_WARNING: SanctionRule(_F.GOVERNMENT, 2, 6),
    _T.GOV_DEMERIT: SanctionRule(_F.GOVERNMENT, 2, 12),
    _T.GOV_MAJOR_DEMERIT: SanctionRule(_F.GOVERNMENT, 2, 18),
    _T.GOV_DEMOTION: SanctionRule(_F.GOVERNMENT, 3, 24),
    _T.GOV_DISMISSAL: SanctionRule(_F.GOVERNMENT, 3, 24),
    _T.GOV_EXPULSION: SanctionRule(_F.GOVERNMENT, 3),
    _T.SUSPENSION: SanctionRule(_F.ORGANISATIONAL, 2),
    _T.REASSIGNMENT: SanctionRule(_F.ORGANISATIONAL, 2),
    _T.ORDERED_RESIGNATION: SanctionRule(_F.ORGANISATIONAL, 2),
    _T.DISMISSAL_FROM_POST: SanctionRule(_F.ORGANISATIONAL, 2),
    _T.DEMOTION: SanctionRule(_F.ORGANISATIONAL, 3),
    _T.CANCEL_ELECTION: SanctionRule(_F.SELF_GOVERNMENT, 2),
    _T.RECALL: SanctionRule(_F.SELF_GOVERNMENT, 2),
    _T.JUDICIAL_TRANSFER: SanctionRule(_F.JUDICIAL, 4),
}
# 政务处分法 art. 22: for people managing a grassroots self-governing organisation (village
# cadres) only these government sanctions exist.
VILLAGE_GOVERNMENT_SANCTIONS = frozenset({_T.GOV_WARNING, _T.GOV_DEMERIT, _T.GOV_MAJOR_DEMERIT})
# Only members of the village committee are elected by the villagers and so can be recalled
# or have their election cancelled.
ELECTED_POST_SANCTIONS = frozenset({_T.RECALL, _T.CANCEL_ELECTION})


class SanctionStatus(models.TextChoices):
    IN_FORCE = "in_force", _("In force")
    CHANGED = "changed", _("Changed on appeal")
    REVOKED = "revoked", _("Revoked on appeal")


class AppealLevel(models.TextChoices):
    REEXAMINATION = "reexamination", _("Re-examination (复审)")
    HIGHER_REVIEW = "higher_review", _("Review by the higher level (复核)")
    PARTY = "party", _("Party re-examination (复议复查)")


APPEAL_STAGE = {
    AppealLevel.REEXAMINATION: Stage.REEXAMINATION,
    AppealLevel.HIGHER_REVIEW: Stage.HIGHER_REVIEW,
    AppealLevel.PARTY: Stage.PARTY_APPEAL,
}


class AppealStatus(models.TextChoices):
    FILED = "filed", pgettext_lazy("appeal status", "Filed")
    ACCEPTED = "accepted", _("Accepted")
    DECIDED = "decided", pgettext_lazy("appeal status", "Decided")


class AppealResult(models.TextChoices):
    UPHOLD = "uphold", _("Upheld")
    CHANGE = "change", _("Changed")
    REVOKE = "revoke", _("Revoked")
