"""A person's paths through the web UI in headless Chromium.

Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``.ci/run``) driven
by Playwright's Python package - no browser download, no network but
127.0.0.1. Screenshots go to ``tests/artifacts/`` (git-ignored);
``tools/refresh-screenshots.sh`` clears that folder and runs this module.
"""

from __future__ import annotations

import json
import re
import urllib.parse
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

CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.cspViolation([location.pathname, e.effectiveDirective, e.blockedURI, e.sourceFile, e.lineNumber].join(" "));
});
"""

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
    violations: list[str] = []
    # Every Content-Security-Policy violation of any page this tab opens (CSP3 §5.3, securitypolicyviolation).
    context.expose_function("cspViolation", lambda report: violations.append(report))
    context.add_init_script(CSP_LISTENER)
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.csp_violations = violations  # type: ignore[attr-defined]
    yield tab
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


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


FUNCTIONS_QUERY = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "SELECT ?c ?n WHERE { ?c a <https://w3id.org/cyberframe/ontology#Function> ; skos:notation ?n } ORDER BY ?n"
)


def test_yasgui_completes_runs_and_pages_a_query(page):
    """The tool builder's journey: YASGUI completes cyberframe's terms and runs a query against /sparql."""
    page.goto("/sparql")
    page.wait_for_selector(".yasgui .CodeMirror")
    assert page.locator("form.query-form").is_hidden(), "YASGUI replaces the plain form"
    page.evaluate(
        "cyberframeYasgui.getTab().getYasqe().setValue("
        "'PREFIX cf: <https://w3id.org/cyberframe/ontology#>\\nSELECT * WHERE { ?x a cf:Subcat')"
    )
    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Control+Space")
    page.wait_for_selector(".CodeMirror-hints li")
    assert "cf:Subcategory" in page.locator(".CodeMirror-hints li").all_inner_texts()
    page.keyboard.press("Escape")
    page.evaluate(f"cyberframeYasgui.getTab().getYasqe().setValue({FUNCTIONS_QUERY!r})")
    page.locator(".yasqe_queryButton").click()
    page.wait_for_selector(".yasr table tbody tr")
    cells = page.locator(".yasr table tbody tr td").all_inner_texts()
    assert [c for c in cells if c in ("DE", "ID", "PR", "RC", "RS")] == ["DE", "ID", "PR", "RC", "RS"]
    _shot(page, "yasgui-results")


def test_an_example_opens_in_a_yasgui_tab_and_its_counts_chart_one_bar_per_row(page, server):
    """The examples open in YASGUI's own tabs (named after the named query) and run there; the chart view
    (static/yasr-chart.js) draws one SVG bar per row, its values those of the named query's own answer."""
    answer = json.loads(
        server.request(
            "GET", "/queries/functions-overview", headers={"Accept": "application/sparql-results+json"}
        ).body
    )
    expected = {b["function"]["value"]: b["controls"]["value"] for b in answer["results"]["bindings"]}
    assert len(expected) == 5
    page.goto("/sparql")
    page.wait_for_selector(".yasgui .CodeMirror")
    example = page.locator(".examples a[data-tab='functions-overview']")
    sparql = urllib.parse.parse_qs(urllib.parse.urlsplit(example.get_attribute("href")).query)["query"][0]
    example.click()
    panel = page.locator(".tabPanel.active")
    panel.locator(".yasr table tbody tr").first.wait_for()
    assert page.url.endswith("/sparql"), "the example ran in the editor, not on another page"
    assert page.locator(".tabsList .tab.active").inner_text().split("\n")[0] == "functions-overview"
    assert page.evaluate("cyberframeYasgui.getTab().getQuery()") == sparql
    assert panel.locator(".yasr table tbody tr").count() == 5
    panel.locator(".yasr_btnGroup .select_chart").click()
    panel.locator(".cf-chart-controls select[name=value]").select_option("controls")
    bars = panel.locator(".cf-chart svg rect.cf-bar")
    assert bars.count() == 5
    drawn = {bars.nth(i).get_attribute("data-label"): bars.nth(i).get_attribute("data-value") for i in range(5)}
    assert drawn == expected
    widths = {bars.nth(i).get_attribute("data-label"): bars.nth(i).bounding_box()["width"] for i in range(5)}
    top = max(expected, key=lambda k: int(expected[k]))
    for key, value in expected.items():  # bar lengths in proportion to the values (to a pixel)
        assert abs(widths[key] - widths[top] * int(value) / int(expected[top])) <= 1.5, (key, widths)
    _shot(page, "yasgui-chart")
    panel.locator(".cf-chart-controls select[name=kind]").select_option("line")
    assert panel.locator(".cf-chart svg circle.cf-point").count() == 5
    # Another example opens another tab; the first one's link goes back to its tab.
    page.locator(".examples a", has_text="The five functions").first.click()
    page.wait_for_function("cyberframeYasgui.getTab().getName() === 'The five functions'")
    tabs = page.locator(".tabsList .tab").count()
    example.click()
    page.wait_for_function("cyberframeYasgui.getTab().getName() === 'functions-overview'")
    assert page.locator(".tabsList .tab").count() == tabs


