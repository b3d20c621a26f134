"""Every write to an appeal (复审 / 复核 / 复议复查): file, accept with its reviewers, decide.

An appeal never suspends the sanction: it stays in force until the appeal is decided, and a
change or revocation goes through the sanction's own services so its history keeps every
version."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import choices
from cases.choices import AppealLevel, AppealResult, AppealStatus, AssignmentRole, SanctionStatus
from cases.models import Appeal, AppealReviewer, Case, CaseAssignment, CaseEvent, Sanction
from cases.services.cases import restricted_case
from cases.services.deadlines import deadline_open, deadlines_meet
from cases.services.errors import InvalidInput, NotFound, TransitionRefused
from cases.services.sanctions import sanction_change, sanction_check, sanction_revoke
from oversight.errors import NotPermitted
from oversight.services import recorded, tracked_save

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _appeal_event(case: Case, *, actor: User, note: str, reason: str) -> CaseEvent:
    return tracked_save(
        CaseEvent(case=case, kind=choices.EventKind.APPEAL, actor=actor, note=note),
        actor=actor,
        reason=reason,
    )


def _not_future(day: datetime.date) -> None:
    if day > timezone.localdate():
        raise InvalidInput(_("A record cannot be dated in the future."))


def _locked_appeal(actor: User, appeal: Appeal | int) -> tuple[Case, Appeal]:
    """The appeal's case as `actor` may see it, and the appeal, both locked."""
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    case_id = Appeal.objects.filter(pk=pk).values_list("sanction__case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case = restricted_case(actor, case_id)
    row = (
        Appeal.objects.select_for_update(of=("self",)).select_related("sanction__cadre").get(pk=pk)
    )
    return case, row


def open_appeal(sanction: Sanction) -> Appeal | None:
    """The sanction's appeal not yet decided, if any."""
    return Appeal.objects.filter(sanction=sanction).exclude(status=AppealStatus.DECIDED).first()


@transaction.atomic
def appeal_file(
    *, actor: User, sanction: Sanction, level: str, filed_on: datetime.date, grounds: str
) -> Appeal:
    """Record an appeal against a sanction; the sanction stays in force meanwhile."""
    case = restricted_case(actor, sanction.case_id)
    if not actor.has_perm("cases.add_appeal"):
        raise NotPermitted()
    sanction = (
        Sanction.objects.select_for_update(of=("self",)).select_related("cadre").get(pk=sanction.pk)
    )
    if level not in AppealLevel.values:
        raise InvalidInput(_("Unknown appeal level."))
    if sanction.status == SanctionStatus.REVOKED:
        raise InvalidInput(_("This sanction has been revoked: there is nothing to appeal."))
    if open_appeal(sanction) is not None:
        raise InvalidInput(_("This sanction already has an appeal that is not decided yet."))
    _not_future(filed_on)
    if filed_on < sanction.decided_on:
        raise InvalidInput(_("An appeal cannot be filed before the sanction was decided."))
    if not grounds.strip():
        raise InvalidInput(_("State the grounds of the appeal."))
    reason = recorded(
        _("Appeal filed (%(level)s): %(cadre)s, %(type)s"),
        level=AppealLevel(level).label,
        cadre=sanction.cadre.name,
        type=sanction.get_type_display(),
    )
    appeal = tracked_save(
        Appeal(sanction=sanction, level=level, filed_on=filed_on, grounds=grounds.strip()),
        actor=actor,
        reason=reason,
    )
    _appeal_event(case, actor=actor, note=reason, reason=reason)
    return appeal


def _check_reviewers(case: Case, reviewers: Sequence[User]) -> list[User]:
    """The reviewers, once each, if every one may review this case's appeal (InvalidInput)."""
    unique = list({user.pk: user for user in reviewers}.values())
    if not unique:
        raise InvalidInput(_("Name at least one reviewer of the appeal."))
    # Whoever ever handled, investigated or reviewed the case at trial, even if since
    # unassigned, is out (DOMAIN.md §3: appeal reviewers exclude the original handlers).
    original = set(
        CaseAssignment.objects.filter(
            case=case,
            role__in=[
                AssignmentRole.HANDLER,
                AssignmentRole.INVESTIGATOR,
                AssignmentRole.TRIAL_REVIEWER,
            ],
        ).values_list("user_id", flat=True)
    )
    for user in unique:
        if not user.is_active or not (
            user.has_perm("cases.handle_case") or user.has_perm("cases.trial_review_case")
        ):
            raise InvalidInput(_("%(user)s cannot review an appeal.") % {"user": _name(user)})
        if user.pk in original:
            raise InvalidInput(
                _(
                    "%(user)s handled, investigated or reviewed this case at trial and cannot "
                    "review its appeal."
                )
                % {"user": _name(user)}
            )
        if not Case.objects.restrict(user).filter(pk=case.pk).exists():
            raise InvalidInput(
                _("%(user)s has no jurisdiction over this village or is excluded from the case.")
                % {"user": _name(user)}
            )
    return unique


@transaction.atomic
def appeal_accept(
    *, actor: User, appeal: Appeal, accepted_on: datetime.date, reviewers: Sequence[User]
) -> Appeal:
    """Accept an appeal (a leader's act), name its reviewers and start its legal time limit
    (re-examination 1 month, higher review 2 months, Party appeal 3 months)."""
    case, appeal = _locked_appeal(actor, appeal)
    if not actor.has_perm("cases.approve_case"):
        raise NotPermitted(_("Only a discipline leader accepts an appeal."))
    if appeal.status != AppealStatus.FILED:
        raise TransitionRefused(
            _("This appeal is “%(status)s”: only a filed appeal can be accepted.")
            % {"status": appeal.get_status_display()}
        )
    _not_future(accepted_on)
    if accepted_on < appeal.filed_on:
        raise InvalidInput(_("An appeal cannot be accepted before it was filed."))
    chosen = _check_reviewers(case, reviewers)
    reason = recorded(
        _("Appeal accepted (%(level)s), reviewers: %(reviewers)s"),
        level=appeal.get_level_display(),
        reviewers=", ".join(_name(user) for user in chosen),
    )
    appeal.status = AppealStatus.ACCEPTED
    appeal.accepted_on = accepted_on
    tracked_save(appeal, actor=actor, reason=reason)
    for user in chosen:
        tracked_save(AppealReviewer(appeal=appeal, user=user), actor=actor, reason=reason)
    deadline_open(
        actor=actor,
        stage=choices.APPEAL_STAGE[AppealLevel(appeal.level)],
        village=case.village,
        case=case,
        appeal=appeal,
        starts_on=accepted_on,
        reason=reason,
    )
    _appeal_event(case, actor=actor, note=reason, reason=reason)
    return appeal


@transaction.atomic
def appeal_decide(
    *,
    actor: User,
    appeal: Appeal,
    result: str,
    decided_on: datetime.date,
    note: str,
    changed_to: str = "",
    probation_years: int | None = None,
) -> Appeal:
    """Decide an accepted appeal (one of its reviewers): uphold the sanction, change it to
    another type or revoke it; the sanction changes through its own services."""
    case, appeal = _locked_appeal(actor, appeal)
    if not AppealReviewer.objects.filter(appeal=appeal, user=actor).exists():
        raise NotPermitted(_("Only a reviewer of the appeal decides it."))
    if appeal.status != AppealStatus.ACCEPTED:
        raise TransitionRefused(
            _("This appeal is “%(status)s”: only an accepted appeal can be decided.")
            % {"status": appeal.get_status_display()}
        )
    if result not in AppealResult.values:
        raise InvalidInput(_("Uphold, change or revoke the sanction."))
    note = note.strip()
    if not note:
        raise InvalidInput(_("Say why (a note is required)."))
    _not_future(decided_on)
    if appeal.accepted_on and decided_on < appeal.accepted_on:
        raise InvalidInput(_("An appeal cannot be decided before it was accepted."))
    sanction = appeal.sanction
    if result == AppealResult.CHANGE:
        if not changed_to:
            raise InvalidInput(_("Say which sanction it is changed to."))
        sanction_check(sanction.cadre, changed_to, probation_years)
        sanction_change(
            actor=actor,
            sanction=sanction,
            type=changed_to,
            reason=note,
            probation_years=probation_years,
        )
    elif changed_to:
        raise InvalidInput(_("Only a change names the sanction it is changed to."))
    if result == AppealResult.REVOKE:
        sanction_revoke(actor=actor, sanction=sanction, reason=note)
    reason = recorded(
        _("Appeal decided (%(level)s): %(result)s"),
        level=appeal.get_level_display(),
        result=AppealResult(result).label,
    )
    appeal.status = AppealStatus.DECIDED
    appeal.result = result
    appeal.changed_to = changed_to
    appeal.decided_on = decided_on
    appeal.decision_note = note
    tracked_save(appeal, actor=actor, reason=reason)
    deadlines_meet(actor=actor, on=decided_on, reason=reason, appeal=appeal)
    _appeal_event(case, actor=actor, note=note, reason=reason)
    return appeal
