"""Every write to a sanction: record it on a cadre of a case, change or revoke it (on appeal).

The law's vocabulary is closed (DOMAIN.md §2): a sanction's family, form and effect period
follow from its type, and some types exist only for some cadres."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import calendar, choices
from cases.choices import SanctionFamily, SanctionStatus, SanctionType
from cases.models import AppealReviewer, Case, CaseEvent, CaseSubject, Sanction
from cases.services.cases import restricted_case
from cases.services.errors import InvalidInput, NotFound, SanctionRefused
from oversight.errors import NotPermitted
from oversight.services import recorded, tracked_save
from villages.choices import VILLAGE_COMMITTEE_POSTS
from villages.models import Cadre

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def sanction_ends_on(
    type: str, decided_on: datetime.date, probation_years: int | None = None
) -> datetime.date | None:
    """When a sanction's effect period ends: the decision date plus the type's period (Party
    probation: its one or two years); None for a type without a period."""
    rule = choices.SANCTION_RULES[type]
    months = rule.months
    if type == SanctionType.PARTY_PROBATION and probation_years:
        months = probation_years * 12
    if not months:
        return None
    return calendar.add_months(decided_on, months)


def sanction_check(cadre: Cadre, type: str, probation_years: int | None = None) -> None:
    """Refuse a sanction the law does not allow for this cadre (SanctionRefused, with why)."""
    if type not in SanctionType.values:
        raise SanctionRefused(_("Unknown sanction type “%(type)s”.") % {"type": type})
    label = SanctionType(type).label
    family = choices.SANCTION_RULES[type].family
    if family == SanctionFamily.PARTY and not cadre.is_party_member:
        raise SanctionRefused(
            _(
                "%(cadre)s is not a Party member: Party discipline (“%(type)s”) applies only "
                "to Party members."
            )
            % {"cadre": cadre.name, "type": label}
        )
    # Every cadre here is a village cadre, who manages a grassroots self-governing organisation.
    if family == SanctionFamily.GOVERNMENT and type not in choices.VILLAGE_GOVERNMENT_SANCTIONS:
        raise SanctionRefused(
            _(
                "“%(type)s” cannot be imposed on a village cadre: under the Law on Government "
                "Sanctions (政务处分法) art. 22 a village cadre may only be given a warning, a "
                "demerit or a major demerit."
            )
            % {"type": label}
        )
    if type in choices.ELECTED_POST_SANCTIONS and cadre.post not in VILLAGE_COMMITTEE_POSTS:
        raise SanctionRefused(
            _(
                "“%(type)s” applies only to an elected member of the village committee; "
                "%(cadre)s holds the post “%(post)s”, which is not on the village committee."
            )
            % {"type": label, "cadre": cadre.name, "post": cadre.get_post_display()}
        )
    if type == SanctionType.PARTY_PROBATION:
        if probation_years not in (1, 2):
            raise SanctionRefused(_("Party probation lasts one or two years: say which."))
    elif probation_years is not None:
        raise SanctionRefused(_("Only Party probation has a number of years."))


def _sanction_event(case: Case, *, actor: User, note: str, reason: str) -> CaseEvent:
    return tracked_save(
        CaseEvent(case=case, kind=choices.EventKind.SANCTION, actor=actor, note=note),
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def sanction_record(
    *,
    actor: User,
    case: Case | str | int,
    cadre: Cadre,
    type: str,
    decided_on: datetime.date,
    decision_no: str = "",
    probation_years: int | None = None,
    note: str = "",
) -> Sanction:
    """Record a sanction decided on a subject of the case: its family and form follow from its
    type, its effect ends after the type's period, and the timeline says so."""
    case = restricted_case(actor, case)
    if not actor.has_perm("cases.add_sanction"):
        raise NotPermitted()
    if case.status not in choices.SANCTION_STATUSES:
        raise SanctionRefused(
            _("No sanction can be recorded while the case is “%(status)s”.")
            % {"status": case.get_status_display()}
        )
    if not CaseSubject.objects.filter(case=case, cadre_id=cadre.pk).exists():
        raise SanctionRefused(_("%(cadre)s is not a subject of this case.") % {"cadre": cadre.name})
    if decided_on > timezone.localdate():
        raise InvalidInput(_("A sanction cannot be decided in the future."))
    sanction_check(cadre, type, probation_years)
    rule = choices.SANCTION_RULES[type]
    sanction = Sanction(
        case=case,
        cadre=cadre,
        type=type,
        family=rule.family,
        form=rule.form,
        decided_on=decided_on,
        decision_no=decision_no.strip(),
        probation_years=probation_years,
        ends_on=sanction_ends_on(type, decided_on, probation_years),
    )
    reason = recorded(
        _("Sanction recorded: %(cadre)s, %(type)s"),
        cadre=cadre.name,
        type=SanctionType(type).label,
    )
    tracked_save(sanction, actor=actor, reason=reason)
    _sanction_event(case, actor=actor, note=note.strip() or reason, reason=reason)
    return sanction


