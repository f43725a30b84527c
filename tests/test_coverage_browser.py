"""The coverage page in headless Chromium: upload a spreadsheet, read the heatmap, follow a cell to its gaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_browser import CHROMIUM, browser, page  # noqa: F401 - the browser fixtures

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_upload_a_spreadsheet_and_follow_a_heatmap_cell_to_its_gaps(page):  # noqa: F811
    page.goto("/coverage")
    page.set_input_files("#file", str(EXAMPLES / "soa.xlsx"))
    page.locator("form.coverage-form button[type=submit]").click()
    page.wait_for_selector(".coverage-report")
    report = page.locator(".coverage-report")
    assert "19 of 95" in report.inner_text()
    cells = page.locator("figure.coverage-heatmap svg a")
    assert cells.count() == 23
    page.locator('figure.coverage-heatmap svg a[href="#gaps-ID.SC"]').click()
    assert page.url.endswith("#gaps-ID.SC")
    gaps = page.locator('[id="gaps-ID.SC"] + ul')
    assert "ID.SC-2" in gaps.inner_text() and "would be covered by 5.22" in gaps.inner_text()
    with page.expect_download() as download:
        page.locator('a[download="coverage.csv"]').click()
    assert download.value.suggested_filename == "coverage.csv"
