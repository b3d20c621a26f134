"""The complaints API (issue #4 §11): intake over the API, the list and its filters, and the
reporter's identity that never comes back out."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from cases import services
from cases.choices import Channel, ComplaintStatus
from cases.models import Complaint, ReporterIdentity
from tests.cases.conftest import director, make_complaint, secretary
from tests.conftest import District
from tests.history import history_row_count
from villages.choices import Relation
from villages.services import relative_declare

pytestmark = pytest.mark.django_db

A1, A2, B1 = "320904103201", "320904103202", "320904110201"
REPORTER = {
    "name": "赵秀兰",
    "phone": "13912345678",
    "id_number": "320924196805120021",
    "address": "东丰村三组",
}


def _client(user: User | None = None) -> APIClient:
    api = APIClient()
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        api.force_authenticate(user)
    return api


def _payload(district: District, **overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "village": A1,
        "channel": "visit",
        "received_at": "2026-11-02T09:30:00+08:00",
        "summary": "反映村主任优亲厚友",
        "content": "村主任将其亲属纳入低保。",
        "categories": ["favouritism", "benefit_skimming"],
        "accused": [director(district).pk],
        "reporter": REPORTER,
    }
    payload.update(overrides)
    return payload


def test_staff_enter_a_complaint_and_the_reporter_never_comes_back(
    township_staff: User, district: District
) -> None:
    # when
    response = _client(township_staff).post(
        "/api/v1/complaints/", _payload(district), format="json"
    )

    # then
    assert response.status_code == 201
    body = response.json()
    complaint = Complaint.objects.get()
    assert body["id"] == complaint.pk and body["number"] == complaint.number
    assert (body["village"], body["channel"], body["status"]) == (A1, "visit", "received")
    assert sorted(body["categories"]) == ["benefit_skimming", "favouritism"]
    assert body["accused"] == [director(district).pk]
    assert body["is_anonymous"] is False
    assert body["received_at"].startswith("2026-11-02T09:30:00")
    # the identity went to the vault, and nothing of it (nor a receipt) is in the answer
    assert ReporterIdentity.objects.filter(complaint=complaint).exists()
    for value in REPORTER.values():
        assert value not in response.content.decode()
    for key in ("reporter", "reporter_identity", "receipt_hash", "receipt", "name", "phone"):
        assert key not in body
    assert complaint.history.latest("history_id").history_user == township_staff


def test_an_anonymous_complaint_needs_no_reporter(
    district_discipline: User, district: District
) -> None:
    payload = _payload(district, village=B1, accused=[], channel="phone")
    del payload["reporter"]
    response = _client(district_discipline).post("/api/v1/complaints/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["is_anonymous"] is True
    assert not ReporterIdentity.objects.exists()


def test_a_complaint_about_a_village_out_of_jurisdiction_is_refused(
    township_staff: User, district: District
) -> None:
    # given
    before = history_row_count()

    # when township A's staff name village B1
    response = _client(township_staff).post(
        "/api/v1/complaints/", _payload(district, village=B1, accused=[]), format="json"
    )

    # then it is as if the village did not exist
    assert response.status_code == 400
    assert "village" in response.json()
    assert not Complaint.objects.exists()
    assert history_row_count() == before


def test_invalid_input_is_400_and_writes_nothing(township_staff: User, district: District) -> None:
    api = _client(township_staff)
    for bad in (
        {"categories": []},
        {"categories": ["no_such_category"]},
        {"channel": "carrier_pigeon"},
        {"channel": Channel.COMMITTEE},  # escalations only come from the committee's ledger
        {"summary": ""},
    ):
        response = api.post("/api/v1/complaints/", _payload(district, **bad), format="json")
        assert response.status_code == 400, bad
    assert not Complaint.objects.exists()


def test_who_may_enter_and_read_complaints(
    district: District,
    district_official: User,
    member_a: User,
    chair_a: User,
    officer_a: User,
    administrator: User,
    township_staff: User,
) -> None:
    # given a complaint of A1
    make_complaint(township_staff, district)

    # then committee members, officers and administrators get 403 on the list and 404 on it
    complaint = Complaint.objects.get()
    for user in (member_a, chair_a, officer_a, administrator):
        api = _client(user)
        assert api.get("/api/v1/complaints/").status_code == 403
        assert api.get(f"/api/v1/complaints/{complaint.pk}/").status_code == 404
        response = api.post("/api/v1/complaints/", _payload(district), format="json")
        assert response.status_code == 403
    # and the auditor reads but does not enter
    api = _client(district_official)
    assert api.get("/api/v1/complaints/").json()["count"] == 1
    assert api.get(f"/api/v1/complaints/{complaint.pk}/").status_code == 200
    assert api.post("/api/v1/complaints/", _payload(district), format="json").status_code == 403
    assert Complaint.objects.count() == 1


def test_complaint_list_filters_by_status_village_and_channel(
    township_staff: User, township_leader: User, district: District
) -> None:
    # given a registered letter of A1, a visit of A1 and a phone call about A2
    from villages.models import Cadre

    letter = make_complaint(township_staff, district, channel=Channel.LETTER)
    services.complaint_register(actor=township_staff, complaint=letter, note="受理")
    visit = make_complaint(township_staff, district, channel=Channel.VISIT)
    a2_cadre = Cadre.objects.filter(village=district.village_a2).first()
    call = make_complaint(
        township_staff,
        district,
        village=district.village_a2,
        channel=Channel.PHONE,
        accused=[a2_cadre],
    )
    api = _client(township_leader)

    def numbers(query: str) -> set[str]:
        response = api.get(f"/api/v1/complaints/{query}")
        assert response.status_code == 200
        return {row["number"] for row in response.json()["results"]}

    # then
    assert numbers("") == {letter.number, visit.number, call.number}
    assert numbers(f"?village={A2}") == {call.number}
    assert numbers("?status=registered") == {letter.number}
    assert numbers(f"?status={ComplaintStatus.RECEIVED}") == {visit.number, call.number}
    assert numbers("?channel=visit") == {visit.number}
    assert numbers(f"?village={A1}&channel=phone") == set()


def test_complaint_list_costs_the_same_queries_for_one_or_many(
    township_staff: User, district: District, django_assert_num_queries
) -> None:
    # given one complaint
    make_complaint(township_staff, district)
    api = _client(User.objects.get(pk=township_staff.pk))
    with django_assert_num_queries(6):
        response = api.get("/api/v1/complaints/")
    assert response.json()["count"] == 1

    # when there are several, with several categories and accused each
    for _ in range(4):
        make_complaint(township_staff, district, accused=[secretary(district), director(district)])
    api = _client(User.objects.get(pk=township_staff.pk))

    # then: permissions (2), count, page, categories, accused
    with django_assert_num_queries(6):
        response = api.get("/api/v1/complaints/")
    assert response.json()["count"] == 5


def test_the_accused_and_their_relatives_never_see_the_complaint(
    township_staff: User, district_discipline: User, system_user: User, district: District
) -> None:
    # given a complaint about the secretary, whose declared son is district staff
    complaint = make_complaint(township_staff, district)
    relative_declare(
        actor=system_user,
        cadre=secretary(district),
        name="李小明",
        relation=Relation.CHILD,
        declared_on=datetime.date(2026, 1, 1),
        reason="近亲属备案",
        user=district_discipline,
    )

    # then
    api = _client(district_discipline)
    assert api.get(f"/api/v1/complaints/{complaint.pk}/").status_code == 404
    assert api.get("/api/v1/complaints/").json()["count"] == 0
    assert _client(township_staff).get(f"/api/v1/complaints/{complaint.pk}/").status_code == 200


def test_a_complaint_out_of_jurisdiction_is_404(
    township_staff: User, district_discipline: User, district: District
) -> None:
    from villages.models import Cadre

    b1_cadre = Cadre.objects.filter(village=district.village_b1).first()
    complaint = make_complaint(
        district_discipline, district, village=district.village_b1, accused=[b1_cadre]
    )
    api = _client(township_staff)
    assert api.get(f"/api/v1/complaints/{complaint.pk}/").status_code == 404
    assert api.get("/api/v1/complaints/").json()["count"] == 0
