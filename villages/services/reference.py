"""Every write to the villages app's records: reference data, committees, cadres, jurisdiction."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from oversight import roles
from oversight.errors import NotPermitted, OversightError
from oversight.services import tracked_delete, tracked_save
from villages import choices
from villages.jurisdiction import OVERSEE_TOWNSHIP, OVERSEE_VILLAGE
from villages.models import (
    Cadre,
    CadreRelative,
    CommitteeMembership,
    PowerItem,
    SupervisionCommittee,
    Township,
    TownshipUserPermission,
    Village,
    VillageUserPermission,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_COMMITTEE_MEMBERS = 5


class CommitteeFull(OversightError):
    default_message = _("A supervision committee has at most five members.")


class ChairTaken(OversightError):
    default_message = _("The committee already has an active chair.")


class AlreadyMember(OversightError):
    default_message = _("This person already sits on the committee.")


class IneligibleMember(OversightError):
    default_message = _(
        "Members of the village committee may not sit on its supervision committee."
    )


class MembershipEnded(OversightError):
    default_message = _("This membership has already ended.")


class ReasonRequired(OversightError):
    default_message = _("Give a reason for this change.")


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    return reason


def _require_admin(actor: User) -> None:
    """Jurisdiction is managed by administrators and by the system user's own jobs."""
    from django.conf import settings

    if actor.username == settings.SYSTEM_USERNAME or actor.has_perm("auth.change_user"):
        return
    raise NotPermitted()


# --- Reference data ----------------------------------------------------------------------------


@transaction.atomic
def township_create(*, actor: User, code: str, name: str, kind: str, reason: str) -> Township:
    """Register a township of the district."""
    return tracked_save(
        Township(code=code, name=name, kind=kind), actor=actor, reason=_require_reason(reason)
    )


@transaction.atomic
def village_create(
    *,
    actor: User,
    township: Township,
    code: str,
    name: str,
    kind: str,
    valid_from: datetime.date | None = None,
    is_synthetic: bool = False,
    reason: str,
) -> Village:
    """Register a village or community under its township."""
    village = Village(
        township=township,
        code=code,
        name=name,
        kind=kind,
        valid_from=valid_from,
        is_synthetic=is_synthetic,
    )
    return tracked_save(village, actor=actor, reason=_require_reason(reason))


@transaction.atomic
def power_item_create(
    *,
    actor: User,
    code: str,
    category: str,
    name: str,
    steps: list[str],
    risk_points: list[dict[str, str]],
    basis: str = "",
    reason: str,
) -> PowerItem:
    """Add an item to the district's power list."""
    item = PowerItem(
        code=code, category=category, name=name, steps=steps, risk_points=risk_points, basis=basis
    )
    return tracked_save(item, actor=actor, reason=_require_reason(reason))


@transaction.atomic
def reference_save(*, actor: User, instance: Any, reason: str) -> Any:
    """Create or edit reference data from the admin: validated, with actor and reason in history."""
    return tracked_save(instance, actor=actor, reason=_require_reason(reason))


# --- Jurisdiction -------------------------------------------------------------------------------


def _grant_target(
    village: Village | None, township: Township | None
) -> tuple[type[VillageUserPermission] | type[TownshipUserPermission], Any, str]:
    if (village is None) == (township is None):
        raise ValueError("Name exactly one of village or township.")
    if village is not None:
        return VillageUserPermission, village, OVERSEE_VILLAGE
    return TownshipUserPermission, township, OVERSEE_TOWNSHIP


@transaction.atomic
def jurisdiction_grant(
    *,
    actor: User,
    user: User,
    village: Village | None = None,
    township: Township | None = None,
    reason: str,
) -> VillageUserPermission | TownshipUserPermission:
    """Give `user` jurisdiction over one village, or over a township and so all its villages."""
    _require_admin(actor)
    reason = _require_reason(reason)
    model, target, codename = _grant_target(village, township)
    permission = Permission.objects.get(content_type__app_label="villages", codename=codename)
    existing = model.objects.filter(user=user, permission=permission, content_object=target).first()
    if existing is not None:
        return existing
    return tracked_save(
        model(user=user, permission=permission, content_object=target), actor=actor, reason=reason
    )


