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


def _export(user) -> str:
    """The CSV of the change feed that `user` exports."""
    from audit import services as audit_services

    export = audit_services.export_request(actor=user, format="csv", filters={})
    export.refresh_from_db()
    with export.file.open("rb") as handle:
        return handle.read().decode("utf-8-sig")


def _surfaces(client, review, user=None) -> dict[str, str]:
    seen = {} if user is None else {"export": _export(user)}
    return seen | {
        "page": client.get(f"/reviews/{review.pk}/").content.decode(),
        "api": client.get(f"/api/v1/reviews/{review.pk}/").content.decode(),
        "list api": client.get("/api/v1/reviews/").content.decode(),
        "timeline": client.get(f"/audit/records/villages.review/{review.pk}/").content.decode(),
        "timeline api": client.get(
            f"/api/v1/audit/records/villages.review/{review.pk}/"
        ).content.decode(),
        "feed": client.get("/audit/?model=villages.review").content.decode(),
        "feed api": client.get("/api/v1/audit/changes/?model=villages.review").content.decode(),
    }


def test_the_village_officer_reads_that_it_was_escalated_but_not_what_or_by_whom(
    client, escalated, officer_a, member_a
):
    # when the village's officer opens the review everywhere it is shown, and exports the feed
    client.force_login(officer_a)
    seen = _surfaces(client, escalated, officer_a)

    # then the note and the escalating member's name appear nowhere
    assert [where for where, body in seen.items() if NOTE in body] == []
    assert [where for where, body in seen.items() if _name(member_a) in body] == []
    # (the feed lists the escalation, as the committee's)
    assert "村务监督委员会" in seen["feed"] or "supervision committee" in seen["feed"]
    # and looking the member up in the feed does not find the escalation either
    by_member = client.get(
        f"/api/v1/audit/changes/?model=villages.review&actor={member_a.username}"
    ).json()["results"]
    assert not any("escalation_note" in row["changed_fields"] for row in by_member)
    assert client.get(f"/api/v1/audit/changes/?actor={member_a.pk}").json()["results"] == []
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
    user = request.getfixturevalue(reader)
    client.force_login(user)
    seen = _surfaces(client, escalated, user)

    # then the note is on the page, over the API and in the timeline, and the member is named
    assert NOTE in seen["page"] and NOTE in seen["api"] and NOTE in seen["timeline"]
    assert 'id="escalation-withheld"' not in seen["page"]
    assert all(_name(member_a) in seen[where] for where in ("timeline", "feed", "export"))


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