def _locked_sanction(actor: User, sanction: Sanction | int) -> tuple[Case, Sanction]:
    """The sanction's case as `actor` may see it and the sanction, both locked."""
    pk = sanction.pk if isinstance(sanction, Sanction) else sanction
    case_id = Sanction.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case = restricted_case(actor, case_id)
    row = Sanction.objects.select_for_update(of=("self",)).select_related("cadre").get(pk=pk)
    return case, row


def _may_amend(actor: User, sanction: Sanction) -> bool:
    """A leader may amend a sanction, and so may a reviewer of an appeal against it still open."""
    if actor.has_perm("cases.change_sanction"):
        return True
    return AppealReviewer.objects.filter(
        user=actor,
        appeal__sanction=sanction,
        appeal__status=choices.AppealStatus.ACCEPTED,
    ).exists()


def _amendable(actor: User, sanction: Sanction | int, reason: str) -> tuple[Case, Sanction]:
    case, row = _locked_sanction(actor, sanction)
    if not _may_amend(actor, row):
        raise NotPermitted()
    if row.status == SanctionStatus.REVOKED:
        raise SanctionRefused(_("This sanction has been revoked: it can no longer be changed."))
    if not reason.strip():
        raise InvalidInput(_("Say why (a reason is required)."))
    return case, row


@transaction.atomic
def sanction_change(
    *,
    actor: User,
    sanction: Sanction | int,
    type: str,
    reason: str,
    probation_years: int | None = None,
) -> Sanction:
    """Change a sanction to another type (on appeal): family, form and end date follow the new
    type, counted from the original decision; the history keeps the old version."""
    case, row = _amendable(actor, sanction, reason)
    if type == row.type and probation_years == row.probation_years:
        raise SanctionRefused(_("The sanction is already of this type."))
    sanction_check(row.cadre, type, probation_years)
    rule = choices.SANCTION_RULES[type]
    old_label = row.get_type_display()
    row.type = type
    row.family = rule.family
    row.form = rule.form
    row.probation_years = probation_years
    row.ends_on = sanction_ends_on(type, row.decided_on, probation_years)
    row.status = SanctionStatus.CHANGED
    why = recorded(
        _("Sanction changed: %(cadre)s, %(old)s → %(new)s"),
        cadre=row.cadre.name,
        old=old_label,
        new=SanctionType(type).label,
    )
    tracked_save(row, actor=actor, reason=why)
    _sanction_event(case, actor=actor, note=reason.strip(), reason=why)
    return row


@transaction.atomic
def sanction_revoke(*, actor: User, sanction: Sanction | int, reason: str) -> Sanction:
    """Revoke a sanction (on appeal); its dates stay as they were, the history keeps it all."""
    case, row = _amendable(actor, sanction, reason)
    row.status = SanctionStatus.REVOKED
    why = recorded(
        _("Sanction revoked: %(cadre)s, %(type)s"),
        cadre=row.cadre.name,
        type=row.get_type_display(),
    )
    tracked_save(row, actor=actor, reason=why)
    _sanction_event(case, actor=actor, note=reason.strip(), reason=why)
    return row
