"""The staff pages of complaints (issue #4 §1, §4, §10): the intake list and form, a complaint's
page with its moves, the redacted view of the district auditor and the reveal of a reporter."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cases import services
from cases.choices import CaseStatus, Category, Channel, ComplaintStatus, MessageKind
from cases.models import Case, Complaint, ComplaintMessage, ReporterIdentity, SensitiveAccess
from tests.cases.conftest import director, make_case, make_complaint, secretary
from tests.conftest import District
from tests.factories import CadreFactory
from tests.history import history_row_count

pytestmark = pytest.mark.django_db

A1, A2, B1 = "320904103201", "320904103202", "320904110201"
REPORTER = {"name": "张三", "phone": "13800000000", "id_number": "320904199001011234"}
FORM = {
    "village": A1,
    "channel": Channel.VISIT,
    "received_at": "2025-06-03T10:15",
    "summary": "村主任优亲厚友",
    "content": "村主任把低保名额给了自己的亲戚。",
    "categories": [Category.FAVOURITISM, Category.BENEFIT_SKIMMING],
}


def english(client) -> None:  # type: ignore[no-untyped-def]
    """Read the page in English (the district's default is Chinese)."""
    client.cookies["django_language"] = "en"


def _numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.number for c in response.context["page"].object_list]


def _named(actor: User, district: District, **overrides: object) -> Complaint:
    return make_complaint(actor, district, reporter=REPORTER, **overrides)


def _concluded(staff: User, leader: User, district: District) -> Case:
    """A case of A1 closed without action: its complaint is concluded."""
    case = make_case(staff, district)
    services.case_transition(
        actor=staff,
        case=case,
        to=CaseStatus.DISPOSITION_PROPOSED,
        disposition=CaseStatus.CLOSED_NO_ACTION,
        note="经初步了解，反映不实",
    )
    return services.case_transition(
        actor=leader,
        case=case,
        to=CaseStatus.CLOSED_NO_ACTION,
        note="同意了结",
        result_summary="经核查，反映问题不属实。",
    )


# --- The intake list -----------------------------------------------------------------------------


def test_intake_list_shows_the_complaints_of_the_jurisdiction_newest_first(
    client, district, township_staff, district_discipline
):
    # given complaints in A1, A2 (township A) and B1 (township B)
    now = timezone.now()
    old = make_complaint(district_discipline, district, received_at=now - datetime.timedelta(2))
    new = make_complaint(
        district_discipline,
        district,
        village=district.village_a2,
        accused=[],
        received_at=now - datetime.timedelta(1),
    )
    make_complaint(district_discipline, district, village=district.village_b1, accused=[])
    client.force_login(township_staff)

    # when township A's staff open the intake list
    response = client.get("/complaints/")

    # then they see A's complaints only, newest first, with links to each
    assert response.status_code == 200
    assert _numbers(response) == [new.number, old.number]
    assert f'href="/complaints/{new.pk}/"' in response.content.decode()


def test_intake_list_filters_by_status_village_and_channel(client, district, township_staff):
    # given a registered letter of A1, a received visit of A1 and a received letter of A2
    letter = make_complaint(township_staff, district)
    services.complaint_register(actor=township_staff, complaint=letter, note="受理")
    visit = make_complaint(township_staff, district, channel=Channel.VISIT)
    other = make_complaint(township_staff, district, village=district.village_a2, accused=[])
    client.force_login(township_staff)

    # when they filter
    by_status = client.get("/complaints/", {"status": ComplaintStatus.REGISTERED})
    by_village = client.get("/complaints/", {"village": A2})
    by_channel = client.get("/complaints/", {"channel": Channel.VISIT})
    out_of_scope = client.get("/complaints/", {"village": B1})

    # then each filter keeps what it names; a village out of jurisdiction filters nothing in
    assert _numbers(by_status) == [letter.number]
    assert _numbers(by_village) == [other.number]
    assert _numbers(by_channel) == [visit.number]
    assert sorted(_numbers(out_of_scope)) == sorted([letter.number, visit.number, other.number])


