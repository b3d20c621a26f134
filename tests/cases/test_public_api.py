"""The public API (issue #4 §3): the JSON twins of the report and status pages, without an
account, a session or a CSRF token; the same rules, the same 404 for any wrong receipt."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from cases import services, vault
from cases.choices import Category, Channel, MessageKind, PublicStage, Rating
from cases.models import Complaint, ComplaintMessage, ReporterIdentity
from cases.services import public
from oversight.system import get_system_user
from tests.cases.conftest import secretary
from tests.cases.test_public_report import A1, conclude

pytestmark = pytest.mark.django_db

REPORT = {
    "village": A1,
    "categories": [Category.FALSE_CLAIMS],
    "description": "村主任虚报冒领危房改造补助。",
    "anonymous": False,
    "reporter": {"name": "李四", "phone": "13900139000", "id_number": "", "address": ""},
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    # A client that checks CSRF like a browser: the public API must not need a token.
    return APIClient(enforce_csrf_checks=True)


def _post(api: APIClient, path: str, data: dict, **extra):
    return api.post(f"/api/public/reports/{path}", data, format="json", **extra)


def test_a_report_returns_a_receipt_of_at_least_16_unambiguous_characters(api, district):
    # when a villager reports through the API
    response = _post(api, "", REPORT)

    # then they get a receipt, and only its hash is kept
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"receipt"}
    code = vault.normalise_receipt(body["receipt"])
    assert len(code) >= 16 and set(code) <= set(vault.RECEIPT_ALPHABET)
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.ONLINE and complaint.village.code == A1
    assert complaint.receipt_hash == vault.receipt_hash(body["receipt"])
    assert not complaint.is_anonymous
    identity = ReporterIdentity.objects.get(complaint=complaint)
    assert vault.decrypt(identity.name) == "李四" and identity.name != "李四"
    assert complaint.history.get().history_user == get_system_user()


def test_an_anonymous_report_keeps_no_identity_even_if_one_was_sent(api, district):
    response = _post(api, "", {**REPORT, "anonymous": True})

    assert response.status_code == 201
    assert Complaint.objects.get().is_anonymous
    assert not ReporterIdentity.objects.exists()


def test_a_report_without_a_reporter_is_anonymous(api, district):
    data = {key: value for key, value in REPORT.items() if key not in ("reporter", "anonymous")}

    assert _post(api, "", data).status_code == 201
    assert Complaint.objects.get().is_anonymous


def test_bad_input_gets_field_errors_and_writes_nothing(api, district):
    # when the village is unknown, a category is made up and nothing is described
    response = _post(
        api, "", {"village": "999999999999", "categories": ["made_up"], "description": ""}
    )

    # then each field says what is wrong
    assert response.status_code == 400
    assert {"village", "categories", "description"} <= set(response.json())
    assert not Complaint.objects.exists()


def test_the_api_ignores_a_staff_session_and_needs_no_csrf_token(api, district, township_staff):
    # given a staff member signed in on the same browser
    api.force_login(township_staff)

    # when the public API is called without a CSRF token
    response = _post(api, "", REPORT)

    # then it is accepted as from anyone: the report is the system's, not the staff member's
    assert response.status_code == 201
    assert Complaint.objects.get().history.get().history_user == get_system_user()


def test_the_status_answers_in_plain_words_with_the_messages(api, district, township_staff):
    # given a report with a notice from the commission
    complaint, receipt = public.public_report(village=A1, categories=["other"], description="x")
    services.complaint_register(actor=township_staff, complaint=complaint, note="受理")
    services.complaint_message(
        actor=township_staff, complaint=complaint, kind=MessageKind.NOTICE, body="已受理"
    )

    # when the villager asks
    response = _post(api, "status/", {"receipt": receipt})

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == PublicStage.ACCEPTED
    with translation.override("zh-hans"):
        assert body["status_label"] == str(PublicStage.ACCEPTED.label)
    assert [(m["kind"], m["body"]) for m in body["messages"]] == [("notice", "已受理")]
    assert body["messages"][0]["kind_label"] and body["messages"][0]["at"]
    assert body["can_rate"] is False and body["can_answer"] is False
    assert body["rating"] == ""


def test_every_wrong_receipt_gets_the_same_404(api, district):
    # given a real report
    public.public_report(village=A1, categories=["other"], description="x")

    # when codes that open nothing are sent to each endpoint
    answers = [
        _post(api, "status/", {"receipt": vault.new_receipt()}),
        _post(api, "status/", {"receipt": "WRONG"}),
        _post(api, "rate/", {"receipt": vault.new_receipt(), "rating": "satisfied"}),
        _post(api, "answer/", {"receipt": vault.new_receipt(), "body": "补充"}),
    ]

    # then every one is the same 404
    assert [a.status_code for a in answers] == [404] * 4
    assert len({a.content for a in answers}) == 1
    assert set(answers[0].json()) == {"detail"}


def test_the_reporter_answers_an_open_question(api, district, township_staff):
    # given the handler asked a question
    complaint, receipt = public.public_report(village=A1, categories=["other"], description="x")
    services.complaint_register(actor=township_staff, complaint=complaint, note="受理")
    services.complaint_message(
        actor=township_staff, complaint=complaint, kind=MessageKind.QUESTION, body="哪一年？"
    )
    assert _post(api, "status/", {"receipt": receipt}).json()["can_answer"] is True

    # when the villager answers
    response = _post(api, "answer/", {"receipt": receipt, "body": "2025年"})

    # then the answer is among the messages and the question is no longer open
    assert response.status_code == 200
    body = response.json()
    assert [m["kind"] for m in body["messages"]] == ["question", "answer"]
    assert body["can_answer"] is False
    assert ComplaintMessage.objects.get(kind="answer").author is None
    # and with no question open, a second answer is refused
    again = _post(api, "answer/", {"receipt": receipt, "body": "再补充"})
    assert again.status_code == 400 and "detail" in again.json()


def test_rating_is_refused_before_the_conclusion_then_accepted_once(
    api, district, township_staff, township_leader
):
    # given a report still in process
    complaint, receipt = public.public_report(
        village=A1, categories=[Category.FAVOURITISM], description="书记优亲厚友"
    )
    rating = {"receipt": receipt, "rating": Rating.DISSATISFIED, "comment": "太慢"}
    early = _post(api, "rate/", rating)
    assert early.status_code == 400 and "detail" in early.json()

    # when it is concluded and rated
    conclude(complaint, township_staff, township_leader, district)
    assert _post(api, "status/", {"receipt": receipt}).json()["can_rate"] is True
    response = _post(api, "rate/", rating)

    # then the rating is kept and returned, and a second one is refused
    assert response.status_code == 200
    body = response.json()
    assert (body["rating"], body["can_rate"], body["status"]) == (
        "dissatisfied",
        False,
        PublicStage.CONCLUDED,
    )
    complaint.refresh_from_db()
    assert (complaint.rating, complaint.rating_comment) == ("dissatisfied", "太慢")
    assert _post(api, "rate/", {**rating, "rating": "satisfied"}).status_code == 400
    complaint.refresh_from_db()
    assert complaint.rating == "dissatisfied"


def test_an_unknown_rating_is_a_field_error(api, district):
    _complaint, receipt = public.public_report(village=A1, categories=["other"], description="x")

    response = _post(api, "rate/", {"receipt": receipt, "rating": "great"})

    assert response.status_code == 400 and "rating" in response.json()


def test_the_status_body_never_holds_the_accused_the_handlers_or_internal_notes(
    api, district, township_staff, township_leader
):
    # given a public report made into a case, moved and concluded, with notes all along
    complaint, receipt = public.public_report(
        village=A1, categories=[Category.FAVOURITISM], description="书记优亲厚友"
    )
    conclude(complaint, township_staff, township_leader, district)
    complaint.refresh_from_db()
    events = [e.note for e in complaint.case.events.all()]
    assert events

    # when the villager asks
    response = _post(api, "status/", {"receipt": receipt})

    # then the result is there in plain words and nothing internal
    assert response.status_code == 200
    text = response.content.decode()
    assert response.json()["result"]
    for secret in (
        secretary(district).name,
        township_staff.username,
        township_leader.username,
        complaint.case.number,
        complaint.number,
        *events,
    ):
        assert secret not in text, secret


def test_too_many_reports_get_429_with_retry_after(api, district, settings):
    # given a limit of one report an hour
    settings.OVERSIGHT_PUBLIC_REPORTS_PER_HOUR = 1

    # when a client sends two
    first, second = _post(api, "", REPORT), _post(api, "", REPORT)

    # then the second is refused and not written
    assert (first.status_code, second.status_code) == (201, 429)
    assert 0 < int(second["Retry-After"]) <= 3600
    assert "detail" in second.json()
    assert Complaint.objects.count() == 1


def test_too_many_lookups_get_429_with_retry_after(api, district, settings):
    # given a limit of two lookups a minute, shared by status, answers and ratings
    settings.OVERSIGHT_RECEIPT_LOOKUPS_PER_MINUTE = 2
    _complaint, receipt = public.public_report(village=A1, categories=["other"], description="x")

    # when a client looks three times
    answers = [
        _post(api, "status/", {"receipt": vault.new_receipt()}),
        _post(api, "rate/", {"receipt": vault.new_receipt(), "rating": "satisfied"}),
        _post(api, "status/", {"receipt": receipt}),
    ]

    # then the third is refused, even with the right receipt
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert 0 < int(answers[2]["Retry-After"]) <= 60
    # while another client is not
    other = _post(api, "status/", {"receipt": receipt}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


def test_the_schema_documents_the_public_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    for path in ("", "status/", "answer/", "rate/"):
        operation = paths[f"/api/public/reports/{path}"]["post"]
        assert operation["requestBody"]
        # anyone may call it: no credentials of any kind
        assert operation.get("security", []) in ([], [{}])


def test_a_status_costs_two_queries_however_many_messages(
    district, township_staff, django_assert_num_queries
):
    # given a report with three messages
    complaint, receipt = public.public_report(village=A1, categories=["other"], description="x")
    for body in ("一", "二", "三"):
        services.complaint_message(
            actor=township_staff, complaint=complaint, kind=MessageKind.NOTICE, body=body
        )

    # when / then: the complaint by its receipt hash, then its messages
    with django_assert_num_queries(2):
        state = public.public_status(receipt=receipt)
    assert state is not None and [m["body"] for m in state.messages] == ["一", "二", "三"]