def test_query_page_without_javascript_runs_a_query_and_links_results(browser, server):
    """The same page with scripts off: the plain form, a results table rendered on the server."""
    context = browser.new_context(java_script_enabled=False, base_url=server.base)
    try:
        tab = context.new_page()
        tab.goto("/sparql")
        tab.fill("#query", FUNCTIONS_QUERY)
        tab.locator("button.primary", has_text="Run query").click()
        tab.wait_for_selector("table.results-table")
        cells = tab.locator("table.results-table tbody tr td:nth-child(2)").all_inner_texts()
        assert cells == ["DE", "ID", "PR", "RC", "RS"]
        tab.locator("table.results-table tbody a").first.click()
        tab.wait_for_url("**/id/**")
        # The examples are links to their results pages.
        tab.goto("/sparql")
        tab.locator(".examples a[data-tab='functions-overview']").click()
        tab.wait_for_url("**/sparql/results?query=**")
        assert tab.locator("table.results-table tbody tr").count() == 5
    finally:
        context.close()


def test_query_page_shows_the_error_position(page):
    page.goto("/sparql/results?query=" + urllib.parse.quote("SELECT * WHERE {\n  ?s ?p\n}"))
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


#: One URL per page type (status 200 unless given).
PAGE_TYPES = [
    ("/", 200),
    ("/id/framework/ts27103", 200),
    ("/id/function/DE", 200),
    ("/id/category/DE.CM", 200),
    ("/id/subcategory/DE.CM-1", 200),
    ("/id/control/iso-iec-27002-2022/8.16", 200),
    ("/id/control/iso-iec-27002-2013/12.4.1", 200),
    ("/id/clause/iso-iec-27001-2022/6.1.3", 200),
    ("/id/csf20-subcategory/DE.CM-01", 200),
    ("/id/standard/iso-iec-27002-2022", 200),
    ("/id/theme/technological", 200),
    ("/id/mapping/ts27103-iso27002-2022/DE.AE-1--5.37", 200),
    ("/id/mapping-set/csf11-csf20", 200),
    ("/id/function/NOPE", 404),
    ("/nothing-here", 404),
    ("/controls?theme=Technological", 200),
    ("/search?q=logging", 200),
    ("/index?letter=C", 200),
    ("/heatmaps", 200),
    ("/heatmap/functions-themes.svg", 200),
    ("/sparql", 200),
    ("/sparql/results?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%205", 200),
    ("/sparql/results?query=SELECT%20*%20WHERE%20%7B", 400),
    ("/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D", 200),
    ("/queries", 200),
    ("/queries/controls-for-function?function=DE", 200),
    ("/queries/controls-for-function?function=XX", 400),
    ("/queries/control-subcategories", 200),
    ("/health", 200),
    ("/stats", 200),
    ("/nothing-here", 404),
    ("/validate", 200),
    ("/ontology", 200),
    ("/ontology/pylode", 200),
    ("/shapes", 200),
]


def _slug(path: str) -> str:
    """A file name for a page type's screenshot (the path and the start of its query)."""
    return re.sub(r"[^A-Za-z0-9.=-]+", "-", path)[:60].strip("-") or "home"


def test_no_page_is_wider_than_a_phone(page):
    """At 390 px (a phone), no page type scrolls sideways; one screenshot per page type in tests/artifacts/.

    ``tools/refresh-screenshots.sh`` refreshes the screenshots (it runs this module)."""
    page.set_viewport_size({"width": 390, "height": 844})
    wide = []
    for path, _status in PAGE_TYPES:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide.append(f"{path}: {width} px")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"390-{_slug(path)}.png"))  # the first screen, as a phone shows it
    assert not wide, f"wider than 390 px: {wide}"


#: Pages that list a lot, with the height they may take at 390 px (measured 2,000 to 6,600 px; they were
#: 12,000 to 88,000 px when every shape and every record was unfolded).
LONG_PAGES = [
    "/shapes",
    "/id/standard/iso-iec-27002-2022",
    "/id/standard/iso-iec-27001-2022",
    "/id/standard/iso-iec-27002-2013",
    "/id/standard/nist-csf-2-0",
]
PHONE_HEIGHT_BOUND = 10_000


