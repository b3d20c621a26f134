"""A committee chair on a phone (360×740) logs in and opens their village, in Debian's Chromium."""

from __future__ import annotations

import pytest

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_chair_logs_in_on_a_phone_and_opens_their_village(
    transactional_db, live_server, district, chair_a, page, tmp_path
):
    # given the chair of village A1 on a 360-px-wide phone
    village = district.village_a1

    # when they log in
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("账号").fill(chair_a.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()

    # then the home page shows their village, in Chinese
    page.wait_for_url(f"{live_server.url}/")
    link = page.get_by_role("link", name=village.name)
    assert link.count() >= 1

    # when they open it
    link.first.click()
    page.wait_for_url(f"{live_server.url}/villages/{village.code}/")

    # then they see the village, its committee and cadres, and nothing is wider than the screen
    assert page.get_by_role("heading", level=1).inner_text().startswith(village.name)
    assert page.get_by_role("heading", name="村务监督委员会").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "chair-village.png"), full_page=True)


def test_chair_cannot_open_another_village_in_the_browser(
    transactional_db, live_server, district, chair_a, page
):
    # given the chair is logged in
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("账号").fill(chair_a.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    # when they type another village's address
    response = page.goto(f"{live_server.url}/villages/{district.village_b1.code}/")

    # then it looks missing
    assert response is not None and response.status == 404
