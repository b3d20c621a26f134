"""What a committee writes when it escalates is its complaint, and who wrote it is a committee
member exposed to retaliation (issue #9 §4; DOMAIN.md §3). The village's officers read their
village's reviews, and may be the cadres the escalation is about: they read that the review was
escalated and how the commission's handling stands, but not the note, the escalating opinion,
or which member escalated — on the review page, over the API and in the record's timeline.
The committee itself, discipline staff and the district auditor still read all of it."""

from __future__ import annotations

import pytest

from tests.villages.ledger_pages import submitted
from villages import services
from villages.choices import Outcome

pytestmark = pytest.mark.django_db

NOTE = "会计虚列开支，请镇纪委核查"


def _name(user) -> str:
    return user.first_name or user.username


@pytest.fixture
def escalated(district, chair_a, member_a):
    """A review the chair recorded and member_a escalated with NOTE."""
    review = submitted(chair_a, district.village_a1)
    return services.review_escalate(actor=member_a, review=review, note=NOTE)


def _surfaces(client, review) -> dict[str, str]:
    return {
        "page": client.get(f"/reviews/{review.pk}/").content.decode(),
        "api": client.get(f"/api/v1/reviews/{review.pk}/").content.decode(),
        "list api": client.get("/api/v1/reviews/").content.decode(),
        "timeline": client.get(f"/audit/records/villages.review/{review.pk}/").content.decode(),
        "timeline api": client.get(
            f"/api/v1/audit/records/villages.review/{review.pk}/"
        ).content.decode(),
    }


def test_the_village_officer_reads_that_it_was_escalated_but_not_what_or_by_whom(
    client, escalated, officer_a, member_a
):
    # when the village's officer opens the review everywhere it is shown
    client.force_login(officer_a)
    seen = _surfaces(client, escalated)

    # then the note and the escalating member's name appear nowhere
    assert [where for where, body in seen.items() if NOTE in body] == []
    assert [where for where, body in seen.items() if _name(member_a) in body] == []
    # and the page still says the committee reported it, and the commission's stage
    page = client.get(f"/reviews/{escalated.pk}/")
    assert page.status_code == 200
    assert 'id="escalation-withheld"' in seen["page"]
    assert 'id="escalation-stage"' in seen["page"]


@pytest.mark.parametrize("reader", ["member_a", "chair_a", "township_staff", "district_official"])
def test_the_committee_and_the_commission_still_read_the_note(
    request, client, escalated, reader, member_a
):
    # when a member, township discipline staff or the district auditor opens it
    client.force_login(request.getfixturevalue(reader))
    seen = _surfaces(client, escalated)

    # then the note is on the page, over the API and in the timeline
    assert NOTE in seen["page"] and NOTE in seen["api"] and NOTE in seen["timeline"]
    assert 'id="escalation-withheld"' not in seen["page"]
    assert _name(member_a) in seen["timeline"]


def test_an_escalating_signature_keeps_its_opinion_from_the_officer(
    client, district, chair_a, member_a, officer_a
):
    # given the chair signs "escalate" with an opinion (a chair's non-approval decides alone)
    review = submitted(member_a, district.village_a1)
    services.review_sign(actor=chair_a, review=review, outcome=Outcome.ESCALATE, opinion=NOTE)
    review.refresh_from_db()
    assert review.escalated_at is not None

    # when the officer opens it
    client.force_login(officer_a)
    seen = _surfaces(client, review)

    # then the opinion is nowhere, though the signature and its outcome are listed
    assert [where for where, body in seen.items() if NOTE in body] == []
    assert 'data-signature="escalate"' in seen["page"]


def test_a_review_never_escalated_hides_nothing_from_the_officer(
    client, district, chair_a, member_a, officer_a
):
    # given a review returned for correction with an opinion
    review = submitted(chair_a, district.village_a1)
    services.review_sign(
        actor=chair_a, review=review, outcome=Outcome.RETURN_FOR_CORRECTION, opinion="缺少发票"
    )
    # then the officer reads the opinion and who wrote it
    client.force_login(officer_a)
    seen = _surfaces(client, review)
    assert "缺少发票" in seen["page"] and "缺少发票" in seen["api"]
    assert 'id="escalation-withheld"' not in seen["page"]
