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
