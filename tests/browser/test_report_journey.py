"""A villager reports on a phone without an account and follows the report to its end, while
township staff and their leader handle it: the journey of issue #4, in Debian's Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from cases.choices import PublicStage
from cases.models import Complaint
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


def _label(stage: PublicStage) -> str:
    with translation.override("zh-hans"):
        return str(stage.label)


def _fits_the_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def _log_in(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def _status_page(villager: Any, base: str, receipt: str) -> None:
    villager.goto(f"{base}/report/status/")
    villager.fill("[data-testid=receipt-form] input[name=receipt]", receipt)
    villager.click("[data-testid=receipt-form] button[type=submit]")
    villager.wait_for_selector("[data-testid=status-label]")


def test_a_villager_reports_anonymously_and_rates_the_handling_after_conclusion(
    transactional_db, live_server, district, township_staff, township_leader, browser, tmp_path
):
    base = live_server.url
    village = district.village_a1

    # given a villager on a phone, without an account, who files an anonymous report
    villager = browser.new_context(**PHONE).new_page()
    villager.goto(f"{base}/report/")
    villager.select_option("select[name=village]", village.code)
    villager.check("input[name=categories][value=benefit_skimming]")
    villager.fill("textarea[name=description]", "村里有人冒领低保金，已经两年了。")
    villager.check("input[name=anonymous]")
    _fits_the_phone(villager)
    villager.click("[data-testid=send-report]")

    # then the receipt is shown once, and the villager keeps it
    receipt = villager.locator("[data-testid=receipt]").inner_text().strip()
    assert len(receipt.replace("-", "")) >= 16
    _fits_the_phone(villager)
    villager.screenshot(path=str(tmp_path / "receipt.png"), full_page=True)
    complaint = Complaint.objects.get()
    assert complaint.is_anonymous and complaint.receipt_hash and receipt not in complaint.content

    # when township staff register it and open a case proposing to close it without action
    staff = _log_in(browser, base, township_staff.username)
    staff.goto(f"{base}/complaints/")
    staff.get_by_role("link", name=complaint.number).first.click()
    staff.wait_for_selector("#register-form")
    staff.fill("#register_note", "属本机关受理范围，予以受理。")
    staff.click("[data-testid=register]")
    staff.wait_for_selector("#complaint-status[data-status=registered]")

    # then the villager's status page says it was accepted
    _status_page(villager, base, receipt)
    assert villager.locator("[data-testid=status-label]").inner_text() == _label(
        PublicStage.ACCEPTED
    )

    # when staff open a case about the village's secretary and propose a disposition
    staff.locator("#open-case-form input[name=subjects]").first.check()
    staff.click("[data-testid=open_case]")
    staff.wait_for_selector("#case-status[data-status=registered]")
    case_url = staff.url
    staff.select_option("#transition_to", "disposition_proposed")
    staff.select_option("#transition_disposition", "closed_no_action")
    staff.fill("#transition_note", "经初步了解，所反映问题已由民政部门纠正。")
    staff.click("[data-testid=transition]")
    staff.wait_for_selector("#case-status[data-status=disposition_proposed]")
    _fits_the_phone(staff)

    # and the leader approves it
    leader = _log_in(browser, base, township_leader.username)
    leader.goto(case_url)
    leader.select_option("#transition_to", "closed_no_action")
    leader.fill("#transition_note", "同意予以了结。")
    leader.fill("#transition_result_summary", "经核查，冒领低保问题已纠正，违规资金已追回。")
    leader.click("[data-testid=transition]")
    leader.wait_for_selector("#case-status[data-status=closed_no_action]")
    _fits_the_phone(leader)
    leader.screenshot(path=str(tmp_path / "case.png"), full_page=True)

    # then the villager sees it concluded, with the result, and can rate the handling
    _status_page(villager, base, receipt)
    assert villager.locator("[data-testid=status-label]").inner_text() == _label(
        PublicStage.CONCLUDED
    )
    assert "违规资金已追回" in villager.locator("[data-testid=result]").inner_text()
    page_text = villager.content()
    assert township_staff.username not in page_text and "同意予以了结" not in page_text
    villager.check("[data-testid=rate-form] input[name=rating][value=satisfied]")
    villager.fill("[data-testid=rate-form] textarea[name=comment]", "处理及时，满意。")
    villager.click("[data-testid=rate-form] button[type=submit]")
    villager.wait_for_selector("[data-testid=rated]")
    _fits_the_phone(villager)
    villager.screenshot(path=str(tmp_path / "rated.png"), full_page=True)
    complaint.refresh_from_db()
    assert complaint.rating == "satisfied" and complaint.rating_comment == "处理及时，满意。"