def test_long_pages_fold_to_a_phone_sized_height_and_the_filter_opens_matches(page):
    page.set_viewport_size({"width": 390, "height": 844})
    heights = {}
    for path in LONG_PAGES:
        page.goto(path)
        heights[path] = page.evaluate("document.documentElement.scrollHeight")
    print("heights at 390 px:", heights)
    assert all(h < PHONE_HEIGHT_BOUND for h in heights.values()), heights
    # The filter: a word that few shapes hold shows those (opened) and hides the rest.
    page.goto("/shapes")
    groups = page.locator("details.shape-group")
    total = groups.count()
    page.fill("#shape-filter", "skos:topConceptOf")
    visible = page.locator("details.shape-group:not([hidden])")
    assert 1 <= visible.count() < total
    assert all(visible.nth(i).get_attribute("open") is not None for i in range(visible.count()))
    assert "FunctionShape" in [visible.nth(i).get_attribute("id") for i in range(visible.count())]
    page.fill("#shape-filter", "")
    assert page.locator("details.shape-group:not([hidden])").count() == total
    assert page.locator("details.shape-group[open]").count() == 0
    # An address naming a shape inside a folded one opens it.
    page.goto("/shapes#CategoryShape-broader")
    page.wait_for_function("document.getElementById('CategoryShape').open")
    assert page.locator("#CategoryShape-broader").is_visible()
    _shot(page, "390-shapes-opened")


def test_every_page_type_runs_under_the_content_security_policy(page):
    """Zero CSP violations on a page of every type (the fixture fails the test on any), and the listener works."""
    for path, status in PAGE_TYPES:
        response = page.goto(path)
        assert response is not None and response.status == status, (path, response and response.status)
        policy = response.header_value("content-security-policy") or ""
        assert (response.header_value("content-type") or "").startswith(("text/html", "image/svg+xml")), path
        assert "default-src 'none'" in policy and "script-src 'self'" in policy, path
        page.wait_for_load_state("load")
    # The recorder itself: an inline style attribute set by script is a violation it must see.
    page.goto("/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("document.readyState === 'complete'")
    page.wait_for_timeout(200)
    assert [v for v in page.csp_violations if "style-src" in v], "the violation recorder saw nothing"
    page.csp_violations.clear()


def test_search_as_you_type_suggests_and_opens_a_page(page):
    """The architect's journey: type a code, pick the suggestion with the keyboard, land on its page."""
    page.goto("/")
    page.locator("#site-search").press_sequentially("de.cm-", delay=30)
    page.wait_for_selector(".suggestions-list li")
    options = page.locator(".suggestions-list li").all_inner_texts()
    assert options and options[0].startswith("DE.CM-1"), options
    assert page.locator("#site-search").get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/id/subcategory/DE.CM-1")
    page.goto("/index?letter=L")
    page.locator(".index-list a").first.click()
    page.wait_for_url("**/id/**")


def test_named_query_form_results_and_a_named_download(page):
    """The tool builder's journey: the catalogue, a query's form, its results on the page, a CSV download."""
    page.goto("/queries")
    page.locator(".query-list a", has_text="ISO/IEC 27002:2022 controls for a function").first.click()
    page.wait_for_url("**/queries/controls-for-function**")
    page.select_option("#param-function", "PR")
    page.locator(".named-query-form button.primary").click()
    page.wait_for_url("**function=PR**")
    assert page.locator("table.results-table tbody tr").count() > 10
    with page.expect_download() as download:
        page.locator("a.download", has_text="CSV").click()
    assert download.value.suggested_filename == "controls-for-function.csv"
    _shot(page, "named-query")


def test_search_box_under_the_policy(page):
    page.goto("/")
    page.fill("#site-search", "logging")
    page.locator(".header-search button").click()
    page.wait_for_url("**/search?q=logging")
    hits = page.locator("li.hit")
    assert hits.count() >= 3
    page.locator("li.hit a", has_text="Logging").first.click()
    page.wait_for_url("**/id/**")


def test_validate_catches_an_empty_submit_in_the_page(page):
    """Nothing pasted, no file: the form is not sent and the page says why."""
    page.goto("/validate")
    page.locator("button.primary", has_text="Validate").click()
    page.wait_for_selector("#empty-submit:not([hidden])")
    assert page.url.endswith("/validate") and "Nothing to validate" in page.locator("#empty-submit").inner_text()
    assert page.locator(".report").count() == 0
