"""Vocabularies of the villages app (DOMAIN.md §2 and §4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TownshipKind(models.TextChoices):
    TOWN = "town", _("Town")
    SUBDISTRICT = "subdistrict", _("Sub-district")


class VillageKind(models.TextChoices):
    # Codes 200–399 are village committees (村委会), 001–199 residents' committees (居委会).
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")


class ElectedBy(models.TextChoices):
    VILLAGERS_ASSEMBLY = "villagers_assembly", _("Villagers' assembly")
    REPRESENTATIVES_ASSEMBLY = "representatives_assembly", _("Villagers' representative assembly")


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    MEMBER = "member", _("Member")


class MembershipEndReason(models.TextChoices):
    TERM_ENDED = "term_ended", _("Term ended")
    RESIGNED = "resigned", _("Resigned")
    RECALLED = "recalled", _("Recalled")
    DISQUALIFIED = "disqualified", _("Disqualified")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class CadrePost(models.TextChoices):
    PARTY_SECRETARY = "party_secretary", _("Party branch secretary")
    DEPUTY_PARTY_SECRETARY = "deputy_party_secretary", _("Deputy Party branch secretary")
    PARTY_COMMITTEE_MEMBER = "party_committee_member", _("Party branch committee member")
    DISCIPLINE_MEMBER = "discipline_member", _("Party branch discipline member")
    DIRECTOR = "director", _("Village committee director")
    DEPUTY_DIRECTOR = "deputy_director", _("Village committee deputy director")
    COMMITTEE_MEMBER = "committee_member", _("Village committee member")
    ACCOUNTANT = "accountant", _("Accountant")
    BOOKKEEPER = "bookkeeper", _("Bookkeeper")
    CLERK = "clerk", _("Clerk")
    GROUP_LEADER = "group_leader", _("Villager group leader")


# Posts that sit on the village committee (村民委员会): only these can be recalled (罢免).
VILLAGE_COMMITTEE_POSTS = frozenset(
    {CadrePost.DIRECTOR, CadrePost.DEPUTY_DIRECTOR, CadrePost.COMMITTEE_MEMBER}
)


class CadreEndReason(models.TextChoices):
    RE_ELECTION = "re_election", _("Re-election")
    RESIGNATION = "resignation", _("Resignation")
    ORDERED_RESIGNATION = "ordered_resignation", _("Ordered to resign")
    RECALL = "recall", _("Recall")
    DISMISSAL = "dismissal", _("Dismissal")
    OTHER = "other", _("Other")


class PowerCategory(models.TextChoices):
    MAJOR_DECISIONS = "major_decisions", _("Major decisions")
    CONSTRUCTION = "construction", _("Construction projects")
    PROCUREMENT = "procurement", _("Procurement")
    ASSETS = "assets", _("Collective assets and resources")
    FINANCE = "finance", _("Village finance")
    DISCLOSURE = "disclosure", _("Disclosure")
    BENEFITS = "benefits", _("Benefits, subsidies and relief")
    HOMESTEAD = "homestead", _("Homestead land")
    LAND = "land", _("Land contracting and requisition compensation")
    SEALS = "seals", _("Seals and certificates")
    PERSONNEL = "personnel", _("Cadre pay and hiring")
    PARTY_AFFAIRS = "party_affairs", _("Party affairs")
    AGENT_SERVICES = "agent_services", _("Agent services")
    OTHER = "other", _("Other")


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Relation(models.TextChoices):
    """Close relatives (近亲属) a cadre declares (近亲属备案)."""

    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    IN_LAW = "in_law", _("Close in-law")
    OTHER = "other", _("Other")


# --- The committee's ledger ---------------------------------------------------------------------


class ReviewKind(models.TextChoices):
    SPENDING = "spending", _("Expense voucher")
    DECISION = "decision", _("Major decision (four deliberations, two disclosures)")
    DISCLOSURE = "disclosure", _("Village affairs disclosure")
    ASSET = "asset", _("Assets and contracts")
    PROJECT = "project", _("Construction project")
    ROSTER = "roster", _("Benefit roster")
    INQUIRY = "inquiry", _("Inquiry")
    APPRAISAL = "appraisal", _("Democratic appraisal")
    MEETING = "meeting", _("Meeting")


# Kinds that carry money paid to someone: voucher fields and the spending flags apply.
MONEY_KINDS = frozenset({ReviewKind.SPENDING, ReviewKind.ASSET, ReviewKind.PROJECT})


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting signatures")
    AWAITING_RESPONSE = "awaiting_response", _("Awaiting the village's response")
    RESPONDED = "responded", _("Village responded")
    CLOSED = "closed", _("Closed")
    ESCALATED = "escalated", _("Escalated to the township discipline commission")


class Outcome(models.TextChoices):
    APPROVE = "approve", _("Approve")
    RETURN_FOR_CORRECTION = "return_for_correction", _("Return for correction")
    INQUIRY = "inquiry", _("Inquiry")
    RECOMMEND_CORRECTION = "recommend_correction", _("Recommend correction")
    REFUSE = "refuse", _("Refuse to sign")
    ESCALATE = "escalate", _("Escalate to the township discipline commission")


# Outcomes after which the village must answer within the township's reply period.
RESPONSE_OUTCOMES = frozenset({Outcome.INQUIRY, Outcome.RECOMMEND_CORRECTION})


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("Submit for signing")
    DECIDE = "decide", _("Outcome decided")
    RESPOND = "respond", _("Respond")
    ACCEPT = "accept", _("Accept the response")
    ESCALATE = "escalate", _("Escalate")
    REOPEN = "reopen", _("Edited: back to signing")


# The review state machine: (from status, action) -> (to status, permission the actor needs).
# `decide` lands on the status its outcome implies (see review_transition); `None` means "any".
REVIEW_TRANSITIONS: dict[tuple[str, str], tuple[str | None, str]] = {
    (ReviewStatus.DRAFT, ReviewAction.SUBMIT): (ReviewStatus.SUBMITTED, "villages.change_review"),
    (ReviewStatus.SUBMITTED, ReviewAction.DECIDE): (None, "villages.sign_review"),
    (ReviewStatus.AWAITING_RESPONSE, ReviewAction.RESPOND): (
        ReviewStatus.RESPONDED,
        "villages.respond_review",
    ),
    (ReviewStatus.RESPONDED, ReviewAction.ACCEPT): (ReviewStatus.CLOSED, "villages.sign_review"),
    (ReviewStatus.SUBMITTED, ReviewAction.ESCALATE): (
        ReviewStatus.ESCALATED,
        "villages.escalate_review",
    ),
    (ReviewStatus.AWAITING_RESPONSE, ReviewAction.ESCALATE): (
        ReviewStatus.ESCALATED,
        "villages.escalate_review",
    ),
    (ReviewStatus.RESPONDED, ReviewAction.ESCALATE): (
        ReviewStatus.ESCALATED,
        "villages.escalate_review",
    ),
    (ReviewStatus.SUBMITTED, ReviewAction.REOPEN): (
        ReviewStatus.SUBMITTED,
        "villages.change_review",
    ),
    (ReviewStatus.CLOSED, ReviewAction.REOPEN): (ReviewStatus.SUBMITTED, "villages.change_review"),
    (ReviewStatus.AWAITING_RESPONSE, ReviewAction.REOPEN): (
        ReviewStatus.SUBMITTED,
        "villages.change_review",
    ),
    (ReviewStatus.RESPONDED, ReviewAction.REOPEN): (
        ReviewStatus.SUBMITTED,
        "villages.change_review",
    ),
}


class InvoiceType(models.TextChoices):
    INVOICE = "invoice", _("Formal invoice")
    RECEIPT = "receipt", _("Receipt")
    IOU = "iou", _("IOU note")


class DecisionStageCode(models.TextChoices):
    """The six stages of 四议两公开, in their required order."""

    PROPOSAL = "proposal", _("Party organisation proposes")
    TWO_COMMITTEES = "two_committees", _("Two committees deliberate")
    PARTY_MEETING = "party_meeting", _("Party members' meeting reviews")
    RESOLUTION = "resolution", _("Villagers' (representative) assembly resolves")
    RESOLUTION_PUBLISHED = "resolution_published", _("Resolution published")
    RESULT_PUBLISHED = "result_published", _("Result published")


class DisclosureChannel(models.TextChoices):
    BOARD = "board", _("Notice board")
    MEETING = "meeting", _("Villagers' meeting")
    ONLINE = "online", _("Online platform")
    OTHER = "other", _("Other")


class RosterProgramme(models.TextChoices):
    DIBAO = "dibao", _("Minimum living allowance")
    EXTREME_HARDSHIP = "extreme_hardship", _("Extreme hardship support")
    DISABILITY = "disability", _("Disability subsidies")
    HOUSING = "housing", _("Dilapidated housing renovation")
    RELIEF = "relief", _("Temporary relief")
    SUBSIDY = "subsidy", _("Other subsidies")


class RecusalGround(models.TextChoices):
    PAYEE = "payee", _("The member is the payee")
    HANDLER = "handler", _("The member is the handler")
    RELATIVE = "relative", _("The member is a declared close relative of the payee or handler")


class FlagCode(models.TextChoices):
    OVER_THRESHOLD_MISSING_STEP = "over_threshold_missing_step", _("Over a tier without its step")
    SPLIT_PAYMENT = "split_payment", _("Payment split under a tier")
    DUPLICATE_VOUCHER = "duplicate_voucher", _("Duplicate voucher number")
    IOU_NOTE = "iou_note", _("IOU note")
    DECISION_OUT_OF_ORDER = "decision_out_of_order", _("Decision stages out of order")
    DECISION_NO_QUORUM = "decision_no_quorum", _("Decision without quorum")
    RELATIVE_BENEFICIARY = "relative_beneficiary", _("Benefit to a cadre's close relative")
    INQUIRY_OVERDUE = "inquiry_overdue", _("Response overdue")
    COMMITTEE_INACTIVE = "committee_inactive", _("No review for 60 days")


# Flags about a village's committee rather than one review: they have no review (RiskFlag).
VILLAGE_FLAG_CODES: tuple[str, ...] = (FlagCode.COMMITTEE_INACTIVE.value,)
# Flags the review services raise about one review, in the vocabulary's order.
REVIEW_FLAG_CODES: tuple[str, ...] = tuple(
    code for code in FlagCode.values if code not in VILLAGE_FLAG_CODES
)
# A committee in office that has recorded no review for this many days is flagged (DOMAIN.md §4).
INACTIVE_AFTER_DAYS = 60
# Village officers are reminded of an inquiry's answer this many days before it is due.
INQUIRY_REMINDER_DAYS = 2


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
