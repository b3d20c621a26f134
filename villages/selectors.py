"""Reads of the villages app that join or count; each starts from restrict()."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from villages.models import Cadre, CommitteeMembership, SupervisionCommittee, Township, Village


def village_search(
    user: Any,
    *,
    q: str = "",
    township: str = "",
    kind: str = "",
) -> QuerySet[Village]:
    """The villages `user` may see, matching a name or code fragment, a township and a kind."""
    villages = Village.objects.restrict(user, "view").select_related("township")
    q = q.strip()
    if q:
        villages = villages.filter(Q(name__icontains=q) | Q(code__startswith=q))
    if township:
        villages = villages.filter(township__code=township)
    if kind:
        villages = villages.filter(kind=kind)
    return villages.order_by("code")


def townships_with_counts(user: Any) -> QuerySet[Township]:
    """Townships `user` may see, each with the number of its villages that `user` may see."""
    visible = Village.objects.restrict(user, "view").values("pk")
    return (
        Township.objects.restrict(user, "view")
        .annotate(
            village_count=Count("villages", filter=Q(villages__pk__in=visible), distinct=True)
        )
        .order_by("code")
    )


def active_members(committee: SupervisionCommittee) -> list[CommitteeMembership]:
    """The seated members of a committee, chair first."""
    members = getattr(committee, "active_memberships", None)
    if members is None:
        members = list(committee.memberships.filter(end__isnull=True))
    return sorted(members, key=lambda m: (m.role != "chair", m.start, m.person_name))


def current_committee(user: Any, village: Village) -> SupervisionCommittee | None:
    """The committee whose term covers today, with its seated members prefetched."""
    return (
        SupervisionCommittee.objects.restrict(user, "view")
        .filter(village=village)
        .in_office()
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=CommitteeMembership.objects.filter(end__isnull=True),
                to_attr="active_memberships",
            )
        )
        .first()
    )


def village_detail(user: Any, code: str) -> tuple[Village, SupervisionCommittee | None, Any]:
    """A village `user` may see (else Http404), its current committee and its current cadres."""
    from oversight.shortcuts import get_restricted_or_404

    village = get_restricted_or_404(
        Village.objects.select_related("township"), user, "view", code=code
    )
    cadres = Cadre.objects.restrict(user, "view").filter(village=village, term_end__isnull=True)
    return village, current_committee(user, village), cadres


def committee_warnings(members: list[CommitteeMembership]) -> list[str]:
    """What is wrong with a committee's composition (DOMAIN.md §4: 3–5 members, one chair)."""
    from django.utils.translation import gettext as _

    warnings = []
    if not 3 <= len(members) <= 5:
        warnings.append(
            _("The committee has %(count)d members; it should have 3 to 5.")
            % {"count": len(members)}
        )
    chairs = sum(1 for m in members if m.role == "chair")
    if chairs != 1:
        warnings.append(_("The committee has no chair.") if chairs == 0 else _("Too many chairs."))
    return warnings


def sorted_by_post(cadres: Any) -> list[Cadre]:
    """Cadres in the order of the post vocabulary (secretary first), then by name."""
    from villages.choices import CadrePost

    order = {value: index for index, value in enumerate(CadrePost.values)}
    return sorted(cadres, key=lambda c: (order.get(c.post, 99), c.name))
