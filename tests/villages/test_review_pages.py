"""The ledger's pages (issue #3 §5): the village's ledger, recording a review through the form,
and who may see which page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.villages.ledger_pages import FORM, ledger_writes, spending, submitted
from villages import services
from villages.choices import Outcome, ReviewStatus
from villages.models import Cadre, Review

A1, B1 = "320904103201", "320904110201"
NEW_SPENDING = f"/villages/{A1}/reviews/new/spending/"
READERS = [
    "chair_a", "member_a", "officer_a", "township_staff", "township_leader", "district_official",
]  # fmt: skip


def _codes(response):
    return [r.pk for r in response.context["page"].object_list]


# --- Who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", READERS)
def test_ledger_and_review_page_render_for_everyone_who_may_read_them(
    request, client, district, chair_a, persona
):
    # given a review in village A1
    review = spending(chair_a, district.village_a1)
    client.force_login(request.getfixturevalue(persona))

    # when the reader opens the ledger and the review
    ledger = client.get(f"/villages/{A1}/reviews/")
    page = client.get(f"/reviews/{review.pk}/")

    # then both render, with the review
    assert (ledger.status_code, page.status_code) == (200, 200)
    assert _codes(ledger) == [review.pk]
    assert review.title in page.content.decode()


def test_village_page_links_to_its_ledger(client, district, member_a):
    # given a member of A1
    client.force_login(member_a)

    # when they open their village
    response = client.get(f"/villages/{A1}/")

    # then it links to the ledger
    assert f'href="/villages/{A1}/reviews/"' in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "sees_link"),
    [
        ("chair_a", True),
        ("member_a", True),
        ("officer_a", False),
        ("township_staff", False),
        ("district_official", False),
    ],
)
def test_record_link_is_shown_only_to_members_of_the_committee_in_office(
    request, client, district, persona, sees_link
):
    # given a reader of A1's ledger
    client.force_login(request.getfixturevalue(persona))

    # when they open it
    response = client.get(f"/villages/{A1}/reviews/")

    # then the "record a review" link is there only for a seated member
    assert response.context["may_record"] is sees_link
    assert ('data-testid="record-review"' in response.content.decode()) is sees_link


@pytest.mark.parametrize("persona", ["officer_a", "township_staff", "district_official"])
def test_who_may_not_record_gets_403_on_the_new_review_pages(request, client, district, persona):
    # given someone who can read A1's ledger but holds no seat on its committee
    client.force_login(request.getfixturevalue(persona))
    before = ledger_writes()

    # when they open or post the new-review pages
    kind = client.get(f"/villages/{A1}/reviews/new/")
    form = client.get(NEW_SPENDING)
    post = client.post(NEW_SPENDING, FORM)

    # then each is refused and nothing is written
    assert (kind.status_code, form.status_code, post.status_code) == (403, 403, 403)
    assert ledger_writes() == before


def test_member_of_another_village_gets_404_on_its_pages(client, district, member_b):
    # given a member of B1
    client.force_login(member_b)

    # when they open A1's ledger and new-review pages
    urls = [f"/villages/{A1}/reviews/", f"/villages/{A1}/reviews/new/", NEW_SPENDING]

    # then each looks missing
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]


def test_unknown_kind_is_404(client, district, chair_a):
    client.force_login(chair_a)
    assert client.get(f"/villages/{A1}/reviews/new/bribe/").status_code == 404


def test_village_officer_sees_no_flags_on_the_ledger_or_the_review(
    client, district, chair_a, officer_a
):
    # given a review with an IOU note (a flag)
    review = spending(chair_a, district.village_a1, invoice_type="iou")
    client.force_login(officer_a)

    # when the officer reads the ledger and the review
    ledger = client.get(f"/villages/{A1}/reviews/")
    page = client.get(f"/reviews/{review.pk}/")

    # then neither shows flags
    assert ledger.context["can_see_flags"] is False
    assert not hasattr(ledger.context["page"].object_list[0], "open_flags")
    assert page.context["flags"] is None
    assert 'data-testid="flags"' not in page.content.decode()
    assert 'href="/flags/"' not in page.content.decode()


# --- The ledger list -----------------------------------------------------------------------------


def test_ledger_filters_by_kind_status_outcome_and_month(client, district, chair_a, member_a):
    # given a meeting in October, a draft voucher and a voucher approved by both members
    village = district.village_a1
    meeting = services.review_create(
        actor=chair_a, village=village, kind="meeting",
        fields={"title": "月度例会", "occurred_on": datetime.date(2026, 10, 20)},
    )  # fmt: skip
    draft = spending(chair_a, village, voucher_no="V-1")
    approved = submitted(chair_a, village, voucher_no="V-2", occurred_on=datetime.date(2026, 11, 5))
    services.review_sign(actor=chair_a, review=approved, outcome=Outcome.APPROVE)
    services.review_sign(actor=member_a, review=approved, outcome=Outcome.APPROVE)
    client.force_login(member_a)
    url = f"/villages/{A1}/reviews/"

    # when the ledger is filtered
    everything = client.get(url)
    by_kind = client.get(url, {"kind": "meeting"})
    by_status = client.get(url, {"status": ReviewStatus.CLOSED})
    by_outcome = client.get(url, {"outcome": Outcome.APPROVE})
    by_month = client.get(url, {"month": "2026-11"})
    bad_month = client.get(url, {"month": "November", "kind": "meeting"})

    # then each filter narrows the list; newest first; a filter that does not parse is ignored
    assert _codes(everything) == [approved.pk, draft.pk, meeting.pk]
    assert _codes(by_kind) == [meeting.pk]
    assert _codes(by_status) == [approved.pk]
    assert _codes(by_outcome) == [approved.pk]
    assert _codes(by_month) == [approved.pk, draft.pk]
    assert (bad_month.status_code, _codes(bad_month)) == (200, [meeting.pk])


def test_ledger_is_paginated_25_a_page(client, district, chair_a):
    # given 27 reviews
    for n in range(27):
        services.review_create(
            actor=chair_a, village=district.village_a1, kind="meeting",
            fields={"title": f"例会{n}", "occurred_on": datetime.date(2026, 4, 1)},
        )  # fmt: skip
    client.force_login(chair_a)

    # when both pages are read
    first = client.get(f"/villages/{A1}/reviews/", {"kind": "meeting"})
    second = client.get(f"/villages/{A1}/reviews/", {"kind": "meeting", "page": 2})

    # then 25 and 2, and the pager keeps the filter
    assert (len(_codes(first)), len(_codes(second))) == (25, 2)
    assert "kind=meeting&amp;page=2" in first.content.decode()


def test_htmx_request_gets_only_the_review_table(client, district, chair_a):
    # given a review
    review = spending(chair_a, district.village_a1)
    client.force_login(chair_a)

    # when htmx asks for the ledger
    response = client.get(f"/villages/{A1}/reviews/", HTTP_HX_REQUEST="true")

    # then it gets the table alone, and caches know the answer depends on the header
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-testid="review-table"' in body and review.title in body
    assert "HX-Request" in response["Vary"]


# --- Recording a review through the form ----------------------------------------------------------


def test_chair_records_a_spending_review_through_the_form_and_sees_its_flags(
    client, district, chair_a
):
    # given the chair of A1 on the spending form
    client.force_login(chair_a)
    assert client.get(NEW_SPENDING).status_code == 200

    # when they record a 30,000-yuan payment backed by an IOU note
    response = client.post(NEW_SPENDING, {**FORM, "amount": "30000.00", "invoice_type": "iou"})

    # then it is recorded as a draft by the chair, with its history row
    review = Review.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/reviews/{review.pk}/")
    assert (review.kind, review.status, review.amount) == ("spending", "draft", Decimal("30000"))
    row = review.history.latest()
    assert row.history_user == chair_a and row.history_change_reason
    # and its page and the ledger show its flags
    page = client.get(response["Location"])
    assert {f.code for f in page.context["flags"]} == {"iou_note", "over_threshold_missing_step"}
    ledger = client.get(f"/villages/{A1}/reviews/")
    assert ledger.context["page"].object_list[0].open_flags == 2


@pytest.mark.parametrize("amount", ["-5", "abc", "1e12"])
def test_a_bad_amount_rerenders_the_form_with_a_field_error_and_writes_nothing(
    client, district, chair_a, amount
):
    # given the chair on the spending form
    client.force_login(chair_a)
    before = ledger_writes()

    # when they type a bad amount
    response = client.post(NEW_SPENDING, {**FORM, "amount": amount})

    # then the form comes back with the error on the amount, and no review or history is written
    assert response.status_code == 400
    assert "amount" in response.context["form"].errors
    assert ledger_writes() == before


def test_a_rule_of_the_model_becomes_an_error_on_its_field(client, district, chair_a):
    # given the chair on the spending form
    client.force_login(chair_a)
    before = ledger_writes()

    # when they leave out who is paid (the model's rule, checked by the service)
    response = client.post(NEW_SPENDING, {**FORM, "payee": ""})

    # then the error is on the payee and nothing is written
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["payee"]
    assert ledger_writes() == before


def test_a_refused_file_leaves_no_review_behind(client, district, chair_a):
    # given the chair on the spending form
    client.force_login(chair_a)
    before = ledger_writes()
    upload = SimpleUploadedFile("voucher.exe", b"MZ\x90\x00", content_type="application/pdf")

    # when they attach a file that is not a PDF, JPEG or PNG
    response = client.post(NEW_SPENDING, {**FORM, "attachment": upload})

    # then the file is refused on its field and the review is not recorded either
    assert response.status_code == 400
    assert "attachment" in response.context["form"].errors
    assert ledger_writes() == before


def test_form_offers_only_this_villages_cadres_and_decisions(client, district, chair_a, member_b):
    # given decision reviews in A1 and in B1
    fields = {"title": "修建村道", "occurred_on": datetime.date(2026, 9, 1)}
    decision_a = services.review_create(
        actor=chair_a, village=district.village_a1, kind="decision", fields=fields
    )
    services.review_create(
        actor=member_b, village=district.village_b1, kind="decision", fields=fields
    )
    client.force_login(chair_a)

    # when the chair opens the spending form
    form = client.get(NEW_SPENDING).context["form"]

    # then every choice belongs to A1
    a1_cadres = set(Cadre.objects.filter(village=district.village_a1))
    assert set(form.fields["handler"].queryset) == a1_cadres
    assert set(form.fields["responsible_cadres"].queryset) == a1_cadres
    assert list(form.fields["linked_decision"].queryset) == [decision_a]


def test_a_cadre_of_another_village_is_not_a_valid_choice(client, district, chair_a):
    # given a cadre of B1
    other = Cadre.objects.filter(village=district.village_b1).first()
    client.force_login(chair_a)
    before = ledger_writes()

    # when the chair posts them as the handler
    response = client.post(NEW_SPENDING, {**FORM, "handler": other.pk})

    # then the choice is refused and nothing is written
    assert response.status_code == 400
    assert "handler" in response.context["form"].errors
    assert ledger_writes() == before


def test_decision_review_records_its_stages_and_shows_each_quorum(client, district, chair_a):
    # given the chair on the decision form
    client.force_login(chair_a)
    data = {
        "title": "修建村道", "occurred_on": "2026-09-01",
        "stage-proposal-held_on": "2026-08-01",
        "stage-party_meeting-held_on": "2026-08-10",
        "stage-party_meeting-expected": "30", "stage-party_meeting-attended": "12",
        "stage-resolution-held_on": "2026-08-20",
        "stage-resolution-expected": "60", "stage-resolution-attended": "50",
        "stage-resolution-votes_for": "40",
    }  # fmt: skip

    # when they record it
    response = client.post(f"/villages/{A1}/reviews/new/decision/", data)

    # then the three stages filled in are recorded, with their quorum verdicts and the flag
    review = Review.objects.get()
    assert response.status_code == 302
    page = client.get(f"/reviews/{review.pk}/")
    verdicts = {s.stage: s.quorum_met for s in page.context["stages"]}
    assert verdicts == {"proposal": None, "party_meeting": False, "resolution": True}
    assert [f.code for f in page.context["flags"]] == ["decision_no_quorum"]


def test_more_votes_than_people_is_an_error_on_the_stage(client, district, chair_a):
    # given the chair on the decision form
    client.force_login(chair_a)
    before = ledger_writes()
    data = {
        "title": "修建村道", "occurred_on": "2026-09-01",
        "stage-resolution-attended": "10", "stage-resolution-votes_for": "12",
    }  # fmt: skip

    # when the votes outnumber those present
    response = client.post(f"/villages/{A1}/reviews/new/decision/", data)

    # then that stage shows the error and nothing is written
    assert response.status_code == 400
    resolution = next(s for s in response.context["stages"] if s.stage == "resolution")
    assert "votes_for" in resolution.errors
    assert ledger_writes() == before


def test_roster_review_records_its_households(client, district, chair_a):
    # given the chair on the roster form, with two households and an empty row
    client.force_login(chair_a)
    data = {
        "title": "低保名单复核", "occurred_on": "2026-09-01", "programme": "dibao",
        "entries-TOTAL_FORMS": "3", "entries-INITIAL_FORMS": "0",
        "entries-MIN_NUM_FORMS": "0", "entries-MAX_NUM_FORMS": "500",
        "entries-0-household_head": "王五", "entries-0-persons": "3",
        "entries-0-monthly_amount": "600.00",
        "entries-1-household_head": "赵六", "entries-1-persons": "1",
        "entries-1-monthly_amount": "450",
    }  # fmt: skip

    # when they record it
    response = client.post(f"/villages/{A1}/reviews/new/roster/", data)

    # then both households are on the review's page
    review = Review.objects.get()
    assert response.status_code == 302
    assert [(e.household_head, e.persons) for e in review.entries.all()] == [
        ("王五", 3),
        ("赵六", 1),
    ]
    assert "赵六" in client.get(f"/reviews/{review.pk}/").content.decode()


def test_too_many_persons_in_a_household_is_an_error_on_its_row(client, district, chair_a):
    # given the chair on the roster form
    client.force_login(chair_a)
    before = ledger_writes()
    data = {
        "title": "低保名单复核", "occurred_on": "2026-09-01", "programme": "dibao",
        "entries-TOTAL_FORMS": "1", "entries-INITIAL_FORMS": "0",
        "entries-0-household_head": "王五", "entries-0-persons": "31",
        "entries-0-monthly_amount": "600.00",
    }  # fmt: skip

    # when a household has more persons than the model allows
    response = client.post(f"/villages/{A1}/reviews/new/roster/", data)

    # then that row shows the error and nothing is written
    assert response.status_code == 400
    assert "persons" in response.context["entries"].forms[0].errors
    assert ledger_writes() == before
