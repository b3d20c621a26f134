"""The sensitive access log (/audit/access/, issue #5 §8): every reveal of a reporter's identity,
newest first, for district discipline leadership only, and never the identity itself."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User

from cases import services
from cases.choices import Category, Channel
from cases.models import Case, Complaint, SensitiveAccess
from cases.services.reporter import reporter_reveal
from tests.cases.conftest import secretary

pytestmark = pytest.mark.django_db

IDENTITY = {
    "name": "赵六",
    "phone": "13700137000",
    "id_number": "320904198001011234",
    "address": "东丰村三组",
}


def _named(actor: User, district) -> Complaint:
    return services.complaint_create(
        actor=actor,
        village=district.village_a1,
        channel=Channel.VISIT,
        summary="反映书记优亲厚友",
        content="详细情况。",
        categories=[Category.FAVOURITISM],
        reporter=IDENTITY,
    )


@pytest.fixture
def reveals(district, township_staff, township_leader) -> tuple[Complaint, Case]:
    """A named complaint taken in by township A's staff, made a case; revealed three times."""
    complaint = _named(township_staff, district)
    services.complaint_register(actor=township_staff, complaint=complaint, note="受理")
    case = services.case_open(
        actor=township_staff,
        complaints=[complaint],
        summary="书记优亲厚友",
        subjects=[(secretary(district), [Category.FAVOURITISM])],
    )
    complaint.refresh_from_db()
    reporter_reveal(actor=township_staff, complaint=complaint, purpose="电话告知受理")
    reporter_reveal(actor=township_staff, complaint=complaint, purpose="核实举报细节", case=case)
    reporter_reveal(actor=township_leader, complaint=complaint, purpose="审批核查", case=case)
    return complaint, case


def test_district_discipline_reads_every_reveal_newest_first_without_the_identity(
    client, reveals, district_discipline, township_leader
):
    # given three reveals of one complaint
    complaint, case = reveals
    client.force_login(district_discipline)

    # when district discipline opens the log
    response = client.get("/audit/access/")

    # then each reveal is listed, newest first, with who, the numbers and the purpose
    assert response.status_code == 200
    content = response.content.decode()
    rows = list(SensitiveAccess.objects.order_by("-created_at", "-pk"))
    positions = [content.index(f'data-access="{row.pk}"') for row in rows]
    assert positions == sorted(positions) and len(positions) == 3
    for text in ("电话告知受理", "核实举报细节", "审批核查", complaint.number, case.number):
        assert text in content
    assert township_leader.username in content
    # and never the identity it revealed
    for value in IDENTITY.values():
        assert value not in content


@pytest.mark.parametrize(
    "persona",
    [
        "township_staff",
        "township_leader",
        "district_official",  # the auditor: district-wide, but not discipline leadership
        "administrator",
        "chair_a",
        "outsider",
    ],
)
def test_everyone_else_is_refused_with_403(request, client, reveals, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get("/audit/access/").status_code == 403


def test_the_permission_without_district_wide_jurisdiction_is_not_enough(
    client, reveals, township_leader
):
    # given a township leader who somehow holds the access-log permission
    township_leader.user_permissions.add(
        Permission.objects.get(content_type__app_label="cases", codename="view_sensitiveaccess")
    )
    client.force_login(township_leader)

    # when / then
    assert client.get("/audit/access/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, reveals):
    response = client.get("/audit/access/")

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_log_runs_a_fixed_number_of_queries_and_pages(
    client, reveals, township_staff, district_discipline, django_assert_num_queries
):
    # given more reveals than a page holds
    complaint, _case = reveals
    for n in range(50):
        reporter_reveal(actor=township_staff, complaint=complaint, purpose=f"回访 {n}")
    client.force_login(district_discipline)
    client.get("/audit/access/")

    # when / then: session, user, the user's and their groups' permissions, count, the roles
    # the header shows, its unread count, the page (whatever the number of reveals)
    with django_assert_num_queries(8):
        first = client.get("/audit/access/")
    assert first.content.decode().count("data-access=") == 50
    second = client.get("/audit/access/?page=2")
    assert second.content.decode().count("data-access=") == 3
    assert "电话告知受理" in second.content.decode()  # the oldest is last
