"""The public village pages (issue #7 §4): anyone reads a village's committee, how many reviews it
recorded (counts 1–4 shown as "<5"), its disclosures and the power list — and nothing of the
complaints, cases, reporters, flags or cadres behind them."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from cases.models import Case, Complaint
from tests.cases.conftest import make_case, make_complaint, secretary
from villages import services
from villages.choices import FlagCode, ReviewKind
from villages.models import RiskFlag
from villages.templatetags.public_counts import public_count

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1
Q1, Q2, Q3 = (datetime.date(LAST_YEAR, m, 10) for m in (2, 5, 8))
SECRET = "私密审查意见XYZ"
REPORTER = {"name": "赵六", "phone": "13700137000", "id_number": "320904198001011234",
            "address": "东丰村三组"}  # fmt: skip


def _record(actor, village, kind=ReviewKind.MEETING, on=Q1, submit=True, **fields):
    review = services.review_create(
        actor=actor, village=village, kind=kind,
        fields={"title": f"{kind}会议", "occurred_on": on, "description": SECRET, **fields},
    )  # fmt: skip
    return services.review_submit(actor=actor, review=review) if submit else review


def _english(client=None):
    """A client that chose English (the language comes from the cookie, not the browser)."""
    client = client or Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _page(client, code, **params):
    with translation.override("en"):
        response = _english(client).get(f"/public/villages/{code}/", params)
    assert response.status_code == 200, response.status_code
    return response, response.content.decode()


def _row(content, year, kind):
    """The four quarter cells of `kind`'s row in the table of `year`."""
    table = content.split(f'data-testid="counts-{year}"', 1)[1].split("</table>", 1)[0]
    row = table.split(f'data-kind="{kind}"', 1)[1].split("</tr>", 1)[0]
    return [cell.strip() for cell in re.findall(r"<td[^>]*>([^<]*)</td>", row)]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (208, "208"), ("7", "7"), ("3", "<5"),
     (None, "–"), (-1, "–"), (2.5, "–"), (True, "–"), ("many", "–")],
)  # fmt: skip
def test_public_count_suppresses_one_to_four_and_shows_zero_and_five_up(value, shown):
    assert public_count(value) == shown


def test_public_count_filter_is_escaped_in_templates():
    rendered = Template("{% load public_counts %}{{ n|public_count }}").render(Context({"n": 2}))
    assert rendered == "&lt;5"


def test_district_page_lists_townships_and_villages_with_links_for_anyone(district):
    # when an anonymous visitor opens the district page
    with translation.override("en"):
        response = _english().get("/public/villages/")

    # then it lists every township and its villages, each linked to its public page
    content = response.content.decode()
    assert response.status_code == 200
    for name in ("刘庄镇", "新丰镇", "东丰村", "西安村", "南星村"):
        assert name in content
    for village in (district.village_a1, district.village_a2, district.village_b1):
        assert f'href="/public/villages/{village.code}/"' in content
    assert response["Cache-Control"] in ("public, max-age=300", "max-age=300, public")


def test_anonymous_header_links_to_the_public_pages(district):
    with translation.override("en"):
        content = _english().get("/report/").content.decode()
    assert 'href="/public/villages/"' in content
    assert "Villages' public pages" in content


def test_village_page_shows_committee_counts_disclosures_and_power_list(
    district, chair_a, member_a
):
    # given reviews of village A1 last year: 2 meetings in Q1, 6 in Q2, a draft in Q3
    village = district.village_a1
    for _ in range(2):
        _record(chair_a, village, on=Q1)
    for _ in range(6):
        _record(member_a, village, on=Q2)
    _record(chair_a, village, on=Q3, submit=False)
    _record(
        chair_a, village, kind=ReviewKind.DISCLOSURE, on=Q2, title="二季度财务公开",
        channel="board", items="收支明细", published_on=datetime.date(LAST_YEAR, 5, 12),
    )  # fmt: skip

    # when an anonymous visitor opens its page
    _response, content = _page(Client(), village.code)

    # then the committee in office is shown with its members' names and roles and its term
    committee = village.active_committee()
    assert "Supervision committee" in content
    for member in committee.memberships.filter(end__isnull=True):
        assert member.person_name in content
    assert "Chair" in content
    assert f"Term {committee.term_number}" in content
    # and the counts per quarter: 2 → "<5", 6 → "6", the draft not counted, none → "0"
    assert _row(content, LAST_YEAR, ReviewKind.MEETING) == ["&lt;5", "6", "0", "0"]
    assert _row(content, LAST_YEAR, ReviewKind.DISCLOSURE) == ["0", "&lt;5", "0", "0"]
    assert _row(content, LAST_YEAR, ReviewKind.SPENDING) == ["0", "0", "0", "0"]
    assert f'data-testid="counts-{LAST_YEAR + 1}"' in content  # this year and the last
    # and the disclosure's title and publication date, and the power list with its steps
    assert "二季度财务公开" in content
    assert f'datetime="{LAST_YEAR}-05-12"' in content
    assert "<li>申请</li><li>审核</li><li>公开</li>" in content
    # but no review content beyond kind and count, nor the disclosure's items
    assert SECRET not in content
    assert "收支明细" not in content
    assert "会议" not in content  # meeting titles are not shown, only disclosure titles