@transaction.atomic
def jurisdiction_revoke(
    *,
    actor: User,
    user: User,
    village: Village | None = None,
    township: Township | None = None,
    reason: str,
) -> bool:
    """Take a grant away; the deletion stays in the grant's history. False if there was none."""
    _require_admin(actor)
    reason = _require_reason(reason)
    model, target, codename = _grant_target(village, township)
    grant = model.objects.filter(
        user=user, permission__codename=codename, content_object=target
    ).first()
    if grant is None:
        return False
    tracked_delete(grant, actor=actor, reason=reason)
    return True


def _sync_village_access(*, actor: User, user: User, village: Village, reason: str) -> None:
    """Give or take the village grant and the village roles that a user's seats and posts imply."""
    seats = CommitteeMembership.objects.filter(user=user, end__isnull=True)
    posts = Cadre.objects.filter(user=user, term_end__isnull=True)
    holds_village = (
        seats.filter(committee__village=village).exists() or posts.filter(village=village).exists()
    )
    if holds_village:
        jurisdiction_grant(actor=actor, user=user, village=village, reason=reason)
    else:
        jurisdiction_revoke(actor=actor, user=user, village=village, reason=reason)

    wanted = {
        roles.COMMITTEE_CHAIR: seats.filter(role=choices.MemberRole.CHAIR).exists(),
        roles.COMMITTEE_MEMBER: seats.filter(role=choices.MemberRole.MEMBER).exists(),
        roles.VILLAGE_OFFICER: posts.exists(),
    }
    for code, holds in wanted.items():
        group = Group.objects.get(name=code)
        if holds:
            user.groups.add(group)
        else:
            user.groups.remove(group)


# --- Committees ---------------------------------------------------------------------------------


@transaction.atomic
def committee_create(
    *,
    actor: User,
    village: Village,
    term_number: int,
    term_start: datetime.date,
    term_end: datetime.date | None,
    elected_by: str,
    reason: str,
) -> SupervisionCommittee:
    """Record a newly elected supervision committee for one term."""
    committee = SupervisionCommittee(
        village=village,
        term_number=term_number,
        term_start=term_start,
        term_end=term_end,
        elected_by=elected_by,
    )
    return tracked_save(committee, actor=actor, reason=_require_reason(reason))


def check_membership_start(
    *, committee: SupervisionCommittee, role: str, user: User | None
) -> None:
    """Raise the rule a new seat would break (forms call this to show it before saving)."""
    active = CommitteeMembership.objects.filter(committee=committee, end__isnull=True)
    if active.count() >= MAX_COMMITTEE_MEMBERS:
        raise CommitteeFull()
    if role == choices.MemberRole.CHAIR and active.filter(role=choices.MemberRole.CHAIR).exists():
        raise ChairTaken()
    if user is not None:
        if active.filter(user=user).exists():
            raise AlreadyMember()
        if Cadre.objects.filter(
            user=user,
            village_id=committee.village_id,
            term_end__isnull=True,
            post__in=choices.VILLAGE_COMMITTEE_POSTS,
        ).exists():
            raise IneligibleMember()


@transaction.atomic
def membership_start(
    *,
    actor: User,
    committee: SupervisionCommittee,
    person_name: str,
    role: str,
    start: datetime.date,
    user: User | None = None,
    reason: str,
) -> CommitteeMembership:
    """Seat a person on a committee; their account gains the village's jurisdiction and role."""
    reason = _require_reason(reason)
    # Lock the committee so two seats cannot be taken at once past the limits.
    committee = SupervisionCommittee.objects.select_for_update().get(pk=committee.pk)
    check_membership_start(committee=committee, role=role, user=user)
    membership = tracked_save(
        CommitteeMembership(
            committee=committee, user=user, person_name=person_name, role=role, start=start
        ),
        actor=actor,
        reason=reason,
    )
    if user is not None:
        _sync_village_access(actor=actor, user=user, village=committee.village, reason=reason)
    return membership


