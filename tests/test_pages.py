"""The web pages show exactly what the vetted reference tables say.

Flask's test client in this process (no sockets): the home page's tree, every
function page's categories, every subcategory's control references with their
derivations, every control's attribute facets, the filtered control lists,
search, the heatmap counts and the accessibility basics of every kind of page.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

import pytest

from conftest import read_reference
from cyberframe.ordering import notation_key
from pages_support import BROWSER_ACCEPT, ID, by_id, data_iris, find, find_all, parse_html, split

CORE = read_reference("csf11-core.csv")
CONTROLS = {row["id"]: row for row in read_reference("iso27002-2022-controls.csv")}
REFERENCES = {row["subcategory_id"]: row for row in read_reference("csf11-to-iso27002-2022.csv")}
HTML = {"Accept": BROWSER_ACCEPT}
FACET_COLUMNS = {
    "theme": "theme",
    "type": "control_type",
    "property": "information_security_properties",
    "concept": "cybersecurity_concepts",
    "capability": "operational_capabilities",
    "domain": "security_domains",
}


@pytest.fixture(scope="module")
def client(kg):
    from cyberframe.service import create_app

    app = create_app({"access_log": False, "workers": 1}, knowledge_graph=kg)
    app.testing = True
    return app.test_client()


def page(client, path: str, status: int = 200):
    response = client.get(path, headers=HTML)
    assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "text/html"
    return parse_html(response.get_data(as_text=True))


# --- home -------------------------------------------------------------------------------------------


def test_home_tree_is_the_framework(client):
    doc = page(client, "/")
    functions = [i for i in data_iris(doc, "li") if i.startswith(ID + "function/")]
    categories = [i for i in data_iris(doc, "li") if i.startswith(ID + "category/")]
    subcategories = [i for i in data_iris(doc, "li") if i.startswith(ID + "subcategory/")]
    assert functions == [ID + "function/" + f for f in ("ID", "PR", "DE", "RS", "RC")]
    expected = {ID + "category/" + r["category_id"] for r in CORE}
    assert categories == sorted(expected, key=lambda i: notation_key(i.rsplit("/", 1)[-1]))
    assert sorted(subcategories) == sorted(ID + "subcategory/" + r["subcategory_id"] for r in CORE)
    # counts next to each function: categories and subcategories from the reference
    for card in find_all(doc, "li", {"class": None}):
        iri = card.get("data-iri") or ""
        if iri.startswith(ID + "function/"):
            code = iri.rsplit("/", 1)[-1]
            cats = {r["category_id"] for r in CORE if r["function_id"] == code}
            subs = [r for r in CORE if r["function_id"] == code]
            assert f"{len(cats)} categories · {len(subs)} subcategories" in card.text


def test_home_links_to_search_query_validation_and_downloads(client):
    doc = page(client, "/")
    hrefs = {a.get("href") for a in find_all(doc, "a", {"href": None})}
    assert {"/sparql", "/validate", "/controls", "/ontology", "/shapes", "/context.jsonld"} <= hrefs
    assert "/exports/cyberframe.sssom.tsv" in hrefs
    search = find(doc, "form", {"role": "search", "action": "/search"})
    assert find_all(search, "input", {"name": "q"})
    assert find_all(doc, "svg", {"role": "img"}), "the functions x themes heatmap is embedded"


# --- entity pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["ID", "PR", "DE", "RS", "RC"])
def test_function_page_lists_exactly_its_categories_and_subcategories(client, function):
    doc = page(client, f"/id/function/{function}")
    blocks = find_all(doc, "li", {"class": "category-block"})
    expected = sorted({r["category_id"] for r in CORE if r["function_id"] == function}, key=notation_key)
    assert [b.get("data-iri") for b in blocks] == [ID + "category/" + c for c in expected]
    for block in blocks:
        code = (block.get("data-iri") or "").rsplit("/", 1)[-1]
        subs = [i.rsplit("/", 1)[-1] for i in data_iris(block, "li")]
        assert subs == sorted((r["subcategory_id"] for r in CORE if r["category_id"] == code), key=notation_key)
    assert find(doc, "h1").text == f"{function} " + next(
        r["function_name"] for r in CORE if r["function_id"] == function
    )
    heatmap = find(doc, "svg", {"role": "img"})
    assert function in find(heatmap, "title").text


def _reference_rows(doc, mapping_set: str) -> list:
    tables = find_all(doc, "table", {"data-set": ID + "mapping-set/" + mapping_set, "data-direction": "from"})
    return [row for table in tables for row in find_all(table, "tr", {"data-iri": None})]


def test_every_subcategory_page_references_exactly_the_reference_controls(client):
    for row in CORE:
        code = row["subcategory_id"]
        doc = page(client, f"/id/subcategory/{code}")
        rows = _reference_rows(doc, "ts27103-iso27002-2022")
        shown = {r.get("data-iri", "").rsplit("/", 1)[-1] for r in rows}
        assert shown == split(REFERENCES[code]["iso27002_2022_controls"]), code
        clauses = {r.get("data-iri", "").rsplit("/", 1)[-1] for r in _reference_rows(doc, "ts27103-iso27001-2022")}
        assert clauses == split(REFERENCES[code]["iso27001_2022_clauses"]), code
        text = " ".join(r.text for r in rows)
        for step in filter(None, (s.strip() for s in REFERENCES[code]["derivation"].split(";"))):
            if not step.startswith("A.") or "->" not in step or step.split("->")[1] not in shown:
                continue
            assert step in text, (code, step)


def test_reference_rows_carry_relationship_and_provenance(client):
    doc = page(client, "/id/subcategory/ID.AM-2")
    row = next(r for r in _reference_rows(doc, "ts27103-iso27002-2022") if r.get("data-iri", "").endswith("/5.9"))
    assert "intersects with" in row.text and "semantic" in row.text and "derived" in row.text
    assert "A.8.1.1->5.9" in row.text
    hrefs = {a.get("href") for a in find_all(row, "a", {"href": None})}
    assert "/id/control/iso-iec-27002-2013/8.1.1" in hrefs
    assert "/id/mapping/iso27002-2013-2022/8.1.1--5.9" in hrefs
    assert "/id/standard/nist-csf-1-1" in hrefs
    assert "/id/mapping/ts27103-iso27002-2022/ID.AM-2--5.9" in hrefs
    # crosswalk to CSF 2.0
    crosswalk = find(doc, "table", {"data-set": ID + "mapping-set/csf11-csf20"})
    assert data_iris(crosswalk, "tr") == [ID + "csf20-subcategory/ID.AM-02"]


def test_mapping_set_page_lists_every_record_with_its_relationship_and_basis(client, kg):
    """The record table of a mapping set: the reference's pairs, each with the labels the graph gives its terms."""
    doc = page(client, "/id/mapping-set/csf11-csf20")
    rows = [r for r in find_all(doc, "tr", {"data-record": None})]
    shown = {tuple(cell.text for cell in find_all(r, "td")[:4]) for r in rows}
    expected_pairs = {
        (r["subcategory_11"], target) for r in read_reference("csf11-to-csf20.csv") for target in split(r["subcategory_20"])
    }
    assert {(subject.split(" ")[0], target.split(" ")[0]) for subject, _, target, _ in shown} == expected_pairs
    labels = {
        (row["s"].value, row["rel"].value, row["t"].value, row["basis"].value)
        for row in kg.query("""
            PREFIX cf: <https://w3id.org/cyberframe/ontology#>
            PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            SELECT ?s ?rel ?t ?basis WHERE {
              ?r cf:inMappingSet <https://w3id.org/cyberframe/id/mapping-set/csf11-csf20> ;
                 cf:mappingSubject/skos:notation ?s ; cf:mappingObject/skos:notation ?t ;
                 cf:relationship/skos:prefLabel ?rel ; cf:basis/skos:prefLabel ?basis }""")
    }
    assert {(s.split(" ")[0], rel, t.split(" ")[0], basis) for s, rel, t, basis in shown} == labels
    assert len(rows) == len(labels) == len(expected_pairs)


