"""Revealing a named reporter's identity from the vault: only to the people the law lets see
it, for a stated purpose, and every reveal leaves a sensitive-access record.

The plaintext is returned to the caller and nowhere else: it is not saved, logged, put in a
history reason, a timeline note or a notification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases import choices, vault
from cases.models import (
    Case,
    CaseAssignment,
    CaseEvent,
    Complaint,
    ReporterIdentity,
    SensitiveAccess,
)
from cases.services.complaints import REPORTER_FIELDS
from cases.services.errors import InvalidInput, NotFound
from oversight import roles
from oversight.errors import NotPermitted, OversightError
from oversight.services import recorded, tracked_save
from villages.jurisdiction import village_ids_in_jurisdiction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_PURPOSE = 500
# Roles that never reveal a reporter, whatever permissions they may be given by mistake.
NEVER_REVEAL = frozenset({roles.DISTRICT_AUDITOR, roles.ADMINISTRATOR})


class VaultUnreadable(OversightError):
    """The identity was stored under a key this installation no longer has."""

    default_message = _(
        "The reporter's identity cannot be read with the configured vault keys. "
        "Ask the administrator to restore the previous key."
    )


def reporter_can_reveal(user: Any, complaint: Complaint) -> bool:
    """Whether `user` may see who made this complaint: they hold `cases.reveal_reporter`, can
    see the complaint, and are its intake officer, an active handler or investigator of its case,
    or a township leader over its village. Auditors and administrators never may."""
    if user is None or not user.is_authenticated or not user.is_active or user.is_superuser:
        return False
    if NEVER_REVEAL & set(roles.user_roles(user)):
        return False
    if not user.has_perm("cases.reveal_reporter"):
        return False
    if not Complaint.objects.restrict(user, "view").filter(pk=complaint.pk).exists():
        return False
    if complaint.registered_by_id == user.pk:
        return True
    if (
        complaint.case_id
        and CaseAssignment.objects.filter(
            case_id=complaint.case_id,
            user=user,
            ended_at__isnull=True,
            role__in=[choices.AssignmentRole.HANDLER, choices.AssignmentRole.INVESTIGATOR],
        ).exists()
    ):
        return True
    return bool(
        user.has_perm("cases.approve_case")
        and village_ids_in_jurisdiction(user).filter(pk=complaint.village_id).exists()
    )


@transaction.atomic
def reporter_reveal(
    *, actor: User, complaint: Complaint, purpose: str, case: Case | None = None
) -> dict[str, str]:
    """Decrypt a named reporter's identity for an entitled person and a stated purpose; writes a
    sensitive-access record and, when the complaint is in a case, a `reveal` timeline event."""
    row: Complaint | None = (
        Complaint.objects.restrict(actor, "view")
        .select_related("case")
        .filter(pk=complaint.pk)
        .first()
    )
    if row is None:
        raise NotFound()
    if not reporter_can_reveal(actor, row):
        raise NotPermitted(
            _(
                "Only the intake officer, an assigned handler or the township leader may "
                "reveal the reporter."
            )
        )
    purpose = purpose.strip()
    if not purpose:
        raise InvalidInput(_("State why you need the reporter's identity."))
    if len(purpose) > MAX_PURPOSE:
        raise InvalidInput(
            _("State the purpose in at most %(count)d characters.") % {"count": MAX_PURPOSE}
        )
    if case is not None and case.pk != row.case_id:
        raise InvalidInput(_("This complaint is not part of that case."))
    case = row.case
    identity = ReporterIdentity.objects.filter(complaint=row).first()
    if identity is None:
        raise InvalidInput(
            _("This complaint was made anonymously: there is no identity to reveal.")
        )
    reason = recorded(_("Reporter identity revealed"))
    tracked_save(
        SensitiveAccess(user=actor, complaint=row, case=case, purpose=purpose),
        actor=actor,
        reason=reason,
    )
    if case is not None:
        tracked_save(
            CaseEvent(case=case, kind=choices.EventKind.REVEAL, actor=actor, note=purpose),
            actor=actor,
            reason=reason,
        )
    try:
        return {name: vault.decrypt(getattr(identity, name)) for name in REPORTER_FIELDS}
    except vault.VaultError as exc:
        raise VaultUnreadable() from exc
