"""A person's paths through the web UI in headless Chromium.

Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``.ci/run``) driven
by Playwright's Python package - no browser download, no network but
127.0.0.1. Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import require_slow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest):
    require_slow(request, "drives a browser")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the test extra installs playwright")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.base)
    # Nothing but the server under test: any other request is aborted.
    context.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(server.base) else route.abort()
    )
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_function_to_subcategory_to_control(page):
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("The ISO/IEC TS 27103:2026")
    _shot(page, "home")
    page.locator(".function-card h3 a", has_text="Detect").click()
    page.wait_for_url("**/id/function/DE")
    assert page.locator("h1").inner_text() == "DE Detect"
    assert page.locator(".category-block").count() == 3
    page.locator(".category-block a", has_text="Network monitoring").first.click()
    page.wait_for_url("**/id/subcategory/DE.CM-1")
    page.goto("/id/subcategory/DE.AE-1")
    page.locator("table.mappings a.named", has_text="5.37").first.click()
    page.wait_for_url("**/id/control/iso-iec-27002-2022/5.37")
    assert "5.37" in page.locator("h1").inner_text()
    assert page.locator("dd[data-facet=theme] a").inner_text() == "Organizational"
    _shot(page, "control-5.37")


def test_query_page_runs_a_query_and_sorts_the_results(page):
    page.goto("/sparql")
    assert page.locator(".editor.enhanced .highlight .tok-kw").count() > 5, "the editor is highlighted"
    page.fill(
        "#query",
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?c ?n WHERE { ?c a <https://w3id.org/cyberframe/ontology#Function> ; skos:notation ?n }",
    )
    page.locator("button.primary", has_text="Run query").click()
    page.wait_for_selector("table.results-table")
    rows = page.locator("table.results-table tbody tr")
    assert rows.count() >= 5
    header = page.locator("table.results-table th", has_text="n")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    first = page.locator("table.results-table tbody tr td:nth-child(2)").first.inner_text()
    assert first == "DE"
    page.locator("table.results-table tbody a").first.click()
    page.wait_for_url("**/id/**")
    _shot(page, "query-results-entity")


def test_query_page_shows_the_error_position(page):
    page.goto("/sparql")
    page.fill("#query", "SELECT * WHERE {\n  ?s ?p\n}")
    page.focus("#query")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#query-problem")
    assert "line 3" in page.locator("#query-problem").inner_text()
    _shot(page, "query-error")


def test_validate_a_bad_file_and_see_its_violation(page, tmp_path):
    bad = tmp_path / "bad-profile.ttl"
    bad.write_text(
        "PREFIX cf: <https://w3id.org/cyberframe/ontology#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "<https://w3id.org/cyberframe/id/subcategory/DE.CM-1> cf:references "
        "<https://w3id.org/cyberframe/id/control/iso-iec-27002-2022/5.99> .\n",
        encoding="utf-8",
    )
    page.goto("/validate")
    page.set_input_files("#file", str(bad))
    page.locator("button.primary", has_text="Validate").click()
    page.wait_for_selector(".report")
    assert "Does not conform" in page.locator(".verdict").inner_text()
    group = page.locator(".focus-group", has_text="cfid:control/iso-iec-27002-2022/5.99")
    assert group.locator(".severity").first.inner_text().lower() == "violation"
    assert "nothing in the data describes it" in group.inner_text()
    _shot(page, "validation-report")


def test_validate_catches_an_empty_submit_in_the_page(page):
    """Nothing pasted, no file: the form is not sent and the page says why."""
    page.goto("/validate")
    page.locator("button.primary", has_text="Validate").click()
    page.wait_for_selector("#empty-submit:not([hidden])")
    assert page.url.endswith("/validate") and "Nothing to validate" in page.locator("#empty-submit").inner_text()
    assert page.locator(".report").count() == 0
