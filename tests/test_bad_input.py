"""The bad-input battery (issue #9 item 2): every field of every form and API write endpoint gets
hostile values — markup, SQL, overlong text, wrong types, extreme numbers and dates, full-width
digits, zero-width and right-to-left characters, NUL bytes (which PostgreSQL refuses in text).

Whatever arrives, the answer is never a 500. A value the field must refuse gets an error that
names the field (the form again, or a 400 naming it) and leaves no row, no history, no ledger
entry and no file. A value that is accepted is stored as given and every page that shows it
shows it escaped. The fields are read from the form and serializer classes, so a new field is
fuzzed without touching this file; `test_every_form_and_serializer_is_in_the_battery` fails
when a new form or serializer is not. Uploads: tests/villages/test_bad_uploads.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.test import Client

from tests.bad_input_payloads import (
    FAMILIES,
    FieldSpec,
    Run,
    api_fields,
    app_form_classes,
    form_fields,
    input_serializer_names,
    instance_fields,
    payloads,
    probe,
    with_ids,
)
from tests.cases.matrix import INTAKE
from tests.cases.matrix_api import COMPLAINT, PROPOSAL
from tests.matrix_base import A1
from tests.test_permission_matrix import MATRIX, SPENDING, _ledger_ids, case_ids

COMMON = {"title": "村务会议记录", "occurred_on": "2026-11-02", "description": "会议内容"}
COSTS = {**COMMON, "amount": "5000.00", "payee": "东丰建筑队", "purpose": "修路"}
# A valid request of each kind of review; a kind added later gets the common fields.
KIND_BASE: dict[str, dict[str, Any]] = {
    "spending": SPENDING,
    "asset": COSTS,
    "project": COSTS,
    "disclosure": {**COMMON, "period": "2026年第三季度", "channel": "board",
                   "items": "财务收支", "published_on": "2026-10-05"},
    "roster": {**COMMON, "programme": "dibao", "entries-TOTAL_FORMS": "1",
               "entries-INITIAL_FORMS": "0", "entries-MIN_NUM_FORMS": "0",
               "entries-MAX_NUM_FORMS": "1000", "entries-0-household_head": "王大明",
               "entries-0-persons": "3", "entries-0-monthly_amount": "560.00"},
    "decision": {**COMMON, "stage-proposal-held_on": "2026-10-01", "stage-proposal-expected": "7",
                 "stage-proposal-attended": "6", "stage-proposal-votes_for": "6",
                 "stage-proposal-votes_against": "0", "stage-proposal-votes_abstain": "0",
                 "stage-proposal-opinion": "同意"},
}  # fmt: skip
REPORT = {"village": A1, "categories": "other", "description": "村主任违规发放补贴。"}


def _review_fields(kind: str, *, editing: bool = False) -> FieldSpec:
    from villages.forms_reviews import EntryForm, StageForm, entry_formset, review_form_class

    spec = form_fields(review_form_class(kind))
    if editing:
        spec["reason"] = ("text", 1000)
    if kind == "decision":
        spec.update(instance_fields(StageForm(stage="proposal")))
    if kind == "roster":
        spec.update(instance_fields(EntryForm(prefix="entries-0")))
        management = instance_fields(entry_formset().management_form)
        for key in management:
            if key.endswith(("INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")):
                management[key] = ("count", None)  # Django reads them for nothing
        spec.update(management)
    return spec


@dataclass(frozen=True)
class Target:
    """One write (or filter) and how to read back what it wrote.

    `url` and string values of `base` may name records ({review_a1}, {case_a1}, {receipt}…);
    `show(response, ids)` lists the pages that show what an accepted request wrote, read by
    `viewer` (default: the sender); `hidden` fields are never shown on a page by design."""

    route: str
    url: str
    persona: str
    base: dict[str, Any]
    fields: Callable[[], FieldSpec]
    classes: tuple[type, ...]
    method: str = "post"
    json: bool = False
    show: Callable[[Any, dict[str, Any]], list[str]] = lambda response, ids: []
    viewer: str | None = None
    hidden: frozenset[str] = frozenset()
    upload: str | None = None
    only_no_500: bool = False
    # False where a refusal is deliberately not tied to one field (a failed sign-in) or the
    # page lists the errors by label (the export request).
    field_errors: bool = True

    @property
    def id(self) -> str:
        return f"{self.method} {self.url}"


def _location(response: Any, ids: dict[str, Any]) -> list[str]:
    return [response["Location"]] if response.status_code == 302 else []


def _review_pages(response: Any, ids: dict[str, Any]) -> list[str]:
    pages = [f"/villages/{A1}/reviews/"]
    if response.status_code == 302:
        pages.append(response["Location"])
    elif response.status_code in (200, 201) and "id" in response.json():
        pages.append(f"/reviews/{response.json()['id']}/")
    return pages


def _complaint_pages(response: Any, ids: dict[str, Any]) -> list[str]:
    from cases.models import Complaint

    newest = Complaint.objects.order_by("-pk").first()
    return ["/complaints/", f"/complaints/{newest.pk}/"] if newest else []


def _case_pages(response: Any, ids: dict[str, Any]) -> list[str]:
    return ["/cases/", f"/cases/{ids['case_a1']}/"]


# Fields the pages never show: the reporter's identity (the vault), a review's workflow inputs
# that only feed its history, and an attachment's reason (history only).
IDENTITY = frozenset({"reporter_name", "reporter_phone", "reporter_id_number",
                      "reporter_address", "name", "phone", "id_number", "address",
                      "reporter.name", "reporter.phone", "reporter.id_number",
                      "reporter.address"})  # fmt: skip


def _targets() -> list[Target]:
    from audit.forms import FeedFilterForm
    from audit.stats import StatsFilterForm
    from audit.views_records import AsOfForm, VillageDateForm
    from cases import forms as cf
    from cases import public_views as pv
    from cases.api import public as papi
    from cases.api import serializers as cs
    from oversight.views_inbox import EmailPreferencesForm
    from villages import choices
    from villages.api import review_serializers as rs
    from villages.api import reviews as rv
    from villages.forms import VillageFilterForm
    from villages.forms_reviews import (
        AcceptForm,
        AttachForm,
        EntryForm,
        EscalateForm,
        FlagFilterForm,
        RespondForm,
        ReviewFilterForm,
        SignForm,
        StageForm,
        review_form_class,
    )

    review_new = "villages/<str:code>/reviews/new/<str:kind>/"
    targets = [
        Target(review_new, f"/villages/{A1}/reviews/new/{kind}/", "member_a",
               KIND_BASE.get(kind, COMMON), partial(_review_fields, kind),
               (review_form_class(kind),) + ((StageForm,) if kind == "decision" else ())
               + ((EntryForm,) if kind == "roster" else ()), show=_review_pages)
        for kind in choices.ReviewKind.values
    ]  # fmt: skip

    def page(
        route: str, url: str, persona: str, base: dict[str, Any], *classes: type, **kw: Any
    ) -> Target:
        def spec() -> FieldSpec:
            merged: FieldSpec = {}
            for form_class in classes:
                merged.update(form_fields(form_class))
            return merged

        return Target(route, url, persona, base, spec, classes, **kw)

    def api(
        route: str,
        url: str,
        persona: str,
        base: dict[str, Any],
        *classes: type,
        keep: str = "",
        **kw: Any,
    ) -> Target:
        """`keep`: only the keys under this prefix (a nested list: `stages.0.`)."""

        def spec() -> FieldSpec:
            merged = api_fields(classes[0]())
            if keep:
                return {k: v for k, v in merged.items() if k.startswith(keep)}
            return {k: v for k, v in merged.items() if ".0." not in k}

        return Target(route, url, persona, base, spec, classes, json=True, **kw)

    cplt = "/complaints/{complaint_a1}/"
    case = "/cases/{case_a1}/"
    review, submitted = "/reviews/{review_a1}/", "/reviews/{submitted_a1}/"
    api_review = "/api/v1/reviews/{review_a1}/"
    api_submitted = "/api/v1/reviews/{submitted_a1}/"
    api_case = "/api/v1/cases/{case_a1}/"
    targets += [
        Target("reviews/<int:pk>/edit/", review + "edit/", "member_a", SPENDING,
               lambda: _review_fields("spending", editing=True), (), show=_review_pages,
               hidden=frozenset({"reason"})),
        page("reviews/<int:pk>/sign/", submitted + "sign/", "member_a", {"outcome": "refuse",
             "opinion": "票据不全"}, SignForm, show=_review_pages),
        page("reviews/<int:pk>/respond/", submitted + "respond/", "officer_a",
             {"response": "已整改"}, RespondForm),
        page("reviews/<int:pk>/accept/", submitted + "accept/", "chair_a", {}, AcceptForm),
        page("reviews/<int:pk>/escalate/", submitted + "escalate/", "member_a",
             {"note": "请镇纪委核查"}, EscalateForm, show=_review_pages),
        page("reviews/<int:pk>/attachments/", review + "attachments/", "member_a", {},
             AttachForm, upload="file", show=_review_pages, hidden=frozenset({"reason"})),
        page("complaints/new/", "/complaints/new/", "township_staff", INTAKE, cf.ComplaintForm,
             show=_complaint_pages, hidden=IDENTITY),
        # The registration note is required but kept nowhere (only not-accept, transfer and
        # duplicate keep theirs as the decision note): nothing to show.
        page("complaints/<int:pk>/register/", cplt + "register/", "township_staff",
             {"note": "受理"}, cf.RegisterForm, show=_location, hidden=frozenset({"note"})),
        page("complaints/<int:pk>/not-accept/", cplt + "not-accept/", "township_staff",
             {"note": "不予受理"}, cf.NotAcceptForm),
        page("complaints/<int:pk>/transfer/", cplt + "transfer/", "township_staff",
             {"note": "转县信访局"}, cf.TransferForm),
        page("complaints/<int:pk>/duplicate/", cplt + "duplicate/", "township_staff",
             {"duplicate_of": "XF-1999-9999", "note": "重复"}, cf.DuplicateForm),
        page("complaints/<int:pk>/open-case/", cplt + "open-case/", "township_staff",
             {"summary": "违规发放补贴", "kind": "violation"}, cf.OpenCaseForm),
        page("complaints/<int:pk>/message/", cplt + "message/", "township_staff",
             {"kind": "notice", "body": "您的举报已收到。"}, cf.MessageForm, show=_location),
        page("complaints/<int:pk>/close/", cplt + "close/", "township_staff",
             {"closing_summary": "已办结"}, cf.CloseForm),
        page("complaints/<int:pk>/reveal/", cplt + "reveal/", "township_staff",
             {"purpose": "核实"}, cf.RevealForm),
        page("cases/<str:number>/transition/", case + "transition/", "township_staff",
             PROPOSAL, cf.TransitionForm),
        page("cases/<str:number>/assign/", case + "assign/", "township_leader",
             {"user": "district.intake", "role": "investigator", "note": "调查"},
             cf.AssignForm, show=_case_pages),
        page("cases/<str:number>/unassign/", case + "unassign/", "township_leader",
             {"note": "调整"}, cf.UnassignForm),
        page("cases/<str:number>/subjects/", case + "subjects/", "township_staff",
             {"categories": "bribery"}, cf.SubjectForm),
        page("cases/<str:number>/sanctions/", case + "sanctions/", "township_staff",
             {"type": "reminder_talk", "decided_on": "2026-01-05"}, cf.SanctionForm),
        page("cases/<str:number>/appeals/", case + "appeals/", "township_staff",
             {"level": "party", "filed_on": "2026-01-05", "grounds": "不服"}, cf.AppealFileForm),
        page("cases/<str:number>/appeals/accept/", case + "appeals/accept/", "township_leader",
             {"accepted_on": "2026-01-05"}, cf.AppealAcceptForm),
        page("cases/<str:number>/appeals/decide/", case + "appeals/decide/", "township_staff",
             {"result": "uphold", "decided_on": "2026-01-05", "note": "维持"},
             cf.AppealDecideForm),
        page("cases/<str:number>/deadlines/extend/", case + "deadlines/extend/",
             "township_leader", {"amount": "30", "reason": "案情复杂"}, cf.ExtendForm),
        page("report/", "/report/", "anonymous", REPORT, pv.ReportForm, show=_complaint_pages,
             viewer="township_staff", hidden=IDENTITY),
        # The status page also reads `action` raw (answer, rate or nothing).
        Target("report/status/", "/report/status/", "anonymous", {"receipt": "{receipt}"},
               lambda: {**form_fields(pv.ReceiptForm), "action": ("switch", None)},
               (pv.ReceiptForm,)),
        page("report/status/", "/report/status/", "anonymous",
             {"receipt": "{receipt}", "action": "answer", "body": "补充"}, pv.AnswerForm),
        page("report/status/", "/report/status/", "anonymous",
             {"receipt": "{receipt}", "action": "rate", "rating": "satisfied"}, pv.RateForm,
             show=lambda response, ids: ["/complaints/{complaint_public}/".format(**ids)],
             viewer="township_staff"),
        # The export request: the feed's filters and the format, which the view reads raw.
        Target("audit/exports/", "/audit/exports/", "township_staff", {"format": "csv"},
               lambda: {**form_fields(FeedFilterForm), "format": ("choice", None)},
               (FeedFilterForm,), field_errors=False),
        Target("inbox/settings/", "/inbox/settings/", "member_a", {"case_assigned": "on"},
               lambda: instance_fields(EmailPreferencesForm()), (EmailPreferencesForm,)),
        Target("accounts/login/", "/accounts/login/", "anonymous",
               {"username": "outsider", "password": "wrong"},
               lambda: {"username": ("text", 150), "password": ("text", None)}, (),
               field_errors=False),
        Target("i18n/setlang/", "/i18n/setlang/", "member_a", {"language": "en"},
               lambda: {"language": ("choice", None), "next": ("text", None)}, (),
               only_no_500=True),
        # The staff API.
        api("api/v1/^reviews/$", "/api/v1/reviews/", "member_a",
            {**SPENDING, "village": A1, "kind": "spending"}, rs.ReviewWriteSerializer,
            show=_review_pages),
        api("api/v1/^reviews/$", "/api/v1/reviews/", "member_a",
            {**COMMON, "village": A1, "kind": "decision",
             "stages": [{"stage": "proposal", "held_on": "2026-10-01"}]},
            rs.ReviewWriteSerializer, rs.StageInputSerializer, keep="stages.0.",
            show=_review_pages),
        api("api/v1/^reviews/$", "/api/v1/reviews/", "member_a",
            {**COMMON, "village": A1, "kind": "roster", "programme": "dibao",
             "entries": [{"household_head": "王大明", "persons": 3, "monthly_amount": "560.00"}]},
            rs.ReviewWriteSerializer, rs.EntryInputSerializer, keep="entries.0.",
            show=_review_pages),
        api("api/v1/^reviews/(?P<pk>[^/.]+)/$", api_review, "member_a", {"title": "改"},
            rs.ReviewWriteSerializer, method="patch", show=_review_pages,
            hidden=frozenset({"reason"})),
        api("api/v1/^reviews/(?P<pk>[^/.]+)/sign/$", api_submitted + "sign/", "member_a",
            {"outcome": "refuse", "opinion": "票据不全"}, rv.SignInput, show=_review_pages),
        api("api/v1/^reviews/(?P<pk>[^/.]+)/respond/$", api_submitted + "respond/",
            "officer_a", {"response": "已整改"}, rv.RespondInput),
        api("api/v1/^reviews/(?P<pk>[^/.]+)/accept/$", api_submitted + "accept/", "chair_a",
            {}, rv.AcceptInput),
        api("api/v1/^reviews/(?P<pk>[^/.]+)/escalate/$", api_submitted + "escalate/",
            "member_a", {"note": "疑似虚列开支"}, rv.EscalateInput, show=_review_pages),
        Target("api/v1/^reviews/(?P<pk>[^/.]+)/attachments/$", api_review + "attachments/",
               "member_a", {}, lambda: {"reason": ("text", 1000)}, (rv.AttachInput,),
               upload="file", show=_review_pages, hidden=frozenset({"reason"})),
        api("api/v1/^complaints/$", "/api/v1/complaints/", "township_staff",
            {**COMPLAINT, "categories": ["favouritism"], "reporter": {"name": "王"}},
            cs.ComplaintWriteSerializer, show=_complaint_pages, hidden=IDENTITY),
        api("api/v1/^cases/(?P<number>[^/.]+)/transition/$", api_case + "transition/",
            "township_staff", PROPOSAL, cs.TransitionInput),
        api("api/v1/^cases/(?P<number>[^/.]+)/sanctions/$", api_case + "sanctions/",
            "township_staff", {"cadre": "{cadre_a1}", "type": "criticism_education",
                               "decided_on": "2026-01-05"}, cs.SanctionInput),
        api("api/public/reports/", "/api/public/reports/", "anonymous",
            {**REPORT, "categories": ["other"], "reporter": {"name": "王"}},
            papi.PublicReportSerializer, show=_complaint_pages, viewer="township_staff",
            hidden=IDENTITY),
        api("api/public/reports/status/", "/api/public/reports/status/", "anonymous",
            {"receipt": "{receipt}"}, papi.PublicLookupSerializer),
        api("api/public/reports/answer/", "/api/public/reports/answer/", "anonymous",
            {"receipt": "{receipt}", "body": "补充"}, papi.PublicAnswerSerializer),
        api("api/public/reports/rate/", "/api/public/reports/rate/", "anonymous",
            {"receipt": "{receipt}", "rating": "satisfied"}, papi.PublicRatingSerializer,
            show=lambda response, ids: ["/complaints/{complaint_public}/".format(**ids)],
            viewer="township_staff"),
        Target("api/v1/auth/token/", "/api/v1/auth/token/", "anonymous",
               {"username": "outsider", "password": "wrong"},
               lambda: {"username": ("text", None), "password": ("text", None)}, (), json=True,
               field_errors=False),
    ]  # fmt: skip
    # Filters: a bad value is ignored or an error, never a 500 and never a write.
    filters = [
        ("villages/", "/villages/", "district_official", VillageFilterForm),
        ("villages/<str:code>/reviews/", f"/villages/{A1}/reviews/", "member_a",
         ReviewFilterForm),
        ("flags/", "/flags/", "district_official", FlagFilterForm),
        ("complaints/", "/complaints/", "township_staff", cf.ComplaintFilterForm),
        ("cases/", "/cases/", "township_staff", cf.CaseFilterForm),
        ("audit/", "/audit/", "district_official", FeedFilterForm),
        ("stats/", "/stats/", "district_official", StatsFilterForm),
        ("audit/records/<str:label>/<int:pk>/", "/audit/records/villages.review/{review_a1}/",
         "member_a", AsOfForm),
        ("audit/villages/<str:code>/as-of/", f"/audit/villages/{A1}/as-of/", "member_a",
         VillageDateForm),
        ("api/v1/^reviews/$", "/api/v1/reviews/", "member_a", rv.ReviewFilter),
        ("api/v1/^complaints/$", "/api/v1/complaints/", "township_staff", None),
        ("api/v1/^cases/$", "/api/v1/cases/", "township_staff", None),
        ("api/v1/audit/changes/", "/api/v1/audit/changes/", "district_official", FeedFilterForm),
        ("api/v1/stats/summary/", "/api/v1/stats/summary/", "district_official",
         StatsFilterForm),
        ("public/villages/<str:code>/", f"/public/villages/{A1}/", "anonymous", None),
        ("inbox/", "/inbox/", "member_a", None),
    ]  # fmt: skip
    targets += [
        Target(
            route,
            url,
            persona,
            {},
            partial(_filter_fields, form_class, url),
            (form_class,) if form_class else (),
            method="get",
            only_no_500=True,
        )
        for route, url, persona, form_class in filters
    ]
    return targets


def _filter_fields(form_class: Any, url: str) -> FieldSpec:
    """A filter form's fields, or a filterset's, or the query parameters the view reads."""
    import django_filters

    from cases.api.views import CaseFilter, ComplaintFilter

    by_url = {"/api/v1/complaints/": ComplaintFilter, "/api/v1/cases/": CaseFilter}
    form_class = form_class or by_url.get(url)
    if form_class is None:
        return {"year": ("integer", None), "unread": ("boolean", None),
                "page": ("integer", None), "cursor": ("text", None)}  # fmt: skip
    if isinstance(form_class, type) and issubclass(form_class, django_filters.FilterSet):
        return dict.fromkeys(form_class.base_filters, ("choice", None))  # type: ignore[attr-defined]
    spec = form_fields(form_class)
    # Paging and the feed's cursor are read raw from the query string.
    spec.update({"page": ("integer", None), "cursor": ("text", None), "before": ("text", None)})
    return spec


TARGETS = _targets()


def _ids(district: Any) -> dict[str, Any]:
    from cases.services import public
    from villages.models import Cadre

    ids: dict[str, Any] = {"cadre_a1": Cadre.objects.filter(village__code=A1).first().pk}
    ids.update(_ledger_ids(district))
    ids.update(case_ids(district))
    complaint, receipt = public.public_report(
        village=A1, categories=["other"], description="村里账目不公开。"
    )
    ids.update(receipt=receipt, complaint_public=complaint.pk)
    return ids


@pytest.mark.parametrize("target", TARGETS, ids=[t.id for t in TARGETS])
def test_no_field_takes_a_hostile_value_badly(request, district, target):
    """Each (field, payload) pair of one form or endpoint; every failure is listed at once."""
    # given the records the URL names and a client signed in as the persona who may use it
    ids = _ids(district)
    # A server error is an answer to record (with its exception), not the end of the run.
    client, viewer = Client(raise_request_exception=False), Client()
    if target.persona != "anonymous":
        client.force_login(request.getfixturevalue(target.persona))
    viewer_name = target.viewer or target.persona
    if viewer_name != "anonymous":
        viewer.force_login(request.getfixturevalue(viewer_name))
    base = with_ids(target.base, ids)
    if target.json and "cadre" in base:
        base["cadre"] = int(base["cadre"])
    run = Run(client, target, target.url.format(**ids), base, ids, viewer)
    fields = target.fields()
    assert fields, "the battery found no field to fuzz"

    # when every field gets every payload of its family
    for key, (family, max_length) in fields.items():
        for payload in payloads(family, max_length, json_body=target.json):
            probe(run, key, family, payload)

    # then none was a 500, a refusal named the field and wrote nothing, an acceptance is shown
    # escaped
    assert run.problems == [], "\n".join(run.problems)


# --- Coverage -----------------------------------------------------------------------------------


NOT_TARGETS = {"ActionForm", "ReviewFormBase"}


def test_every_form_and_serializer_is_in_the_battery():
    """A new form or input serializer that the battery does not send hostile values to fails
    here: add a Target for it (its fields are then read from the class)."""
    # given every class some Target covers
    covered = {cls.__name__ for target in TARGETS for cls in target.classes}

    # when every form of the apps and every serializer the views parse requests with is listed
    forms_ = {cls.__name__ for cls in app_form_classes()} - NOT_TARGETS
    inputs = input_serializer_names()

    # then none is missing (the discovery itself found the known ones)
    assert {"ComplaintForm", "ReportForm", "SignForm"} <= forms_
    assert {"ReviewWriteSerializer", "SignInput", "PublicReportSerializer"} <= inputs
    assert forms_ - covered == set()
    assert inputs - covered == set()


def test_every_post_route_of_the_matrix_is_in_the_battery_or_takes_no_input():
    """Each POST route of the permission matrix that carries data is fuzzed."""
    # given the routes the battery sends to
    fuzzed = {target.route for target in TARGETS}

    # when the matrix's POST routes with data are listed
    with_input = {
        route
        for route, cases in MATRIX.items()
        for the_case in cases
        if the_case.method == "post" and (the_case.data or the_case.upload)
    }

    # then each is fuzzed
    assert with_input - fuzzed == set()


def test_the_payload_families_fit_every_field():
    """Each field of each target has a family the battery knows, with payloads to send (files
    go to tests/villages/test_bad_uploads.py)."""
    # given / when every field of every target
    unknown = [
        (target.id, key, family)
        for target in TARGETS
        for key, (family, max_length) in target.fields().items()
        if family not in FAMILIES or not (payloads(family, max_length) or family == "file")
    ]

    # then none falls through
    assert unknown == []