def test_every_control_page_shows_its_attributes(client):
    for notation, row in CONTROLS.items():
        doc = page(client, f"/id/control/iso-iec-27002-2022/{notation}")
        assert notation in find(doc, "h1").text and row["title"] in find(doc, "h1").text
        for param, column in FACET_COLUMNS.items():
            cell = find(doc, "dd", {"data-facet": param})
            values = {a.get("data-value") for a in find_all(cell, "a", {"data-value": None})}
            assert values == split(row[column]), (notation, param)
            for a in find_all(cell, "a", {"data-value": None}):
                assert a.get("href", "").startswith(f"/controls?{param}=")


def test_control_page_lists_the_subcategories_that_reference_it(client):
    expected = sorted(code for code, row in REFERENCES.items() if "8.15" in split(row["iso27002_2022_controls"]))
    doc = page(client, "/id/control/iso-iec-27002-2022/8.15")
    table = find(doc, "table", {"data-set": ID + "mapping-set/ts27103-iso27002-2022", "data-direction": "to"})
    assert sorted(i.rsplit("/", 1)[-1] for i in data_iris(table, "tr")) == expected
    predecessors = find(doc, "table", {"data-set": ID + "mapping-set/iso27002-2013-2022"})
    assert {i.rsplit("/", 1)[-1] for i in data_iris(predecessors, "tr")} == split(
        CONTROLS["8.15"]["iso27002_2013_predecessors"]
    )