def test_year_filter_shows_only_that_year_and_ignores_a_bad_year(district, chair_a):
    _record(chair_a, district.village_a1, on=Q1)

    _response, content = _page(Client(), district.village_a1.code, year=LAST_YEAR)
    assert f'data-testid="counts-{LAST_YEAR}"' in content
    assert f'data-testid="counts-{LAST_YEAR + 1}"' not in content

    for bad in ("1066", "3000", "abc", ""):
        _response, content = _page(Client(), district.village_a1.code, year=bad)
        assert f'data-testid="counts-{LAST_YEAR}"' in content
        assert f'data-testid="counts-{LAST_YEAR + 1}"' in content


def test_page_shows_no_complaint_case_reporter_flag_or_cadre(district, chair_a, township_staff):
    # given village A1 with a case against its secretary, a named complaint, and a flagged review
    village = district.village_a1
    case = make_case(township_staff, district)
    complaint = make_complaint(
        township_staff, district, summary="反映书记优亲厚友", content="详细情况：书记虚报低保。",
        reporter=REPORTER,
    )  # fmt: skip
    flagged = _record(
        chair_a, village, kind=ReviewKind.SPENDING, on=Q2, title="修缮村部屋顶",
        voucher_no="记-2026-001", amount=Decimal("23000.00"), payee="东丰建筑队",
        purpose="维修", invoice_type="invoice",
    )  # fmt: skip
    assert RiskFlag.objects.filter(review=flagged).exists()
    numbers = [case.number, *Complaint.objects.values_list("number", flat=True)]
    assert any(n.startswith("DF-") for n in numbers) and any(n.startswith("XF-") for n in numbers)

    # when anyone opens the village's page, in either language
    for language in ("en", "zh-hans"):
        visitor = Client()
        visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        with translation.override(language):
            content = visitor.get(f"/public/villages/{village.code}/").content.decode()

        # then no case or complaint number, text, reporter, flag or cadre appears
        assert not re.search(r"\b(DF|XF)-\d{4}", content)
        for number in numbers:
            assert number not in content
        for text in (
            case.summary,
            complaint.summary,
            complaint.content,
            "村干部虚报冒领低保金",
            *REPORTER.values(),
            secretary(district).name,
            "修缮村部屋顶",
            "东丰建筑队",
            "23000",
            "23,000",
            FlagCode.OVER_THRESHOLD_MISSING_STEP,
        ):
            assert text not in content, text  # fmt: skip
        with translation.override(language):
            assert str(FlagCode.OVER_THRESHOLD_MISSING_STEP.label) not in content
    # and the spending itself is only a count
    _response, content = _page(Client(), village.code)
    assert _row(content, LAST_YEAR, ReviewKind.SPENDING) == ["0", "&lt;5", "0", "0"]
    assert Case.objects.exists()


def test_unknown_or_malformed_code_is_404(district):
    assert Client().get("/public/villages/999999999999/").status_code == 404
    assert Client().get("/public/villages/abc/").status_code == 404


@pytest.mark.parametrize("many", [False, True])
def test_query_count_is_fixed_whatever_the_number_of_reviews(
    district, chair_a, django_assert_num_queries, many
):
    # given one review, or many of several kinds and quarters with disclosures
    village = district.village_a1
    _record(chair_a, village, on=Q1)
    if many:
        for on in (Q1, Q2, Q3):
            _record(chair_a, village, on=on)
            _record(chair_a, village, kind=ReviewKind.APPRAISAL, on=on)
            _record(chair_a, village, kind=ReviewKind.DISCLOSURE, on=on, channel="board")

    # then the page takes the same six queries: village, committee, members, counts,
    # disclosures, power list
    client = Client()
    with django_assert_num_queries(6):
        assert client.get(f"/public/villages/{village.code}/").status_code == 200
    # and, served from the short server-side cache, none at all the second time
    with django_assert_num_queries(0):
        assert client.get(f"/public/villages/{village.code}/").status_code == 200


def test_district_page_takes_one_query(district, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert Client().get("/public/villages/").status_code == 200


def test_cache_control_is_public_for_visitors_and_private_for_signed_in_users(
    client, district, member_b
):
    url = f"/public/villages/{district.village_a1.code}/"
    response = Client().get(url)
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=300"}
    assert "Cookie" in response["Vary"]

    # a signed-in user's page shows their name in the header: no shared cache may keep it
    client.force_login(member_b)
    response = client.get(url)
    assert response.status_code == 200
    assert "public" not in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_signed_in_user_reads_the_same_public_page_of_a_village_out_of_jurisdiction(
    client, district, member_b
):
    # member_b sits on village B1's committee; A1 is outside their jurisdiction
    client.force_login(member_b)
    _response, content = _page(client, district.village_a1.code)
    assert "东丰村" in content