@transaction.atomic
def membership_end(
    *,
    actor: User,
    membership: CommitteeMembership,
    end: datetime.date,
    end_reason: str,
    reason: str,
) -> CommitteeMembership:
    """End a seat; the account loses the village's jurisdiction unless it still holds another."""
    reason = _require_reason(reason)
    membership = (
        CommitteeMembership.objects.select_for_update(of=("self",))
        .select_related("committee__village")
        .get(pk=membership.pk)
    )
    if membership.end is not None:
        raise MembershipEnded()
    membership.end = end
    membership.end_reason = end_reason
    tracked_save(membership, actor=actor, reason=reason)
    if membership.user is not None:
        _sync_village_access(
            actor=actor, user=membership.user, village=membership.committee.village, reason=reason
        )
    return membership


# --- Cadres -------------------------------------------------------------------------------------


def check_cadre_create(*, village: Village, post: str, user: User | None) -> None:
    """Raise the rule a new post would break: a seated committee member cannot join the village
    committee (the rule of membership_start from the other side; 村民委员会组织法 art. 32)."""
    if (
        user is not None
        and post in choices.VILLAGE_COMMITTEE_POSTS
        and CommitteeMembership.objects.filter(
            user=user, end__isnull=True, committee__village=village
        ).exists()
    ):
        raise IneligibleMember()


@transaction.atomic
def cadre_create(
    *,
    actor: User,
    village: Village,
    name: str,
    post: str,
    is_party_member: bool,
    term_start: datetime.date,
    user: User | None = None,
    reason: str,
) -> Cadre:
    """Record a person taking a village post; a linked account becomes a village officer."""
    reason = _require_reason(reason)
    check_cadre_create(village=village, post=post, user=user)
    cadre = tracked_save(
        Cadre(
            village=village,
            name=name,
            post=post,
            is_party_member=is_party_member,
            term_start=term_start,
            user=user,
        ),
        actor=actor,
        reason=reason,
    )
    if user is not None:
        _sync_village_access(actor=actor, user=user, village=village, reason=reason)
    return cadre


@transaction.atomic
def cadre_end_term(
    *,
    actor: User,
    cadre: Cadre,
    term_end: datetime.date,
    end_reason: str,
    reason: str,
) -> Cadre:
    """Record that a cadre left the post, and why; a linked account loses what the post gave."""
    reason = _require_reason(reason)
    cadre = Cadre.objects.select_for_update(of=("self",)).select_related("village").get(pk=cadre.pk)
    if cadre.term_end is not None:
        raise OversightError(_("This cadre's term has already ended."))
    cadre.term_end = term_end
    cadre.end_reason = end_reason
    tracked_save(cadre, actor=actor, reason=reason)
    if cadre.user is not None:
        _sync_village_access(actor=actor, user=cadre.user, village=cadre.village, reason=reason)
    return cadre


@transaction.atomic
def relative_declare(
    *,
    actor: User,
    cadre: Cadre,
    name: str,
    relation: str,
    declared_on: datetime.date,
    reason: str,
    user: User | None = None,
) -> CadreRelative:
    """Record a close relative a cadre declared (近亲属备案), with their account if they have one
    (complaints and cases about the cadre are then hidden from it)."""
    return tracked_save(
        CadreRelative(
            cadre=cadre,
            name=name.strip(),
            relation=relation,
            declared_on=declared_on,
            user=user,
        ),
        actor=actor,
        reason=_require_reason(reason),
    )
