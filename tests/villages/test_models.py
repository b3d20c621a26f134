"""Validation of the villages records and the constraints the database itself enforces."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from villages.choices import CadrePost, MemberRole
from villages.models import (
    Cadre,
    CommitteeMembership,
    PowerItem,
    SupervisionCommittee,
    Township,
    Village,
    township_code_validator,
    village_code_validator,
)

START = datetime.date(2026, 3, 1)


def _village(district, code, kind="village"):
    return Village(township=district.township_a, code=code, name="新村", kind=kind)


def _power_item(**overrides):
    fields = {
        "code": "XW-01-99",
        "category": "finance",
        "name": "财务公开",
        "steps": ["提交", "审核"],
        "risk_points": [{"point": "不公开", "level": "medium"}],
    }
    fields.update(overrides)
    return PowerItem(**fields)


# --- Village codes ------------------------------------------------------------------------------


def test_village_code_must_start_with_its_township_code(district):
    # given
    village = _village(district, "320904110299")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        village.full_clean()
    assert "code" in excinfo.value.message_dict


def test_village_code_of_a_village_under_its_township_is_valid(district):
    # given
    village = _village(district, "320904103299")

    # when / then (no error)
    village.full_clean()


@pytest.mark.parametrize(
    ("unit", "kind"),
    [("150", "village"), ("001", "village"), ("200", "community"), ("399", "community")],
)
def test_village_kind_must_match_the_last_three_digits(district, unit, kind):
    # given
    village = _village(district, f"320904103{unit}", kind)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        village.full_clean()
    assert "kind" in excinfo.value.message_dict


@pytest.mark.parametrize(("unit", "kind"), [("001", "community"), ("199", "community")])
def test_community_code_ends_001_to_199(district, unit, kind):
    # given
    village = _village(district, f"320904103{unit}", kind)

    # when / then (no error)
    village.full_clean()


@pytest.mark.parametrize("unit", ["000", "400", "999"])
def test_village_code_outside_001_to_399_is_refused(district, unit):
    # given
    village = _village(district, f"320904103{unit}", "village")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        village.full_clean()
    assert "code" in excinfo.value.message_dict


def test_village_cannot_end_before_it_begins(district):
    # given
    village = _village(district, "320904103298")
    village.valid_from = datetime.date(2020, 1, 1)
    village.valid_to = datetime.date(2019, 1, 1)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        village.full_clean()
    assert "valid_to" in excinfo.value.message_dict


@pytest.mark.parametrize("code", ["32090410", "3209041031", "32090410A", ""])
def test_township_code_validator_wants_exactly_9_digits(code):
    # when / then
    with pytest.raises(ValidationError):
        township_code_validator(code)


@pytest.mark.parametrize("code", ["32090410320", "3209041032011", "32090410320X"])
def test_village_code_validator_wants_exactly_12_digits(code):
    # when / then
    with pytest.raises(ValidationError):
        village_code_validator(code)


def test_code_validators_accept_well_formed_codes():
    # when / then (no error)
    township_code_validator("320904103")
    village_code_validator("320904103201")


def test_township_full_clean_refuses_short_code(db):
    # given
    township = Township(code="3209041", name="短码镇", kind="town")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        township.full_clean()
    assert "code" in excinfo.value.message_dict


# --- Database constraints -----------------------------------------------------------------------


def test_database_refuses_a_second_active_chair(district, chair_a):
    # given
    committee = district.village_a1.active_committee()
    second = CommitteeMembership(
        committee=committee, person_name="二号主任", role=MemberRole.CHAIR, start=START
    )

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    assert committee.memberships.filter(role=MemberRole.CHAIR).count() == 1


def test_database_allows_a_new_chair_after_the_old_one_ended(district, chair_a):
    # given
    committee = district.village_a1.active_committee()
    old = committee.memberships.get(user=chair_a)
    old.end, old.end_reason = START, "resigned"
    old.save()

    # when
    CommitteeMembership(
        committee=committee, person_name="新主任", role=MemberRole.CHAIR, start=START
    ).save()

    # then
    assert committee.memberships.filter(role=MemberRole.CHAIR).count() == 2


def test_database_refuses_the_same_user_twice_on_a_committee(district, member_a):
    # given
    committee = district.village_a1.active_committee()
    again = CommitteeMembership(
        committee=committee, user=member_a, person_name="重复", role="member", start=START
    )

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()


def test_database_refuses_an_unknown_village_kind(district):
    # given
    village = _village(district, "320904103297", kind="hamlet")

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        village.save()
    assert not Village.objects.filter(code="320904103297").exists()


def test_database_refuses_an_unknown_township_kind(db):
    # given
    township = Township(code="320904199", name="未知镇", kind="city")

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        township.save()


def test_database_refuses_an_unknown_member_role(district):
    # given
    membership = CommitteeMembership(
        committee=district.village_a1.active_committee(),
        person_name="某人",
        role="secretary",
        start=START,
    )

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        membership.save()


def test_database_refuses_a_membership_end_without_end_reason(district, member_a):
    # given
    membership = CommitteeMembership.objects.get(user=member_a)
    membership.end = datetime.date(2026, 6, 1)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        membership.save()
    assert CommitteeMembership.objects.get(pk=membership.pk).end is None


def test_database_refuses_a_membership_ending_before_it_starts(district, member_a):
    # given
    membership = CommitteeMembership.objects.get(user=member_a)
    membership.end, membership.end_reason = datetime.date(2025, 1, 1), "resigned"

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        membership.save()


def test_database_refuses_a_cadre_end_without_end_reason(district):
    # given
    cadre = Cadre.objects.filter(village=district.village_a1).first()
    cadre.term_end = datetime.date(2026, 6, 1)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        cadre.save()


def test_database_refuses_a_second_committee_for_the_same_term(district):
    # given
    duplicate = SupervisionCommittee(
        village=district.village_a1,
        term_number=3,
        term_start=START,
        elected_by="villagers_assembly",
    )

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_committee_term_must_end_after_it_starts(district):
    # given
    committee = SupervisionCommittee(
        village=district.village_a1,
        term_number=4,
        term_start=START,
        term_end=START,
        elected_by="villagers_assembly",
    )

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        committee.full_clean()
    assert "term_end" in excinfo.value.message_dict


# --- Cadres -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "post", [CadrePost.BOOKKEEPER, CadrePost.PARTY_SECRETARY, CadrePost.GROUP_LEADER]
)
def test_cadre_clean_refuses_recall_of_a_post_off_the_village_committee(post):
    # given
    cadre = Cadre(post=post, term_start=START, term_end=START, end_reason="recall")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        cadre.clean()
    assert "end_reason" in excinfo.value.message_dict


@pytest.mark.parametrize(
    "post", [CadrePost.DIRECTOR, CadrePost.DEPUTY_DIRECTOR, CadrePost.COMMITTEE_MEMBER]
)
def test_cadre_clean_allows_recall_of_a_village_committee_post(post):
    # given
    cadre = Cadre(post=post, term_start=START, term_end=START, end_reason="recall")

    # when / then (no error)
    cadre.clean()


def test_cadre_clean_wants_an_end_reason_with_an_end_date():
    # given
    cadre = Cadre(post=CadrePost.CLERK, term_start=START, term_end=START)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        cadre.clean()
    assert "end_reason" in excinfo.value.message_dict


def test_cadre_clean_wants_an_end_date_with_an_end_reason():
    # given
    cadre = Cadre(post=CadrePost.CLERK, term_start=START, end_reason="resignation")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        cadre.clean()
    assert "term_end" in excinfo.value.message_dict


# --- Power list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "steps",
    ["申请,审核", ["申请", ""], ["申请", "   "], ["申请", 2], [["申请"]], {"1": "申请"}],
)
def test_power_item_refuses_malformed_steps(db, steps):
    # given
    item = _power_item(steps=steps)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        item.full_clean()
    assert "steps" in excinfo.value.message_dict


@pytest.mark.parametrize(
    "risk_points",
    [
        "high",
        [{"point": "白条入账", "level": "extreme"}],
        [{"point": "白条入账"}],
        [{"point": "", "level": "high"}],
        [{"point": "白条入账", "level": "high", "note": "x"}],
        [{"point": 3, "level": "high"}],
        ["白条入账"],
    ],
)
def test_power_item_refuses_malformed_risk_points(db, risk_points):
    # given
    item = _power_item(risk_points=risk_points)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        item.full_clean()
    assert "risk_points" in excinfo.value.message_dict


def test_power_item_with_well_formed_steps_and_risk_points_is_valid(db):
    # given
    item = _power_item(
        steps=["申请", "审核", "公开"],
        risk_points=[{"point": "白条入账", "level": "high"}, {"point": "拖延", "level": "low"}],
    )

    # when / then (no error)
    item.full_clean()


def test_database_refuses_an_unknown_power_category(db):
    # given
    item = _power_item(category="lottery")

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (["low", "medium"], "medium"),
        (["low", "high", "medium"], "high"),
        (["low"], "low"),
        ([], None),
    ],
)
def test_power_item_highest_risk_is_the_most_severe_level(levels, expected):
    # given
    item = _power_item(
        risk_points=[{"point": f"风险{i}", "level": v} for i, v in enumerate(levels)]
    )

    # when / then
    assert item.highest_risk == expected