def test_intake_list_costs_the_same_queries_for_5_rows_as_for_30(
    client, district, district_discipline, django_assert_num_queries
):
    # given five complaints, the list read once to warm the caches
    for _ in range(5):
        make_complaint(district_discipline, district)
    client.force_login(district_discipline)
    client.get("/complaints/")
    with django_assert_num_queries(9):
        five = client.get("/complaints/")

    # when there are thirty (more than a page)
    for _ in range(25):
        make_complaint(district_discipline, district, village=district.village_b1, accused=[])
    with django_assert_num_queries(9):
        thirty = client.get("/complaints/")

    # then both cost the same, though the second shows five times the rows
    assert len(five.context["page"].object_list) == 5
    assert len(thirty.context["page"].object_list) == 25


@pytest.mark.parametrize(
    "persona", ["member_a", "chair_a", "officer_a", "member_b", "outsider", "administrator"]
)
def test_who_holds_no_complaint_permission_gets_403_on_the_intake_pages(
    request, client, district, persona
):
    # given a signed-in person without cases.view_complaint
    client.force_login(request.getfixturevalue(persona))

    # when they open the list and the intake form
    statuses = [client.get(url).status_code for url in ("/complaints/", "/complaints/new/")]

    # then both are refused
    assert statuses == [403, 403]


def test_anonymous_visitor_is_sent_to_the_login_page(client, district):
    response = client.get("/complaints/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_navigation_links_complaints_and_cases_for_discipline_staff_only(
    client, district, township_staff, member_a
):
    # when staff and a committee member open the home page
    client.force_login(township_staff)
    staff_page = client.get("/").content.decode()
    client.force_login(member_a)
    member_page = client.get("/").content.decode()

    # then only the staff see the links
    assert 'href="/complaints/"' in staff_page and 'href="/cases/"' in staff_page
    assert 'href="/complaints/"' not in member_page and 'href="/cases/"' not in member_page


# --- The intake form -----------------------------------------------------------------------------


def test_staff_enter_a_named_complaint_through_the_form(client, district, township_staff):
    # given township A's staff on the intake form for A1
    client.force_login(township_staff)
    form = client.get("/complaints/new/", {"village": A1})
    assert form.status_code == 200
    accused = director(district)

    # when they post it, naming the director and the reporter
    response = client.post(
        "/complaints/new/",
        {
            **FORM,
            "accused": [accused.pk],
            "reporter_name": REPORTER["name"],
            "reporter_phone": REPORTER["phone"],
        },
    )

    # then the complaint is written and they land on its page
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/complaints/{complaint.pk}/"
    assert (complaint.village, complaint.channel, complaint.summary) == (
        district.village_a1,
        Channel.VISIT,
        FORM["summary"],
    )
    assert (
        timezone.localtime(complaint.received_at).strftime("%Y-%m-%dT%H:%M")
        == (FORM["received_at"])
    )
    assert sorted(c.category for c in complaint.category_links.all()) == sorted(FORM["categories"])
    assert [link.cadre for link in complaint.accused_links.all()] == [accused]
    assert complaint.registered_by == township_staff and not complaint.is_anonymous
    latest = complaint.history.latest()
    assert latest.history_user == township_staff and latest.history_change_reason
    # and the reporter is in the vault, encrypted, and not on the page
    identity = ReporterIdentity.objects.get(complaint=complaint)
    assert REPORTER["name"] not in identity.name
    page = client.get(response["Location"]).content.decode()
    assert REPORTER["name"] not in page and REPORTER["phone"] not in page


def test_the_form_offers_only_the_villages_and_cadres_of_the_jurisdiction(
    client, district, township_staff
):
    # given township A's staff
    client.force_login(township_staff)

    # when they open the form, then the form for A1
    plain = client.get("/complaints/new/")
    for_a1 = client.get("/complaints/new/", {"village": A1})

    # then the villages are A1 and A2; the cadres of A (all, then only A1's), never B's
    villages = [v.code for v in plain.context["form"].fields["village"].queryset]
    assert villages == [A1, A2]
    everyone = {c.village.code for c in plain.context["form"].fields["accused"].queryset}
    assert everyone == {A1, A2}
    only_a1 = {c.village.code for c in for_a1.context["form"].fields["accused"].queryset}
    assert only_a1 == {A1}


