"""The list of open risk flags, and the fixed query cost of the ledger and flag lists."""

from __future__ import annotations

import pytest

from tests.villages.ledger_pages import spending

A1, A2, B1 = "320904103201", "320904103202", "320904110201"


@pytest.fixture
def flagged(district, chair_a, member_b):
    """An IOU voucher (one flag) in A1 and in B1, and in A1 a 30,000-yuan one (two flags)."""
    a1 = district.village_a1
    return {
        "iou_a1": spending(chair_a, a1, invoice_type="iou", voucher_no="A-1"),
        "big_a1": spending(chair_a, a1, amount="30000", voucher_no="A-2", payee="某建材公司"),
        "iou_b1": spending(member_b, district.village_b1, invoice_type="iou", voucher_no="B-1"),
    }


def _flags(response):
    return sorted((f.village.code, f.code) for f in response.context["page"].object_list)


def test_flags_list_shows_the_open_flags_of_the_users_villages(
    client, flagged, township_staff, member_b, district_official
):
    # when township A's staff, B1's member and a district official open the list
    views = {}
    for user in (township_staff, member_b, district_official):
        client.force_login(user)
        views[user.username] = client.get("/flags/")

    # then each sees the open flags of the villages they hold, linked to their reviews
    staff, member, district = (v for v in views.values())
    assert _flags(staff) == [(A1, "iou_note"), (A1, "over_threshold_missing_step")]
    assert _flags(member) == [(B1, "iou_note")]
    assert len(_flags(district)) == 3
    assert f'href="/reviews/{flagged["iou_a1"].pk}/"' in staff.content.decode()
    assert 'href="/flags/"' in staff.content.decode()  # the nav link


def test_a_resolved_flag_leaves_the_list(client, flagged, chair_a, township_staff):
    # given the IOU is replaced by an invoice
    from villages import services

    review = flagged["iou_a1"]
    services.review_update(actor=chair_a, review=review, fields={"invoice_type": "invoice"})
    client.force_login(township_staff)

    # when the list is read, then only the other voucher's flag is left
    assert _flags(client.get("/flags/")) == [(A1, "over_threshold_missing_step")]


def test_flags_list_filters_by_township_village_and_code(client, flagged, district_official):
    client.force_login(district_official)
    by_township = client.get("/flags/", {"township": "320904110"})
    by_village = client.get("/flags/", {"village": A1})
    by_code = client.get("/flags/", {"code": "iou_note"})
    assert _flags(by_township) == [(B1, "iou_note")]
    assert len(_flags(by_village)) == 2
    assert _flags(by_code) == [(A1, "iou_note"), (B1, "iou_note")]


def test_village_officer_sees_no_flags_and_no_link_to_them(client, flagged, officer_a):
    client.force_login(officer_a)
    response = client.get("/flags/")
    assert response.status_code == 200
    assert _flags(response) == []
    assert 'href="/flags/"' not in response.content.decode()


def test_htmx_request_gets_only_the_flag_table(client, flagged, district_official):
    client.force_login(district_official)
    response = client.get("/flags/", {"code": "iou_note"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and 'data-testid="flag-table"' in body
    assert "HX-Request" in response["Vary"]


# --- Query counts -------------------------------------------------------------------------------


def _iou_vouchers(actor, village, start, stop):
    # Each with its own payee and voucher number: one flag each, no split or duplicate.
    for n in range(start, stop):
        spending(actor, village, invoice_type="iou", voucher_no=f"Q-{n}", payee=f"商户{n}")


# session, user, permissions (user + groups), the village, the count, the chair's seat on the
# committee in office (for the "record" link), roles and the unread count for the header, the
# page of reviews with their open-flag counts
LEDGER_QUERIES = 10
# session, user, permissions (user + groups), township choices, the count, roles and the unread
# count for the header, the page of flags with their reviews, villages and townships
FLAGS_QUERIES = 9


@pytest.mark.parametrize(
    ("url", "queries"), [(f"/villages/{A1}/reviews/", LEDGER_QUERIES), ("/flags/", FLAGS_QUERIES)]
)
def test_list_costs_the_same_queries_for_5_rows_as_for_50(
    client, district, chair_a, url, queries, django_assert_num_queries
):
    # given five flagged vouchers, read by the chair (once, to warm the caches)
    _iou_vouchers(chair_a, district.village_a1, 0, 5)
    client.force_login(chair_a)
    client.get(url)
    with django_assert_num_queries(queries):
        five = client.get(url)

    # when there are fifty
    _iou_vouchers(chair_a, district.village_a1, 5, 50)
    with django_assert_num_queries(queries):
        fifty = client.get(url)

    # then both pages cost the same, though the second shows five times the rows
    assert len(five.context["page"].object_list) == 5
    assert len(fifty.context["page"].object_list) == 25
