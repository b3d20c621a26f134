"""The jurisdiction command changes grants through the audited service."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.factories import UserFactory
from villages.models import TownshipUserPermission, Village, VillageUserPermission


def test_grant_and_revoke_a_township(district, system_user):
    # given a user with no jurisdiction
    user = UserFactory(username="new.staff")

    # when the township is granted from the command line
    call_command(
        "jurisdiction", "grant", "new.staff", "--township", "320904103", "--reason", "调任"
    )

    # then the grant is in guardian's direct table, its history names the system user and reason
    grant = TownshipUserPermission.objects.get(user=user)
    row = grant.history.latest()
    assert (row.history_user, row.history_change_reason) == (system_user, "调任")

    # when it is revoked
    call_command(
        "jurisdiction", "revoke", "new.staff", "--township", "320904103", "--reason", "离任"
    )

    # then it is gone and the deletion is in the history
    assert not TownshipUserPermission.objects.filter(user=user).exists()
    deleted = TownshipUserPermission.history.filter(user_id=user.pk).latest()
    assert (deleted.history_type, deleted.history_change_reason) == ("-", "离任")


def test_grant_a_village(district):
    user = UserFactory(username="v.helper")
    call_command("jurisdiction", "grant", "v.helper", "--village", "320904110201", "--reason", "x")
    assert VillageUserPermission.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    "args",
    [
        ["grant", "nobody", "--village", "320904110201", "--reason", "x"],
        ["grant", "outsider", "--village", "999999999999", "--reason", "x"],
        ["grant", "outsider", "--township", "999999999", "--reason", "x"],
        ["grant", "outsider", "--township", "320904103", "--reason", "  "],
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(district, outsider, args):
    with pytest.raises(CommandError):
        call_command("jurisdiction", *args)
    assert not Village.objects.restrict(outsider, "view").exists()
    assert not TownshipUserPermission.objects.exists()


def test_sweep_reviews_flags_an_overdue_answer(district, chair_a, member_a, system_user):
    import datetime
    from decimal import Decimal
    from io import StringIO

    from oversight.services import tracked_save
    from villages import services
    from villages.models import RiskFlag

    # given a review whose answer was due yesterday
    review = services.review_create(
        actor=chair_a,
        village=district.village_a1,
        kind="spending",
        fields={
            "title": "招待费",
            "occurred_on": datetime.date(2026, 11, 1),
            "voucher_no": "记-9",
            "amount": Decimal("800"),
            "payee": "农家饭店",
            "invoice_type": "receipt",
        },
    )
    services.review_submit(actor=chair_a, review=review)
    review = services.review_sign(actor=chair_a, review=review, outcome="inquiry", opinion="说明")
    review.response_due = datetime.date(2026, 11, 1)
    tracked_save(review, actor=system_user, reason="test")

    # when the sweep runs
    out = StringIO()
    call_command("sweep_reviews", stdout=out)

    # then the overdue flag is open, raised by the system user
    flag = RiskFlag.objects.get(review=review, code="inquiry_overdue", is_open=True)
    assert flag.history.latest().history_user == system_user
    assert "1" in out.getvalue()
