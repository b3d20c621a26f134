"""Where a user may act: the villages of their direct-FK guardian grants, village or township."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

OVERSEE_VILLAGE = "oversee_village"
OVERSEE_TOWNSHIP = "oversee_township"


def village_ids_in_jurisdiction(user: Any) -> Any:
    """A subquery of the ids of the villages `user` holds, directly or through their township.

    It is lazy (no query runs here): `restrict()` embeds it, so a list page costs no extra query.
    """
    from villages.models import TownshipUserPermission, Village, VillageUserPermission

    direct = VillageUserPermission.objects.filter(
        user_id=user.pk, permission__codename=OVERSEE_VILLAGE
    ).values("content_object_id")
    by_township = TownshipUserPermission.objects.filter(
        user_id=user.pk, permission__codename=OVERSEE_TOWNSHIP
    ).values("content_object_id")
    return Village._base_manager.filter(Q(pk__in=direct) | Q(township_id__in=by_township)).values(
        "pk"
    )
