"""A village as it stood on a date: its committee, cadres in office and reviews, from history."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit import timeline
from oversight.system import get_system_user
from tests.audit.test_record_pages import chair_b1, staff_b  # noqa: F401
from tests.audit.test_timeline import clock, edit, moment, record_review  # noqa: F401
from villages import services
from villages.choices import CadreEndReason, CadrePost, MemberRole, MembershipEndReason

pytestmark = pytest.mark.django_db

A1 = "320904103201"
SEATED, LEFT = datetime.date(2026, 12, 10), datetime.date(2027, 1, 5)


def url(code: str = A1) -> str:
    return f"/audit/villages/{code}/as-of/"


@pytest.fixture
def history(district, member_a, chair_a, clock):  # noqa: F811
    """In A1: 王五 seated on 10 December and leaving on 5 January; a cadre whose term ended on
    5 January; a review recorded on 10 December and retitled on 5 January."""
    system = get_system_user()
    committee = district.village_a1.active_committee()
    clock(moment(SEATED))
    seat = services.membership_start(
        actor=system,
        committee=committee,
        person_name="王五",
        role=MemberRole.MEMBER,
        start=SEATED,
        reason="补选",
    )
    cadre = services.cadre_create(
        actor=system,
        village=district.village_a1,
        name="赵六",
        post=CadrePost.ACCOUNTANT,
        is_party_member=False,
        term_start=SEATED,
        reason="任职",
    )
    review = record_review(member_a, district.village_a1)
    clock(moment(LEFT))
    services.membership_end(
        actor=system,
        membership=seat,
        end=LEFT - datetime.timedelta(days=1),
        end_reason=MembershipEndReason.RESIGNED,
        reason="辞职",
    )
    services.cadre_end_term(
        actor=system,
        cadre=cadre,
        term_end=LEFT - datetime.timedelta(days=1),
        end_reason=CadreEndReason.RESIGNATION,
        reason="辞职",
    )
    edit(member_a, review, title="购买打印纸")
    return {"seat": seat, "cadre": cadre, "review": review}


def test_a_member_who_has_since_left_is_shown_on_a_day_they_were_in_office(
    client, district, history, chair_a
):
    # given
    client.force_login(chair_a)

    # when
    then = client.get(url(), {"date": "2026-12-20"}).content.decode()
    after = client.get(url(), {"date": "2027-01-10"}).content.decode()
    before = client.get(url(), {"date": "2026-12-09"}).content.decode()

    # then
    member = f'data-member="{history["seat"].pk}"'
    assert member in then and "王五" in then
    assert member not in after and "王五" not in after
    assert member not in before
    # the chair, seated before and still there, is on every one of them
    assert 'data-role="chair"' in then and 'data-role="chair"' in after


def test_cadres_in_office_then_are_listed_and_not_after_their_term(
    client, district, history, township_staff
):
    # given
    client.force_login(township_staff)
    # when
    then = client.get(url(), {"date": "2026-12-20"}).content.decode()
    after = client.get(url(), {"date": "2027-01-10"}).content.decode()
    # then
    cadre = f'data-cadre="{history["cadre"].pk}"'
    assert cadre in then and "赵六" in then
    assert cadre not in after


def test_reviews_show_their_title_and_status_as_of_that_day(client, district, history, chair_a):
    # given
    client.force_login(chair_a)
    review = history["review"]
    # when
    then = client.get(url(), {"date": "2026-12-20"}).content.decode()
    after = client.get(url(), {"date": "2027-01-10"}).content.decode()
    before = client.get(url(), {"date": "2026-12-09"}).content.decode()
    # then
    assert f'data-review="{review.pk}"' in then and "购买办公用品" in then
    assert "购买打印纸" not in then
    assert "购买打印纸" in after
    assert f'data-review="{review.pk}"' not in before


def test_the_selector_answers_the_records_as_they_were(district, history, chair_a):
    # when
    then = timeline.village_as_of(chair_a, district.village_a1, datetime.date(2026, 12, 20))
    # then
    assert [m.person_name for m in then["members"] if m.role == MemberRole.MEMBER][-1] == "王五"
    assert [r.title for r in then["reviews"].object_list] == ["购买办公用品"]
    assert [r.status for r in then["reviews"].object_list] == ["draft"]
    assert then["village_then"].name == district.village_a1.name


def test_the_default_date_is_today(client, district, chair_a):
    # given
    client.force_login(chair_a)
    # when
    response = client.get(url())
    # then
    assert response.status_code == 200
    assert response.context["on"] == timezone.localdate()


def test_the_page_runs_a_bounded_number_of_queries(
    client, district, history, chair_a, django_assert_num_queries
):
    # given more reviews
    for n in range(5):
        record_review(chair_a, district.village_a1, voucher_no=f"记-9{n}")
    client.force_login(chair_a)
    client.get(url(), {"date": "2027-01-10"})

    # then: session, user, its roles, 2 permission reads, the village, its name then, the
    # committee, its members, the cadres, the reviews' count and their page, the header's
    # unread count
    with django_assert_num_queries(13):
        response = client.get(url(), {"date": "2027-01-10"})
    assert len(response.context["reviews"].object_list) == 6


@pytest.mark.parametrize("who", ["chair_b1", "staff_b", "member_b", "outsider"])
def test_a_village_out_of_jurisdiction_is_404(request, client, district, who):
    # given
    client.force_login(request.getfixturevalue(who))
    # when / then
    assert client.get(url(), {"date": "2026-12-20"}).status_code == 404


def test_an_unknown_village_is_404(client, district, district_official):
    client.force_login(district_official)
    assert client.get(url("999999999999")).status_code == 404


def test_a_date_that_does_not_parse_shows_today_and_the_error(client, district, chair_a):
    # given
    client.force_login(chair_a)
    # when
    response = client.get(url(), {"date": "yesterday"})
    # then
    assert response.status_code == 200
    assert response.context["on"] == timezone.localdate()
    assert response.context["form"].errors