def test_every_category_page_lists_its_subcategories(client):
    by_category = defaultdict(list)
    for row in CORE:
        by_category[row["category_id"]].append(row["subcategory_id"])
    for category, subs in by_category.items():
        doc = page(client, f"/id/category/{category}")
        table = find(doc, "table", {"class": "sortable"})
        assert [i.rsplit("/", 1)[-1] for i in data_iris(table, "tr")] == sorted(subs, key=notation_key)


# --- lists, search, pictures --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "param", "value"),
    [
        ("type=Detective", "type", "Detective"),
        ("concept=Detect", "concept", "Detect"),
        ("theme=people", "theme", "People"),
    ],
)
def test_controls_filtered_by_attribute(client, query, param, value):
    doc = page(client, f"/controls?{query}")
    shown = [tr.get("data-control") for tr in find_all(doc, "tr", {"data-control": None})]
    expected = [n for n, row in CONTROLS.items() if value in split(row[FACET_COLUMNS[param]])]
    assert shown == expected


def test_controls_unfiltered_and_bad_filter(client):
    doc = page(client, "/controls")
    assert len(find_all(doc, "tr", {"data-control": None})) == len(CONTROLS)
    doc = page(client, "/controls?type=Sneaky", 400)
    assert "must be one of: Corrective, Detective, Preventive" in find(doc, "div", {"role": "alert"}).text


def test_search(client):
    doc = page(client, "/search?q=logging")
    assert ID + "control/iso-iec-27002-2022/8.15" in data_iris(doc, "li")
    assert find_all(doc, "mark"), "the matched text is highlighted"
    doc = page(client, "/search?q=DE.CM-1")
    assert data_iris(doc, "li")[0] == ID + "subcategory/DE.CM-1", "an exact notation comes first"
    doc = page(client, "/search?q=x", 400)
    assert "2 to 100 characters" in find(doc, "div", {"role": "alert"}).text
    response = client.get("/search?q=https://w3id.org/cyberframe/id/function/DE", headers=HTML)
    assert response.status_code == 303
    assert client.get(response.headers["Location"], headers=HTML).headers["Location"].endswith("/id/function/DE")


def _expected_function_theme_counts() -> Counter:
    counts: Counter = Counter()
    for code, row in REFERENCES.items():
        for control in split(row["iso27002_2022_controls"]):
            counts[(code.split(".")[0], CONTROLS[control]["theme"])] += 1
    return counts


