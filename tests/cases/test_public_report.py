"""The public pages (issue #4 §3): a villager reports without an account, keeps the receipt code,
follows the report with it, answers questions and rates the handling; rate-limited per client."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cases import services, vault
from cases.choices import (
    Category,
    Channel,
    ComplaintStatus,
    MessageKind,
    PublicStage,
    Rating,
    Stage,
)
from cases.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintMessage,
    Deadline,
    ReporterIdentity,
)
from cases.services import public
from cases.services.errors import InvalidInput, NotFound
from oversight.system import get_system_user
from tests.cases.conftest import secretary
from tests.history import history_row_count
from villages.services import reference_save

pytestmark = pytest.mark.django_db

A1, B1 = "320904103201", "320904110201"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
PNG += b"\x90wS\xde" + b"\x00\x00\x00\x00IEND\xaeB`\x82"  # its CRC and end: a whole file
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run"
RECEIPT_SHAPE = re.compile(r"^[%s]{4}(-[%s]{4}){4}$" % ((vault.RECEIPT_ALPHABET,) * 2))
REPORT = {
    "village": A1,
    "categories": [Category.BENEFIT_SKIMMING, Category.FAVOURITISM],
    "description": "村会计把低保金发给了自己的亲戚，2026年10月发放名单上有三户不符合条件。",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _receipt(response) -> str:
    match = re.search(r'data-testid="receipt"[^>]*>([^<]+)<', response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1).strip()


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _stored_files(path: str = "complaints") -> set[str]:
    try:
        directories, files = default_storage.listdir(path)
    except FileNotFoundError:
        return set()
    found = {f"{path}/{name}" for name in files}
    for directory in directories:
        found |= _stored_files(f"{path}/{directory}")
    return found


def conclude(complaint: Complaint, staff: User, leader: User, district) -> None:
    """Register the complaint, open a case about A1's secretary, propose closing it without
    action (staff) and approve that (leader): the complaint is concluded."""
    services.complaint_register(actor=staff, complaint=complaint, note="受理内部备注ALPHA")
    case = services.case_open(
        actor=staff,
        complaints=[complaint],
        summary="内部摘要：书记优亲厚友",
        subjects=[(secretary(district), [Category.FAVOURITISM])],
        note="立案备注BRAVO",
    )
    services.case_transition(
        actor=staff,
        case=case,
        to="disposition_proposed",
        disposition="closed_no_action",
        note="拟了结备注CHARLIE",
    )
    services.case_transition(actor=leader, case=case, to="closed_no_action", note="同意了结DELTA")
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CONCLUDED


# --- Reporting ----------------------------------------------------------------------------------


def test_the_report_page_needs_no_login_and_offers_villages_by_township_and_the_21_categories(
    client, district
):
    # when an anonymous visitor opens the page
    response = client.get("/report/")

    # then the form is there: villages grouped by township, every category, a CSRF token
    assert response.status_code == 200
    html = response.content.decode()
    assert '<optgroup label="刘庄镇">' in html and '<optgroup label="新丰镇">' in html
    assert f'value="{A1}"' in html and f'value="{B1}"' in html
    assert html.count('name="categories"') == 21
    assert "csrfmiddlewaretoken" in html
    assert 'enctype="multipart/form-data"' in html
    assert "no-store" in response["Cache-Control"]


def test_an_anonymous_report_shows_its_receipt_once_and_keeps_only_its_hash(client, district):
    # when a villager sends a report without giving a name
    response = client.post("/report/", REPORT)

    # then the receipt page is rendered (not redirected to), never cached
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    receipt = _receipt(response)
    assert RECEIPT_SHAPE.match(receipt)
    assert len(vault.normalise_receipt(receipt)) >= 16
    # and the complaint is online, anonymous, from A1, with its hash and not its code
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.ONLINE
    assert complaint.village.code == A1
    assert complaint.is_anonymous
    assert complaint.content == REPORT["description"]
    assert len(complaint.summary) <= 60 and REPORT["description"].startswith(
        complaint.summary.rstrip("…")
    )
    assert complaint.receipt_hash == vault.receipt_hash(receipt)
    assert set(complaint.category_links.values_list("category", flat=True)) == set(
        REPORT["categories"]
    )
    assert not ReporterIdentity.objects.exists()
    # written by the system user, with a reason
    row = complaint.history.get()
    assert row.history_user == get_system_user()
    assert row.history_change_reason
    # and the language switch, which would reload the form and lose the code, is not on this page
    assert 'action="/i18n/setlang/"' not in response.content.decode()
    # and the code went nowhere else: not in the session, not in a cookie
    assert receipt not in str(dict(client.session))
    assert all(receipt not in morsel.value for morsel in response.cookies.values())


def test_a_named_report_keeps_the_identity_encrypted_and_starts_the_acknowledgement_clock(
    client, district
):
    # when the villager gives their name and phone
    response = client.post("/report/", {**REPORT, "name": "王小明", "phone": "13800138000"})

    # then the identity is in the vault, as tokens only
    assert response.status_code == 200
    complaint = Complaint.objects.get()
    assert not complaint.is_anonymous
    identity = ReporterIdentity.objects.get(complaint=complaint)
    assert identity.name != "王小明" and vault.decrypt(identity.name) == "王小明"
    assert vault.decrypt(identity.phone) == "13800138000"
    assert identity.id_number == "" and identity.address == ""
    # and a named reporter is owed an acknowledgement
    assert Deadline.objects.filter(complaint=complaint, stage=Stage.ACKNOWLEDGEMENT).exists()
    assert "15" in response.content.decode()


def test_choosing_anonymous_keeps_no_identity_even_if_it_was_typed(client, district):
    # when the villager typed a name but ticked "anonymous"
    response = client.post("/report/", {**REPORT, "name": "王小明", "anonymous": "on"})

    # then nothing of them is kept
    assert response.status_code == 200
    assert Complaint.objects.get().is_anonymous
    assert not ReporterIdentity.objects.exists()


def test_form_errors_send_the_form_back_with_the_input_and_write_nothing(client, district):
    # given
    before = history_row_count()

    # when the categories are missing
    response = client.post("/report/", {**REPORT, "categories": [], "name": "王小明"})

    # then the form comes back with the error and what was typed
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errorlist' in html
    assert REPORT["description"] in html and 'value="王小明"' in html
    assert not Complaint.objects.exists()
    assert history_row_count() == before


@pytest.mark.parametrize("code", ["999999999999", "320904103", ""])
def test_a_village_that_does_not_exist_is_refused(client, district, code):
    response = client.post("/report/", {**REPORT, "village": code})

    assert response.status_code == 400
    assert not Complaint.objects.exists()


def test_a_village_no_longer_valid_is_refused_by_the_service(district):
    # given A2 was merged away in 2020
    village = district.village_a2
    village.valid_from, village.valid_to = datetime.date(2010, 1, 1), datetime.date(2020, 1, 1)
    reference_save(actor=get_system_user(), instance=village, reason="合并")

    # when / then
    with pytest.raises(InvalidInput):
        public.public_report(village=village.code, categories=["other"], description="情况")
    assert not Complaint.objects.exists()


def test_the_service_refuses_an_empty_or_too_long_description_and_unknown_categories(district):
    with pytest.raises(InvalidInput):
        public.public_report(village=A1, categories=["other"], description="   ")
    with pytest.raises(InvalidInput):
        public.public_report(village=A1, categories=["other"], description="字" * 5001)
    with pytest.raises(InvalidInput):
        public.public_report(village=A1, categories=["no_such"], description="情况")
    assert not Complaint.objects.exists()


def test_attachments_are_kept_under_their_hash_without_the_reporters_file_name(client, district):
    # when the villager sends a PDF and a photo whose names say who they are
    response = client.post(
        "/report/",
        {**REPORT, "attachments": [_file("王小明的举报.pdf", PDF), _file("wxm.png", PNG)]},
    )

    # then both are kept, typed by content, named by their hash
    assert response.status_code == 200
    rows = list(ComplaintAttachment.objects.order_by("id"))
    assert [(a.content_type, a.size) for a in rows] == [
        ("application/pdf", len(PDF)),
        ("image/png", len(PNG)),
    ]
    assert rows[0].sha256 == hashlib.sha256(PDF).hexdigest()
    for row in rows:
        assert row.file.name.startswith(f"complaints/{row.sha256[:2]}/{row.sha256}")
        assert "王小明" not in row.file.name and "wxm" not in row.file.name
        assert row.uploaded_by is None
        assert row.history.get().history_user == get_system_user()


def test_a_refused_attachment_leaves_no_complaint_no_row_and_no_file(client, district):
    # given
    before, files_before = history_row_count(), _stored_files()

    # when one of the files is a program
    response = client.post(
        "/report/", {**REPORT, "attachments": [_file("a.pdf", PDF), _file("b.pdf", EXE)]}
    )

    # then the form says why, and nothing at all was kept
    assert response.status_code == 400
    assert response.context["form"].errors["attachments"]
    assert not Complaint.objects.exists()
    assert not ComplaintAttachment.objects.exists()
    assert _stored_files() == files_before
    assert history_row_count() == before


def test_an_empty_file_and_more_than_five_files_are_refused(client, district):
    files_before = _stored_files()
    empty = client.post("/report/", {**REPORT, "attachments": [_file("a.pdf", b"")]})
    six = client.post(
        "/report/", {**REPORT, "attachments": [_file(f"{i}.pdf", PDF) for i in range(6)]}
    )

    assert (empty.status_code, six.status_code) == (400, 400)
    assert not Complaint.objects.exists()
    assert _stored_files() == files_before


def test_the_public_forms_refuse_a_post_without_its_csrf_token(district):
    # given a browser that really checks CSRF
    browser = Client(enforce_csrf_checks=True)

    # when a report or a lookup is posted without the token
    report = browser.post("/report/", REPORT)
    lookup = browser.post("/report/status/", {"receipt": "ABCD"})

    # then both are refused
    assert (report.status_code, lookup.status_code) == (403, 403)
    assert not Complaint.objects.exists()


# --- Following a report -------------------------------------------------------------------------


def _status(client, receipt: str, **extra: str):
    return client.post("/report/status/", {"receipt": receipt, **extra})


def test_the_status_page_shows_the_stage_in_plain_words_and_the_messages(
    client, district, township_staff
):
    # given a report the staff acknowledged
    complaint, receipt = public.public_report(
        village=A1, categories=["other"], description="情况说明"
    )
    services.complaint_message(
        actor=township_staff, complaint=complaint, kind=MessageKind.NOTICE, body="已收到您的反映"
    )

    # when the villager types the code (lower case, without dashes)
    response = _status(client, vault.normalise_receipt(receipt).lower())

    # then they see the stage and the message, and the page is never cached
    assert response.status_code == 200
    html = response.content.decode()
    state = response.context["state"]
    assert state.status == PublicStage.RECEIVED
    assert f'data-testid="status-label">{state.status_label}<' in html
    assert "已收到您的反映" in html
    assert "no-store" in response["Cache-Control"]


def test_the_status_page_asks_for_the_code_by_post_and_ignores_it_in_the_url(client, district):
    # given a report
    _complaint, receipt = public.public_report(village=A1, categories=["other"], description="情况")

    # when someone puts the code in the URL
    response = client.get(f"/report/status/?receipt={receipt}")

    # then it is not looked up: only the form is shown
    assert response.status_code == 200
    assert response.context.get("state") is None
    assert 'method="post"' in response.content.decode()


def test_every_wrong_code_gets_the_same_not_found_page(client, district):
    # given a real report exists
    public.public_report(village=A1, categories=["other"], description="情况")

    # when codes that open nothing are tried: well-formed, malformed, and a follow-up form
    answers = [
        _status(client, vault.new_receipt()),
        _status(client, "not a code"),
        _status(client, vault.new_receipt(), action="rate", rating="satisfied"),
        _status(client, vault.new_receipt(), action="answer", body="补充"),
    ]

    # then every one is the same 404 page
    assert [r.status_code for r in answers] == [404] * 4
    pages = {_without_csrf(r.content.decode()) for r in answers}
    assert len(pages) == 1
    assert 'data-testid="not-found"' in pages.pop()


def test_the_reporter_answers_an_open_question_once(
    client, district, township_staff, django_capture_on_commit_callbacks
):
    # given the handler asked a question
    complaint, receipt = public.public_report(village=A1, categories=["other"], description="情况")
    services.complaint_register(actor=township_staff, complaint=complaint, note="受理")
    services.complaint_message(
        actor=township_staff, complaint=complaint, kind=MessageKind.QUESTION, body="具体是哪一户？"
    )
    page = _status(client, receipt)
    assert 'data-testid="answer-form"' in page.content.decode()

    # when the villager answers through the page
    with django_capture_on_commit_callbacks(execute=True):
        response = _status(client, receipt, action="answer", body="东头第三户")

    # then the answer is a message without an author, written as the system user
    assert response.status_code == 200
    answer = ComplaintMessage.objects.get(kind=MessageKind.ANSWER)
    assert (answer.body, answer.author, answer.complaint) == ("东头第三户", None, complaint)
    assert answer.history.get().history_user == get_system_user()
    html = response.content.decode()
    assert 'data-testid="done"' in html
    # and the question is no longer open: the form is gone and a second answer is refused
    assert 'data-testid="answer-form"' not in html
    again = _status(client, receipt, action="answer", body="再补充")
    assert again.status_code == 400
    assert ComplaintMessage.objects.filter(kind=MessageKind.ANSWER).count() == 1
    # and the person who registered it is told
    assert township_staff.notifications.filter(kind="reporter_answer").count() == 1


def test_answering_without_an_open_question_is_refused(district):
    # given a report nobody asked anything about
    _complaint, receipt = public.public_report(village=A1, categories=["other"], description="x")

    # when / then
    with pytest.raises(InvalidInput):
        public.public_answer(receipt=receipt, body="补充")
    with pytest.raises(NotFound):
        public.public_answer(receipt=vault.new_receipt(), body="补充")
    assert not ComplaintMessage.objects.exists()


def test_rating_waits_for_the_conclusion_and_happens_once(
    client, district, township_staff, township_leader
):
    # given a report still being handled
    complaint, receipt = public.public_report(
        village=A1, categories=[Category.FAVOURITISM], description="书记优亲厚友"
    )
    early = _status(client, receipt, action="rate", rating=Rating.SATISFIED)
    assert early.status_code == 400
    assert 'data-testid="rate-form"' not in early.content.decode()

    # when it is concluded and the villager rates it
    conclude(complaint, township_staff, township_leader, district)
    offered = _status(client, receipt)
    assert 'data-testid="rate-form"' in offered.content.decode()
    response = _status(
        client, receipt, action="rate", rating=Rating.BASICALLY_SATISFIED, comment="处理及时"
    )

    # then the rating is recorded by the system user, and cannot be given again
    assert response.status_code == 200
    complaint.refresh_from_db()
    assert (complaint.rating, complaint.rating_comment) == (
        Rating.BASICALLY_SATISFIED,
        "处理及时",
    )
    assert complaint.rated_at is not None
    row = complaint.history.first()
    assert row is not None and row.history_user == get_system_user()
    html = response.content.decode()
    assert 'data-testid="rated"' in html and 'data-testid="rate-form"' not in html
    again = _status(client, receipt, action="rate", rating=Rating.DISSATISFIED)
    assert again.status_code == 400
    complaint.refresh_from_db()
    assert complaint.rating == Rating.BASICALLY_SATISFIED


def test_the_status_page_never_shows_the_accused_the_handlers_or_internal_notes(
    client, district, township_staff, township_leader
):
    # given a public report made into a case, moved and concluded, with notes all along
    complaint, receipt = public.public_report(
        village=A1, categories=[Category.FAVOURITISM], description="书记优亲厚友"
    )
    conclude(complaint, township_staff, township_leader, district)
    complaint.refresh_from_db()

    # when the villager looks
    html = _status(client, receipt).content.decode()

    # then they see the result in plain words, and nothing internal
    assert 'data-testid="result"' in html
    for secret in (
        secretary(district).name,
        township_staff.username,
        township_leader.username,
        township_staff.first_name,
        complaint.case.number,
        complaint.number,
        "ALPHA",
        "BRAVO",
        "CHARLIE",
        "DELTA",
        "内部摘要",
    ):
        assert secret not in html, secret


# --- Rate limits --------------------------------------------------------------------------------


def test_too_many_reports_from_one_client_get_429_with_retry_after(client, district, settings):
    # given a limit of two reports an hour
    settings.OVERSIGHT_PUBLIC_REPORTS_PER_HOUR = 2

    # when the same client sends three
    answers = [client.post("/report/", REPORT) for _ in range(3)]

    # then the third is refused in plain words, with the input kept and nothing written
    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[2]
    assert 0 < int(refused["Retry-After"]) <= 3600
    html = refused.content.decode()
    assert 'data-testid="throttled"' in html and REPORT["description"] in html
    assert Complaint.objects.count() == 2
    # while another client may still report
    other = client.post("/report/", REPORT, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200


def test_too_many_receipt_lookups_get_429_with_retry_after(client, district, settings):
    # given a limit of three lookups a minute
    settings.OVERSIGHT_RECEIPT_LOOKUPS_PER_MINUTE = 3
    _complaint, receipt = public.public_report(village=A1, categories=["other"], description="x")

    # when one client guesses three codes, then tries the right one
    guesses = [_status(client, vault.new_receipt()) for _ in range(3)]
    right = _status(client, receipt)

    # then the guesses were not found and the fourth lookup is refused, even with the right code
    assert [g.status_code for g in guesses] == [404, 404, 404]
    assert right.status_code == 429
    assert 0 < int(right["Retry-After"]) <= 60
    assert 'data-testid="throttled"' in right.content.decode()
    assert "state" not in right.context or right.context.get("state") is None


def test_a_visitor_without_an_account_is_offered_reporting_not_the_staff_pages(client, district):
    # when
    response = client.get("/report/")
    # then the header leads to reporting, following a report, and the staff login
    page = response.content.decode()
    assert 'href="/report/status/"' in page and 'href="/accounts/login/"' in page
    assert 'href="/complaints/"' not in page and 'href="/villages/"' not in page