def test_an_accused_cadre_of_another_village_is_refused_and_nothing_is_written(
    client, district, township_staff
):
    # given a cadre of A2
    other = CadreFactory(village=district.village_a2)
    client.force_login(township_staff)
    before = history_row_count()

    # when the form names them on a complaint about A1
    response = client.post("/complaints/new/", {**FORM, "accused": [other.pk]})

    # then it is refused on the field, and nothing is written
    assert response.status_code == 400
    assert response.context["form"].errors["accused"]
    assert Complaint.objects.count() == 0 and history_row_count() == before


@pytest.mark.parametrize(
    ("field", "value"), [("village", B1), ("channel", Channel.COMMITTEE), ("categories", [])]
)
def test_the_form_refuses_a_village_out_of_reach_the_committee_channel_or_no_category(
    client, district, township_staff, field, value
):
    # given township A's staff
    client.force_login(township_staff)

    # when they post a village of township B, the committee's channel or no category
    response = client.post("/complaints/new/", {**FORM, field: value})

    # then the field is in error and nothing is written
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Complaint.objects.count() == 0


# --- A complaint's page and its moves ------------------------------------------------------------


def test_the_page_shows_the_complaint_and_offers_only_the_moves_of_its_status(
    client, district, township_staff
):
    # given a received complaint
    complaint = make_complaint(township_staff, district)
    client.force_login(township_staff)

    # when its page is opened
    response = client.get(f"/complaints/{complaint.pk}/")
    body = response.content.decode()

    # then it shows what was reported and about whom, with register and duplicate but no
    # "open a case" (it is not registered yet)
    assert response.status_code == 200
    assert complaint.content in body and secretary(district).name in body
    assert 'id="complaint-status"' in body
    assert {"register", "mark_duplicate", "message"} <= response.context["actions"]
    assert "open_case" not in response.context["actions"]
    assert 'id="register-form"' in body and 'id="open-case-form"' not in body


def test_registering_through_the_page_records_who_did_it(client, district, township_staff):
    # given a received complaint
    complaint = make_complaint(township_staff, district)
    client.force_login(township_staff)

    # when it is registered
    response = client.post(f"/complaints/{complaint.pk}/register/", {"note": "符合受理条件"})

    # then it is registered, and the history says by whom
    complaint.refresh_from_db()
    assert response.status_code == 302
    assert complaint.status == ComplaintStatus.REGISTERED
    latest = complaint.history.latest()
    assert latest.history_user == township_staff and latest.history_change_reason


def test_a_move_the_status_does_not_allow_is_refused_with_409_and_its_reason(
    client, district, township_staff
):
    # given a complaint not yet registered
    complaint = make_complaint(township_staff, district)
    client.force_login(township_staff)
    english(client)
    before = history_row_count()

    # when someone tries not to accept it
    response = client.post(f"/complaints/{complaint.pk}/not-accept/", {"note": "不属于受理范围"})

    # then the page comes back with the reason, and nothing changes
    assert response.status_code == 409
    assert "cannot be" in response.context["action_error"]
    assert 'id="action-error"' in response.content.decode()
    assert Complaint.objects.get().status == ComplaintStatus.RECEIVED
    assert history_row_count() == before


def test_a_missing_note_is_a_form_error_and_writes_nothing(client, district, township_staff):
    complaint = make_complaint(township_staff, district)
    client.force_login(township_staff)
    response = client.post(f"/complaints/{complaint.pk}/register/", {"note": ""})
    assert response.status_code == 400
    assert response.context["register_form"].errors["note"]
    assert Complaint.objects.get().status == ComplaintStatus.RECEIVED


def test_opening_a_case_from_the_page_takes_the_chosen_subjects_and_goes_to_the_case(
    client, district, township_staff
):
    # given a registered complaint accusing the Party secretary
    complaint = make_complaint(township_staff, district)
    services.complaint_register(actor=township_staff, complaint=complaint, note="受理")
    client.force_login(township_staff)

    # when its page is opened, the accused are preselected as subjects
    page = client.get(f"/complaints/{complaint.pk}/")
    form = page.context["open_case_form"]
    assert form.initial["subjects"] == [secretary(district).pk]

    # and the case is opened from it
    response = client.post(
        f"/complaints/{complaint.pk}/open-case/",
        {
            "summary": "村书记虚报冒领低保金",
            "kind": "violation",
            "subjects": [secretary(district).pk, director(district).pk],
            "categories": [Category.FALSE_CLAIMS],
            "note": "线索具体",
        },
    )

    # then the case exists with both subjects, and the page is the case's
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    assert {s.cadre for s in case.subjects.all()} == {secretary(district), director(district)}
    assert all(s.categories == [Category.FALSE_CLAIMS] for s in case.subjects.all())
    complaint.refresh_from_db()
    assert complaint.case == case and complaint.status == ComplaintStatus.IN_PROCESS


