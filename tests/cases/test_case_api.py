"""The cases API (issue #4 §11): shapes, filters, moves (409 with the reason), sanctions, and
who may see and do what."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import translation
from rest_framework.test import APIClient

from cases import services
from cases.choices import AssignmentRole, CaseStatus, DeadlineState, SanctionType
from cases.models import Case, CaseEvent, Deadline, Sanction
from oversight import roles
from tests.cases.conftest import director, make_case, secretary
from tests.conftest import District
from tests.factories import CadreFactory, UserFactory
from tests.history import history_row_count
from villages.choices import CadrePost, Relation
from villages.services import relative_declare

pytestmark = pytest.mark.django_db

A1, B1 = "320904103201", "320904110201"


def _client(user: User | None = None, language: str = "en") -> APIClient:
    api = APIClient()
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        api.force_authenticate(user)
    return api


def _move(user: User, case: Case | str, language: str = "en", **data: str):  # type: ignore[no-untyped-def]
    number = case.number if isinstance(case, Case) else case
    return _client(user, language).post(f"/api/v1/cases/{number}/transition/", data, format="json")


def _moved(user: User, case: Case, to: str, **data: str) -> None:
    """Make a move over the API that must succeed."""
    response = _move(user, case, to=to, note=f"→ {to}", **data)
    assert response.status_code == 200, response.json()


def _district_staff(username: str) -> User:
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=roles.DISTRICT_DISCIPLINE))
    return user


@pytest.fixture
def case_b(district: District, district_discipline: User) -> Case:
    """A case of village B1 (township B), opened by district staff."""
    from villages.models import Cadre

    cadre = Cadre.objects.get(village=district.village_b1, post=CadrePost.DIRECTOR)
    return _case_in(district_discipline, district, cadre)


def _case_in(actor: User, district: District, cadre) -> Case:  # type: ignore[no-untyped-def]
    """A registered complaint about `cadre` and the case `actor` opens from it."""
    complaint = services.complaint_create(
        actor=actor,
        village=cadre.village,
        channel="letter",
        summary="反映村主任违规",
        content="详情",
        categories=["other"],
        accused=[cadre],
    )
    services.complaint_register(actor=actor, complaint=complaint, note="受理")
    return services.case_open(
        actor=actor, complaints=[complaint], summary="村主任违规", subjects=[(cadre, ["other"])]
    )


# --- reading -------------------------------------------------------------------------------


def test_case_detail_has_the_contracted_shape(
    case_a: Case, township_staff: User, district: District
) -> None:
    # when the handler reads the case
    response = _client(township_staff).get(f"/api/v1/cases/{case_a.number}/")

    # then
    assert response.status_code == 200
    body = response.json()
    cadre = secretary(district)
    assert body["number"] == case_a.number
    assert body["village"] == A1
    assert body["status"] == "registered"
    assert body["kind"] == "violation"
    assert body["summary"] == "村书记虚报冒领低保金"
    assert body["amount_involved"] == "0.00" and body["amount_recovered"] == "0.00"
    assert body["subjects"] == [
        {"cadre": cadre.pk, "name": cadre.name, "categories": ["false_claims"]}
    ]
    deadline = Deadline.objects.get(case=case_a)
    assert [{k: d[k] for k in ("stage", "due_at", "state")} for d in body["deadlines"]] == [
        {"stage": "disposition", "due_at": deadline.due_on.isoformat(), "state": "ok"}
    ]
    (event,) = body["events"]
    assert {k: event[k] for k in ("kind", "from_status", "to_status", "note")} == {
        "kind": "created",
        "from_status": "",
        "to_status": "registered",
        "note": "村书记虚报冒领低保金",
    }
    assert event["actor"] and event["at"]
    assert body["sanctions"] == []
    assert body["allowed_moves"] == ["disposition_proposed"]


def test_allowed_moves_are_the_readers_own(case_a: Case, township_leader: User) -> None:
    # the leader is not the handler: they may only transfer a registered case
    body = _client(township_leader).get(f"/api/v1/cases/{case_a.number}/").json()
    assert body["allowed_moves"] == ["transferred"]


def test_case_list_filters_by_village_status_and_deadline_state(
    case_a: Case, township_staff: User, district_official: User, district: District
) -> None:
    # given a second case of A1 whose disposition deadline the sweep marked overdue
    overdue = make_case(township_staff, district)
    deadline = Deadline.objects.get(case=overdue)
    deadline.state = DeadlineState.OVERDUE
    from oversight.services import tracked_save

    tracked_save(deadline, actor=township_staff, reason="sweep")
    api = _client(district_official)

    # then
    def numbers(query: str) -> set[str]:
        response = api.get(f"/api/v1/cases/{query}")
        assert response.status_code == 200
        return {row["number"] for row in response.json()["results"]}

    assert numbers("") == {case_a.number, overdue.number}
    assert numbers(f"?village={A1}") == {case_a.number, overdue.number}
    assert numbers(f"?village={B1}") == set()
    assert numbers("?status=registered") == {case_a.number, overdue.number}
    assert numbers("?status=filed") == set()
    assert numbers("?deadline_state=overdue") == {overdue.number}
    assert numbers("?deadline_state=ok") == {case_a.number}
    assert numbers("?deadline_state=due_soon") == set()


def test_case_list_costs_the_same_queries_for_one_case_or_many(
    case_a: Case, township_staff: User, district: District, django_assert_num_queries
) -> None:
    # given one case (a fresh user object: its permissions are not cached yet)
    api = _client(User.objects.get(pk=township_staff.pk))
    with django_assert_num_queries(6):
        response = api.get("/api/v1/cases/")
    assert response.json()["count"] == 1

    # when there are several, about several cadres
    for _ in range(3):
        make_case(
            township_staff,
            district,
            subjects=[(secretary(district), ["false_claims"]), (director(district), ["other"])],
        )
    api = _client(User.objects.get(pk=township_staff.pk))

    # then: permissions (2), count, page, subjects with their cadres, open deadlines
    with django_assert_num_queries(6):
        response = api.get("/api/v1/cases/")
    assert response.json()["count"] == 4


def test_a_committee_member_gets_403_on_the_list_and_404_on_any_case(
    case_a: Case, member_a: User, chair_a: User
) -> None:
    for user in (member_a, chair_a):
        api = _client(user)
        assert api.get("/api/v1/cases/").status_code == 403
        assert api.get(f"/api/v1/cases/{case_a.number}/").status_code == 404
        assert _move(user, case_a, to="disposition_proposed", note="x").status_code == 404


def test_a_case_out_of_jurisdiction_is_404(case_b: Case, township_staff: User) -> None:
    api = _client(township_staff)
    assert api.get(f"/api/v1/cases/{case_b.number}/").status_code == 404
    assert api.get("/api/v1/cases/").json()["count"] == 0
    response = _move(township_staff, case_b, to="disposition_proposed", note="x")
    assert response.status_code == 404


def test_the_auditor_reads_but_cannot_move_or_sanction(
    case_a: Case, district_official: User, district: District
) -> None:
    # given
    api = _client(district_official)
    before = history_row_count()

    # then
    assert api.get("/api/v1/cases/").status_code == 200
    assert api.get(f"/api/v1/cases/{case_a.number}/").status_code == 200
    assert api.get(f"/api/v1/cases/{case_a.number}/").json()["allowed_moves"] == []
    response = _move(
        district_official, case_a, to="disposition_proposed", disposition="shelved", note="x"
    )
    assert response.status_code == 403
    response = api.post(
        f"/api/v1/cases/{case_a.number}/sanctions/",
        {
            "cadre": secretary(district).pk,
            "type": "criticism_education",
            "decided_on": "2026-01-05",
        },
        format="json",
    )
    assert response.status_code == 403
    assert history_row_count() == before


@pytest.mark.parametrize("how", ["own cadre record", "declared relative"])
def test_a_user_linked_to_a_subject_cadre_gets_404(
    township_staff: User, township_leader: User, system_user: User, district: District, how: str
) -> None:
    # given a case opened by the leader about a cadre linked to the township staff member
    if how == "own cadre record":
        cadre = CadreFactory(village=district.village_a1, post=CadrePost.CLERK, user=township_staff)
    else:
        cadre = director(district)
        relative_declare(
            actor=system_user,
            cadre=cadre,
            name="张伟",
            relation=Relation.SIBLING,
            declared_on=datetime.date(2026, 1, 1),
            reason="近亲属备案",
            user=township_staff,
        )
    case = _case_in(township_leader, district, cadre)

    # when / then: the case is missing for them, whatever their role
    api = _client(township_staff)
    assert api.get(f"/api/v1/cases/{case.number}/").status_code == 404
    assert case.number not in {r["number"] for r in api.get("/api/v1/cases/").json()["results"]}
    assert _move(township_staff, case, to="transferred", note="x").status_code == 404
    assert _client(township_leader).get(f"/api/v1/cases/{case.number}/").status_code == 200


# --- moves ---------------------------------------------------------------------------------


def test_a_proposal_and_its_approval_over_the_api(
    case_a: Case, township_staff: User, township_leader: User
) -> None:
    # when the handler proposes a talk inquiry
    response = _move(
        township_staff, case_a, to="disposition_proposed", disposition="talk_inquiry", note="建议"
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["proposed_disposition"]) == (
        "disposition_proposed",
        "talk_inquiry",
    )
    assert body["allowed_moves"] == []  # the handler waits for a leader

    # when a leader approves it
    response = _move(township_leader, case_a, to="talk_inquiry", note="同意")

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "talk_inquiry"
    event = CaseEvent.objects.filter(case=case_a).last()
    assert event is not None
    assert (event.actor, event.to_status, event.note) == (township_leader, "talk_inquiry", "同意")
    case_a.refresh_from_db()
    assert case_a.history.latest("history_id").history_user == township_leader


def test_a_disallowed_move_is_409_with_its_reason(case_a: Case, township_leader: User) -> None:
    # given
    before = history_row_count()

    # when
    response = _move(township_leader, case_a, to="decided", note="直接决定")

    # then
    assert response.status_code == 409
    assert response.json() == {"error": "A case that is “Registered” cannot move to “Decided”."}
    assert history_row_count() == before
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.REGISTERED


def test_the_refusal_speaks_the_readers_language(case_a: Case, township_leader: User) -> None:
    # when a reader whose interface is Chinese makes a disallowed move
    response = _move(township_leader, case_a, language="zh-hans", to="decided", note="直接决定")

    # then the statuses in the reason are in Chinese
    assert response.status_code == 409
    with translation.override("zh-hans"):
        registered, decided = str(CaseStatus.REGISTERED.label), str(CaseStatus.DECIDED.label)
    assert registered in response.json()["error"] and decided in response.json()["error"]


def test_the_proposer_cannot_approve_their_own_proposal(
    township_leader: User, district: District
) -> None:
    # given a case the leader opened (so handles) and proposed
    case = make_case(township_leader, district)
    response = _move(
        township_leader, case, to="disposition_proposed", disposition="shelved", note="暂存"
    )
    assert response.status_code == 200

    # when they approve it themselves
    response = _move(township_leader, case, to="shelved", note="同意暂存")

    # then
    assert response.status_code == 409
    assert response.json() == {"error": "Whoever proposed a disposition cannot approve it."}
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPOSITION_PROPOSED


def test_a_move_without_a_note_is_400(case_a: Case, township_staff: User) -> None:
    response = _move(township_staff, case_a, to="disposition_proposed", disposition="shelved")
    assert response.status_code == 400
    assert response.json() == {"detail": "Say why (a note is required)."}
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.REGISTERED


def test_a_case_goes_from_registered_to_decided_over_the_api(
    case_a: Case,
    township_staff: User,
    township_leader: User,
    district_discipline: User,
    district: District,
) -> None:
    # given the handler's proposal approved, and the filing approved by the leader
    _moved(township_staff, case_a, "disposition_proposed", disposition="preliminary_verification")
    _moved(township_leader, case_a, "preliminary_verification")
    _moved(township_leader, case_a, "filed")
    second = _district_staff("district.investigator")
    for investigator in (district_discipline, second):
        services.case_assign(
            actor=township_leader, case=case_a, user=investigator, role=AssignmentRole.INVESTIGATOR
        )
    _moved(district_discipline, case_a, "investigating")
    _moved(district_discipline, case_a, "heard")

    # then an investigator cannot be the trial reviewer, and nobody else is assigned yet
    with pytest.raises(services.InvalidInput, match="investigator"):
        services.case_assign(
            actor=township_leader,
            case=case_a,
            user=district_discipline,
            role=AssignmentRole.TRIAL_REVIEWER,
        )
    response = _move(district_discipline, case_a, to="trial_review", note="移送审理")
    assert response.status_code == 409
    assert "trial reviewer" in response.json()["error"]

    # when someone else reviews it at trial, a sanction is recorded and the leader decides
    trial = _district_staff("district.trial")
    services.case_assign(
        actor=township_leader, case=case_a, user=trial, role=AssignmentRole.TRIAL_REVIEWER
    )
    _moved(district_discipline, case_a, "trial_review")
    _moved(trial, case_a, "awaiting_decision")
    cadre = secretary(district)
    response = _client(township_staff).post(
        f"/api/v1/cases/{case_a.number}/sanctions/",
        {"cadre": cadre.pk, "type": "party_serious_warning", "decided_on": "2026-11-02",
         "decision_no": "大纪〔2026〕9号", "note": "给予党内严重警告处分"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["ends_on"] == "2028-05-02"
    response = _move(township_leader, case_a, to="decided", note="作出处分决定")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "decided"
    assert [{k: s[k] for k in ("cadre", "type", "family", "form", "decided_on", "ends_on")}
            for s in body["sanctions"]] == [
        {"cadre": cadre.pk, "type": "party_serious_warning", "family": "party", "form": 2,
         "decided_on": "2026-11-02", "ends_on": "2028-05-02"}
    ]  # fmt: skip
    kinds = [e["kind"] for e in body["events"]]
    assert kinds.count("transition") == 8 and kinds.count("sanction") == 1


# --- sanctions -----------------------------------------------------------------------------


def _talked(case: Case, handler: User, leader: User) -> None:
    _moved(handler, case, "disposition_proposed", disposition="talk_inquiry")
    _moved(leader, case, "talk_inquiry")


def test_recording_a_sanction_answers_201_with_it(
    case_a: Case, township_staff: User, township_leader: User, district: District
) -> None:
    # given
    _talked(case_a, township_staff, township_leader)
    cadre = secretary(district)

    # when
    response = _client(township_staff).post(
        f"/api/v1/cases/{case_a.number}/sanctions/",
        {"cadre": cadre.pk, "type": "party_probation", "probation_years": 2,
         "decided_on": "2025-06-30"},
        format="json",
    )  # fmt: skip

    # then
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("cadre", "type", "family", "form", "decided_on", "ends_on")} == {
        "cadre": cadre.pk,
        "type": "party_probation",
        "family": "party",
        "form": 3,
        "decided_on": "2025-06-30",
        "ends_on": "2027-06-30",
    }
    assert Sanction.objects.get().history.get().history_user == township_staff


@pytest.mark.parametrize(
    ("cadre", "type", "says"),
    [
        (director, SanctionType.PARTY_WARNING, "is not a Party member"),
        (secretary, SanctionType.GOV_DEMOTION, "art. 22"),
        (secretary, SanctionType.RECALL, "only to an elected member of the village committee"),
    ],
)
def test_a_sanction_the_law_refuses_is_400_with_the_reason(
    township_staff: User, township_leader: User, district: District, cadre, type, says
) -> None:
    # given a case about the secretary and the director, in a talk inquiry
    case = make_case(
        township_staff,
        district,
        subjects=[(secretary(district), ["false_claims"]), (director(district), ["other"])],
    )
    _talked(case, township_staff, township_leader)
    before = history_row_count()

    # when
    response = _client(township_staff).post(
        f"/api/v1/cases/{case.number}/sanctions/",
        {"cadre": cadre(district).pk, "type": type, "decided_on": "2025-06-30"},
        format="json",
    )

    # then
    assert response.status_code == 400
    assert says in response.json()["detail"]
    assert not Sanction.objects.exists()
    assert history_row_count() == before


def test_a_sanction_on_a_cadre_of_another_village_is_400(
    case_a: Case, township_staff: User, township_leader: User, district: District
) -> None:
    from villages.models import Cadre

    _talked(case_a, township_staff, township_leader)
    other = Cadre.objects.filter(village=district.village_b1).first()
    assert other is not None
    response = _client(township_staff).post(
        f"/api/v1/cases/{case_a.number}/sanctions/",
        {"cadre": other.pk, "type": "criticism_education", "decided_on": "2025-06-30"},
        format="json",
    )
    assert response.status_code == 400
    assert "cadre" in response.json()


def test_the_district_auditor_reads_an_open_matter_without_its_content_or_notes(
    client, case_a, district_official
):
    # given
    client.force_login(district_official)
    complaint = case_a.complaints.get()
    # when
    complaint_body = client.get(f"/api/v1/complaints/{complaint.pk}/").json()
    case_body = client.get(f"/api/v1/cases/{case_a.number}/").json()
    # then the record is there, what was reported and the notes are withheld
    assert complaint_body["number"] == complaint.number and complaint_body["content"] is None
    assert case_body["events"] and all(e["note"] is None for e in case_body["events"])


def test_the_handler_reads_the_content_and_notes(client, case_a, township_staff):
    client.force_login(township_staff)
    complaint = case_a.complaints.get()
    assert client.get(f"/api/v1/complaints/{complaint.pk}/").json()["content"]
    events = client.get(f"/api/v1/cases/{case_a.number}/").json()["events"]
    assert all(e["note"] for e in events)