def test_functions_themes_heatmap_counts_match_the_reference(client):
    response = client.get("/heatmap/functions-themes.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = ET.fromstring(response.data)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert svg.get("role") == "img" and svg.find("s:title", ns) is not None and svg.find("s:desc", ns) is not None
    cells = {}
    for group in svg.iterfind(".//s:g[@class='cells']/s:a", ns):  # each cell links to its records' page
        title = group.find("s:title", ns).text
        pair, count = title.rsplit(": ", 1)
        row, col = pair.split(" × ")
        cells[(row.split()[0], col)] = int(count.split()[0])
    expected = _expected_function_theme_counts()
    assert cells == dict(expected)
    # the table fallback on the home page holds the same numbers
    doc = page(client, "/")
    table = find(find(doc, "details", {"class": "data-table"}), "table")
    header = [th.text for th in find_all(find(table, "thead"), "th")][1:-1]
    for tr in find_all(find(table, "tbody"), "tr"):
        code = find(tr, "th").text.split()[0]
        values = [int(td.text) for td in find_all(tr, "td")][:-1]
        assert values == [expected.get((code, theme), 0) for theme in header]


def test_function_heatmaps_and_unknown_pictures(client):
    for code in ("ID", "PR", "DE", "RS", "RC"):
        response = client.get(f"/heatmap/function/{code}.svg")
        assert response.status_code == 200
        ET.fromstring(response.data)
    assert client.get("/heatmap/function/XX.svg").status_code == 404
    assert client.get("/heatmap/nothing.svg").status_code == 404
    assert client.get("/heatmap/categories-controls.svg").status_code == 200


# --- not found, accessibility ---------------------------------------------------------------------------------


def test_unknown_iri_is_a_helpful_404(client):
    doc = page(client, "/id/function/de", 404)
    assert "/id/function/DE" in {a.get("href") for a in find_all(doc, "a", {"href": None})}
    assert find_all(doc, "form", {"action": "/search"})
    doc = page(client, "/id/subcategory/DE.CM-99", 404)
    assert find_all(doc, "ul", {"class": "suggestions"})
    response = client.get("/id/nothing/here", headers={"Accept": "text/turtle"})
    assert response.status_code == 404 and response.mimetype == "text/plain"
    assert "names nothing" in response.get_data(as_text=True)


PAGES = [
    "/",
    "/search?q=monitoring",
    "/controls",
    "/heatmaps",
    "/sparql",
    "/validate",
    "/shapes",
    "/id/framework/ts27103",
    "/id/function/DE",
    "/id/category/DE.CM",
    "/id/subcategory/DE.CM-1",
    "/id/control/iso-iec-27002-2022/8.16",
    "/id/control/iso-iec-27002-2013/12.4.1",
    "/id/clause/iso-iec-27001-2022/6.1.3",
    "/id/standard/iso-iec-27002-2022",
    "/id/mapping/ts27103-iso27002-2022/DE.AE-1--5.37",
    "/id/mapping-set/csf11-csf20",
    "/id/theme/technological",
    "/id/csf20-subcategory/DE.CM-01",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_accessible(client, path):
    """WCAG 2.1 basics: language, title, skip link to main, landmarks, one h1, labelled form controls, alt text."""
    doc = page(client, path)
    html = find(doc, "html")
    assert html.get("lang") == "en"
    assert find(doc, "title").text
    skip = find(doc, "a", {"class": "skip-link"})
    assert skip.get("href") == "#main" and by_id(doc, "main").tag == "main"
    assert find_all(doc, "header") and find_all(doc, "nav") and find_all(doc, "footer")
    assert len(find_all(doc, "h1")) == 1
    ids = [e.get("id") for e in find_all(doc, None, {"id": None})]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    labelled = {label.get("for") for label in find_all(doc, "label", {"for": None})}
    for control in find_all(doc, "input") + find_all(doc, "select") + find_all(doc, "textarea"):
        if control.get("type") in ("hidden", "submit"):
            continue
        assert control.get("id") in labelled or control.get("aria-label"), control.attrs
    for image in find_all(doc, "img"):
        assert image.get("alt") is not None
    for svg in find_all(doc, "svg"):
        assert svg.get("aria-hidden") == "true" or (svg.get("role") == "img" and svg.get("aria-labelledby"))


def test_public_base_is_configurable(kg):
    from cyberframe.service import create_app

    app = create_app(
        {"access_log": False, "workers": 1, "public_base": "https://example.org/cf"},
        knowledge_graph=kg,
    )
    from cyberframe.web.site.context import href

    with app.test_request_context("/"):
        assert href("https://example.org/cf/id/function/DE") == "/id/function/DE"
        assert href("https://example.org/cf/ontology#references") == "/ontology#references"
        assert href(ID + "function/DE") == ID + "function/DE"  # not this deployment's: an external link
    # the shipped data lives under w3id.org, so nothing of it is this deployment's
    assert app.test_client().get("/id/function/DE", headers=HTML).status_code == 404