def test_marking_a_duplicate_by_its_number_links_the_two(client, district, township_staff):
    # given two complaints of A1
    first = make_complaint(township_staff, district)
    repeat = make_complaint(township_staff, district)
    client.force_login(township_staff)

    # when the second is marked as a repeat of the first, by number
    response = client.post(
        f"/complaints/{repeat.pk}/duplicate/",
        {"duplicate_of": first.number.lower(), "note": "同一事项重复举报"},
    )

    # then they are linked, and the first lists the repeat
    repeat.refresh_from_db()
    assert response.status_code == 302
    assert (repeat.status, repeat.duplicate_of) == (ComplaintStatus.DUPLICATE, first)
    first_page = client.get(f"/complaints/{first.pk}/")
    assert first_page.context["duplicates"] == [repeat]


def test_a_duplicate_of_a_complaint_out_of_reach_is_refused_as_unknown(
    client, district, township_staff, district_discipline
):
    # given a complaint of B1 township A cannot see
    hidden = make_complaint(district_discipline, district, village=district.village_b1, accused=[])
    complaint = make_complaint(township_staff, district)
    client.force_login(township_staff)

    # when they name it as the original
    response = client.post(
        f"/complaints/{complaint.pk}/duplicate/", {"duplicate_of": hidden.number, "note": "重复"}
    )

    # then the number is unknown to them
    assert response.status_code == 400
    assert response.context["duplicate_form"].errors["duplicate_of"]


def test_a_message_to_the_reporter_is_recorded_and_listed(client, district, township_staff):
    # given a named complaint
    complaint = _named(township_staff, district)
    client.force_login(township_staff)

    # when an acknowledgement is sent from the page
    response = client.post(
        f"/complaints/{complaint.pk}/message/",
        {"kind": MessageKind.ACKNOWLEDGEMENT, "body": "您的举报已受理。"},
    )

    # then it is recorded, by its author, and the page lists it
    message = ComplaintMessage.objects.get()
    assert response.status_code == 302
    assert (message.kind, message.author) == (MessageKind.ACKNOWLEDGEMENT, township_staff)
    page = client.get(f"/complaints/{complaint.pk}/")
    assert "您的举报已受理。" in page.content.decode()


def test_a_concluded_complaint_is_closed_with_its_summary(
    client, district, township_staff, township_leader
):
    # given a complaint whose case ended without action
    case = _concluded(township_staff, township_leader, district)
    complaint = case.complaints.get()
    client.force_login(township_staff)
    assert "close" in client.get(f"/complaints/{complaint.pk}/").context["actions"]

    # when it is closed with its summary
    response = client.post(
        f"/complaints/{complaint.pk}/close/", {"closing_summary": "经核查不属实，已向举报人说明。"}
    )

    # then it is closed and keeps the summary
    complaint.refresh_from_db()
    assert response.status_code == 302
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.closing_summary == "经核查不属实，已向举报人说明。"


# --- The district auditor ------------------------------------------------------------------------


def test_the_auditor_reads_the_content_only_once_the_matter_is_over(
    client, district, township_staff, township_leader, district_official
):
    # given a complaint in an open case and one whose case ended
    open_case = make_case(township_staff, district)
    in_progress = open_case.complaints.get()
    concluded = _concluded(township_staff, township_leader, district).complaints.get()
    client.force_login(district_official)

    # when the auditor opens both
    redacted = client.get(f"/complaints/{in_progress.pk}/")
    readable = client.get(f"/complaints/{concluded.pk}/")

    # then the open one's content is withheld, the concluded one's shown; no action is offered
    assert redacted.status_code == readable.status_code == 200
    assert redacted.context["redacted"] is True
    assert in_progress.content not in redacted.content.decode()
    assert 'data-redacted="true"' in redacted.content.decode()
    assert readable.context["redacted"] is False
    assert concluded.content in readable.content.decode()
    assert redacted.context["actions"] == set() and 'id="actions"' not in redacted.content.decode()


