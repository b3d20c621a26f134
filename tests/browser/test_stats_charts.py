"""An official opens the statistics on a phone: every figure is drawn as a chart (ECharts, from
the page's json_script data, no inline script) beside its data table."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit import stats
from tests.audit.test_stats import world  # noqa: F401  (the small 2019 fixture)
from tests.browser.test_report_journey import PHONE, _fits_the_phone, _log_in

pytestmark = pytest.mark.browser


def test_an_official_sees_every_chart_drawn(
    transactional_db,
    live_server,
    district_official,
    world,  # noqa: F811
    browser,
    tmp_path: Path,
):
    # given an official signed in on a phone
    page = _log_in(browser, live_server.url, district_official.username)
    assert PHONE["viewport"]["width"] == 360
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # when they open the statistics of 2019
    page.goto(f"{live_server.url}/stats/?year=2019")
    page.wait_for_selector("[data-chart] canvas")

    # then each figure's container holds a drawn chart, and the page fits the phone
    for key in stats.CHART_KEYS:
        drawn = page.locator(f"#chart-{key} canvas, #chart-{key} svg")
        assert drawn.count() >= 1, key
    assert not errors
    _fits_the_phone(page)
    page.screenshot(path=str(tmp_path / "stats.png"), full_page=True)
    assert (tmp_path / "stats.png").stat().st_size > 0
