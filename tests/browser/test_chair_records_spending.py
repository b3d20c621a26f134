"""On a phone (360×740), the chair records a voucher, submits and signs it; a second member signs
in their own browser and the review closes as approved. Debian's Chromium, no JavaScript needed
by the pages, htmx only making the signature inline.

Elements are found by their `name`, `id` or `data-testid`, not by their (translated) text."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from villages.choices import MemberRole, ReviewStatus

pytestmark = pytest.mark.browser


@pytest.fixture
def second_member(district):
    """A second member of A1's committee, so that approval needs both signatures."""
    user = UserFactory(username=f"village.{district.village_a1.code}.member2")
    committee = district.village_a1.active_committee()
    return MembershipFactory(committee=committee, user=user, role=MemberRole.MEMBER).user


def _log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_chair_records_a_voucher_and_two_members_approve_it_on_their_phones(
    transactional_db, live_server, district, chair_a, second_member, page, browser,
    browser_context_args, tmp_path,
):  # fmt: skip
    base = live_server.url
    village = district.village_a1

    # given the chair of A1, logged in on a phone, on their village's ledger
    _log_in(page, base, chair_a.username)
    page.goto(f"{base}/villages/{village.code}/")
    page.get_by_test_id("ledger-link").click()
    page.wait_for_url(f"{base}/villages/{village.code}/reviews/")
    assert _page_width(page) <= 360

    # when they record a 3,000-yuan voucher backed by a receipt
    page.get_by_test_id("record-review").click()
    page.get_by_test_id("kind-spending").click()
    page.wait_for_url(f"{base}/villages/{village.code}/reviews/new/spending/")
    assert _page_width(page) <= 360
    form = page.locator("#review-form")
    form.locator("input[name=title]").fill("购买办公用品")
    form.locator("input[name=occurred_on]").fill("2026-11-02")
    form.locator("input[name=voucher_no]").fill("记-2026-101")
    form.locator("input[name=amount]").fill("3000.00")
    form.locator("input[name=payee]").fill("东丰文具店")
    form.locator("input[name=purpose]").fill("办公用品")
    form.locator("select[name=invoice_type]").select_option("receipt")
    page.get_by_test_id("save-review").click()

    # then they land on the review, a draft
    page.wait_for_url(re.compile(rf"{re.escape(base)}/reviews/\d+/$"))
    review_url = page.url
    review = page.get_by_test_id("review")
    assert review.get_attribute("data-status") == "draft"

    # when they submit it and sign it "approve" (the signature form works inline)
    page.get_by_test_id("submit-review").click()
    page.wait_for_selector("[data-testid=review][data-status=submitted]")
    page.locator("#sign-form select[name=outcome]").select_option("approve")
    page.get_by_test_id("sign").click()

    # then their signature is listed and the review still waits for a majority
    page.wait_for_selector("[data-testid=signatures] tr[data-signature=approve]")
    assert page.locator("#sign-form").count() == 0
    assert review.get_attribute("data-status") == "submitted"

    # when a second member signs "approve" in their own browser
    context = browser.new_context(**browser_context_args)
    try:
        other = context.new_page()
        _log_in(other, base, second_member.username)
        other.goto(review_url)
        other.locator("#sign-form select[name=outcome]").select_option("approve")
        other.get_by_test_id("sign").click()

        # then the review is closed as approved, shown with the page's own label
        other.wait_for_selector("[data-testid=review][data-status=closed]")
        closed = other.get_by_test_id("review")
        assert closed.get_attribute("data-outcome") == "approve"
        with translation.override("zh-hans"):
            label = str(ReviewStatus.CLOSED.label)
        assert other.get_by_test_id("review-status").inner_text() == label
        assert other.locator("[data-testid=signatures] tr[data-signature=approve]").count() == 2
        assert _page_width(other) <= 360
        other.screenshot(path=str(tmp_path / "review-closed.png"), full_page=True)
    finally:
        context.close()

    # and the chair's ledger lists it as closed, still no wider than the phone
    page.goto(f"{base}/villages/{village.code}/reviews/")
    assert page.locator("[data-testid=review-table] tr[data-status=closed]").count() == 1
    assert _page_width(page) <= 360