def test_the_auditor_cannot_act_on_a_complaint(client, district, township_staff, district_official):
    # given a received complaint
    complaint = make_complaint(township_staff, district)
    client.force_login(district_official)
    before = history_row_count()

    # when the auditor posts a registration
    response = client.post(f"/complaints/{complaint.pk}/register/", {"note": "受理"})

    # then it is forbidden and nothing changes
    assert response.status_code == 403
    assert history_row_count() == before


def test_a_complaint_out_of_jurisdiction_is_404(
    client, district, township_staff, district_discipline
):
    hidden = make_complaint(district_discipline, district, village=district.village_b1, accused=[])
    client.force_login(township_staff)
    assert client.get(f"/complaints/{hidden.pk}/").status_code == 404
    assert client.post(f"/complaints/{hidden.pk}/register/", {"note": "x"}).status_code == 404


# --- The reporter's identity ---------------------------------------------------------------------


def test_the_intake_officer_reveals_the_reporter_once_for_a_stated_purpose(
    client, district, township_staff
):
    # given a named complaint entered by township A's staff (its intake officer)
    complaint = _named(township_staff, district)
    client.force_login(township_staff)
    page = client.get(f"/complaints/{complaint.pk}/")
    assert "reveal" in page.context["actions"]
    assert REPORTER["name"] not in page.content.decode()

    # when they reveal it, saying why
    response = client.post(f"/complaints/{complaint.pk}/reveal/", {"purpose": "电话核实举报细节"})

    # then this response shows it (no redirect), uncached, and the access is logged
    body = response.content.decode()
    assert response.status_code == 200
    assert REPORTER["name"] in body and REPORTER["phone"] in body
    assert 'id="reporter-identity"' in body
    assert "no-store" in response["Cache-Control"]
    access = SensitiveAccess.objects.get()
    assert (access.user, access.complaint, access.purpose) == (
        township_staff,
        complaint,
        "电话核实举报细节",
    )
    # and the next visit of the page shows it no more
    again = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert REPORTER["name"] not in again


def test_a_reveal_without_a_purpose_is_refused_and_logs_nothing(client, district, township_staff):
    complaint = _named(township_staff, district)
    client.force_login(township_staff)
    response = client.post(f"/complaints/{complaint.pk}/reveal/", {"purpose": " "})
    assert response.status_code == 400
    assert REPORTER["name"] not in response.content.decode()
    assert SensitiveAccess.objects.count() == 0


@pytest.mark.parametrize("persona", ["district_official", "district_discipline"])
def test_who_is_not_entitled_gets_no_reveal_form_and_403(
    request, client, district, township_staff, persona
):
    # given a named complaint entered by township A's staff
    complaint = _named(township_staff, district)
    client.force_login(request.getfixturevalue(persona))

    # when the auditor, or district staff who neither took it in nor handle it, try
    page = client.get(f"/complaints/{complaint.pk}/")
    response = client.post(f"/complaints/{complaint.pk}/reveal/", {"purpose": "了解情况"})

    # then no form is offered, the reveal is forbidden, and nothing is logged
    assert "reveal" not in page.context["actions"]
    assert 'id="reveal-form"' not in page.content.decode()
    assert response.status_code == 403
    assert REPORTER["name"] not in response.content.decode()
    assert SensitiveAccess.objects.count() == 0


@pytest.mark.parametrize("url", ["/complaints/", "/cases/"])
def test_an_htmx_filter_request_gets_only_the_table(client, district, township_staff, url):
    # given the staff, filtering with htmx
    client.force_login(township_staff)

    # when the list is asked for as a fragment
    response = client.get(url, {"status": "registered"}, HTTP_HX_REQUEST="true")

    # then only the table comes back, and caches keep the two answers apart
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'aria-live="polite"' in body
    assert "HX-Request" in response["Vary"]
