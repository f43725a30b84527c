"""One rule for browsers: a request whose best match is HTML gets a page, on every route.

Flask's test client in this process (its query workers are real processes):
every named query's page with its form, server-rendered results equal to the
JSON answer and download links that name their files; ``/sparql?query=``;
``/health`` and ``/stats``; HTML error pages for browsers and text or JSON for
everyone else; the file names of downloads; standards listing each member
once; fingerprinted, gzipped, long-cached static files.
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from conftest import read_reference
from pages_support import BROWSER_ACCEPT, find, find_all, parse_html

HTML = {"Accept": BROWSER_ACCEPT}
CURL = {"Accept": "*/*"}


@pytest.fixture(scope="module")
def client(kg):
    from cyberframe.service import create_app

    app = create_app({"access_log": False, "workers": 1}, knowledge_graph=kg)
    app.testing = True
    return app.test_client()


def catalogue(client) -> list[dict]:
    return json.loads(client.get("/queries", headers={"Accept": "application/json"}).data)["queries"]


def table_rows(doc) -> list[list[str]]:
    return [[td.text for td in find_all(tr, "td")] for tr in find_all(find(doc, "table", {"class": None}), "tr")[1:]]


def test_every_named_query_is_a_page_with_its_form_results_and_downloads(client):
    for entry in catalogue(client):
        url = urllib.parse.urlsplit(entry["example_url"])
        path = url.path + ("?" + url.query if url.query else "")
        response = client.get(path, headers=HTML)
        assert response.status_code == 200, (path, response.status_code)
        assert response.mimetype == "text/html" and "Content-Disposition" not in response.headers, path
        doc = parse_html(response.get_data(as_text=True))
        form = find(doc, "form", {"class": "named-query-form"})
        fields = {e.get("name") for e in find_all(form, "input") + find_all(form, "select")}
        assert fields == {p["name"] for p in entry["params"]}, path
        if entry["form"] == "SELECT":
            answer = json.loads(client.get(path, headers={"Accept": "application/sparql-results+json"}).data)
            rows = answer["results"]["bindings"]
            shown = find_all(doc, "table", {"class": "sortable results-table"})
            assert len(find_all(shown[0], "tr")) - 1 == len(rows) if rows else not shown, path
        downloads = find_all(doc, "a", {"class": "download"})
        assert downloads, path
        for link in downloads:
            got = client.get(link.get("href"), headers=HTML)
            assert got.status_code == 200, link.get("href")
            disposition = got.headers["Content-Disposition"]
            assert disposition == f'attachment; filename="{link.get("download")}"', (disposition, link.get("download"))
            assert link.get("download").startswith(entry["name"] + ".")
            assert got.mimetype == link.get("type")


def test_named_query_page_shows_the_reference_rows(client):
    """controls-for-function DE on the page: the 27002:2022 controls that Detect's subcategories reference."""
    core = {row["subcategory_id"]: row for row in read_reference("csf11-core.csv")}
    expected = set()
    for row in read_reference("csf11-to-iso27002-2022.csv"):
        if core[row["subcategory_id"]]["function_id"] == "DE":
            expected |= {c for c in row["iso27002_2022_controls"].split(";") if c}
    doc = parse_html(client.get("/queries/controls-for-function?function=DE", headers=HTML).get_data(as_text=True))
    table = find(doc, "table", {"class": "sortable results-table"})
    cells = {td.text for tr in find_all(table, "tr") for td in find_all(tr, "td")}
    assert expected and expected <= cells, expected - cells


def test_named_query_errors_are_pages_for_browsers_and_text_for_others(client):
    bad = client.get("/queries/controls-for-function?function=XX", headers=HTML)
    assert bad.status_code in (400, 404) and bad.mimetype == "text/html"
    doc = parse_html(bad.get_data(as_text=True))
    assert find(doc, "form", {"class": "named-query-form"}) and find(doc, "div", {"role": "alert"})
    assert client.get("/queries/controls-for-function?function=XX", headers=CURL).mimetype != "text/html"
    unknown = client.get("/queries/no-such-query", headers=HTML)
    assert unknown.status_code == 404 and unknown.mimetype == "text/html"
    assert "no-such-query" in parse_html(unknown.get_data(as_text=True)).text


def test_sparql_query_in_a_browser_is_the_results_page(client):
    query = "SELECT ?n WHERE { ?f a <https://w3id.org/cyberframe/ontology#Function> ; <http://www.w3.org/2004/02/skos/core#notation> ?n } ORDER BY ?n"
    path = "/sparql?" + urllib.parse.urlencode({"query": query})
    page = client.get(path, headers=HTML)
    assert page.status_code == 200 and page.mimetype == "text/html"
    doc = parse_html(page.get_data(as_text=True))
    assert [r for r in table_rows(doc)] == [["DE"], ["ID"], ["PR"], ["RC"], ["RS"]]
    assert find(doc, "textarea").text == query
    machine = client.get(path, headers=CURL)
    assert machine.mimetype == "application/sparql-results+json"
    assert machine.headers["Content-Disposition"] == 'inline; filename="query-results.json"'
    tsv = client.get(path + "&format=tsv", headers=HTML)
    assert tsv.headers["Content-Disposition"] == 'attachment; filename="query-results.tsv"'


@pytest.mark.parametrize("path", ["/health", "/stats"])
def test_status_routes_are_pages_for_browsers(client, path):
    page = client.get(path, headers=HTML)
    assert page.status_code == 200 and page.mimetype == "text/html"
    data = json.loads(client.get(path, headers=CURL).data)
    text = parse_html(page.get_data(as_text=True)).text
    assert data["version"] in text and str(data["max_rows" if path == "/health" else "triples"]) in text
    assert client.get(path + "?format=json", headers=HTML).mimetype == "application/json"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/nothing-here", 404), ("/heatmap/nope.svg", 404), ("/dump?inferred=maybe", 400), ("/dump?graph=nope", 404)],
)
def test_errors_are_pages_for_browsers_text_or_json_for_others(client, path, status):
    page = client.get(path, headers=HTML)
    assert page.status_code == status and page.mimetype == "text/html"
    doc = parse_html(page.get_data(as_text=True))
    assert find(doc, "h1").text.startswith(str(status)) and find(doc, "nav", {"class": "site-nav"})
    assert page.headers["Cache-Control"] == "no-store"
    text = client.get(path, headers=CURL)
    assert text.status_code == status and text.mimetype == "text/plain"
    as_json = client.get(path, headers={"Accept": "application/json"})
    assert json.loads(as_json.data)["status"] == status


def test_not_acceptable_is_a_page_for_a_browser_that_takes_only_html(client):
    page = client.get("/dump", headers={"Accept": "text/html"})
    assert page.status_code == 406 and page.mimetype == "text/html"
    assert "application/n-quads" in parse_html(page.get_data(as_text=True)).text
    assert client.get("/dump", headers={"Accept": "image/png"}).mimetype == "text/plain"


@pytest.mark.parametrize(
    ("path", "filename"),
    [
        ("/id/subcategory/DE.CM-1?format=ntriples", "DE.CM-1.nt"),
        ("/id/function/DE?format=rdfxml", "DE.rdf"),
        ("/id/control/iso-iec-27002-2022/8.16?format=turtle", "8.16.ttl"),
        ("/id/mapping/ts27103-iso27002-2022/DE.AE-1--5.37?format=jsonld", "DE.AE-1--5.37.jsonld"),
        ("/ontology?format=ntriples", "cyberframe-ontology.nt"),
        ("/shapes?format=turtle", "cyberframe-shapes.ttl"),
    ],
)
def test_rdf_views_name_their_files(client, path, filename):
    response = client.get(path, headers=HTML)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'inline; filename="{filename}"'


@pytest.mark.parametrize(
    ("standard", "reference", "column"),
    [
        ("iso-iec-27002-2022", "iso27002-2022-controls.csv", "id"),
        ("iso-iec-27001-2022", "iso27001-2022-clauses.csv", None),
    ],
)
def test_standard_pages_list_each_member_once(client, standard, reference, column):
    doc = parse_html(client.get(f"/id/standard/{standard}", headers=HTML).get_data(as_text=True))
    section = find(doc, "section", {"aria-labelledby": "members-title"})
    members = [a.get("href") for a in find_all(section, "a")]
    assert len(members) == len(set(members))
    rows = read_reference(reference)
    assert len(members) == len(rows), (len(members), len(rows))
    assert find(section, "span", {"class": "count-pill"}).text == str(len(rows))


def test_entity_statements_read_naturally(client):
    for path in (
        "/id/standard/iso-iec-27033",
        "/id/standard/iso-iec-27033-1-2015",
        "/id/standard/iso-iec-27002-2022",
        "/id/control/iso-iec-27002-2013/12.4.1",
        "/id/function/DE",
    ):
        doc = parse_html(client.get(path, headers=HTML).get_data(as_text=True))
        terms = [dt.text for dl in find_all(doc, "dl", {"class": "statements"}) for dt in find_all(dl, "dt")]
        assert len(terms) == len(set(terms)), (path, terms)
        assert not [t for t in terms if re.match(r"is (is|has) ", t) or t.endswith(" of of")], (path, terms)
        assert "editorial note" not in terms, path
        heading = find(doc, "h1").text
        assert not re.search(r"(\S+ \S+) .*\1", heading), heading
    doc = parse_html(client.get("/id/standard/iso-iec-27033", headers=HTML).get_data(as_text=True))
    assert find(doc, "h1").text == "ISO/IEC 27033 (all parts)"
    record = parse_html(
        client.get("/id/mapping/ts27103-iso27002-2022/DE.AE-1--5.37", headers=HTML).get_data(as_text=True)
    )
    crumbs = find(record, "nav", {"class": "breadcrumbs"}).text
    assert "mapping/" not in crumbs and crumbs.endswith("DE.AE-1 → 5.37")


def test_a_label_that_holds_its_notation_is_not_repeated(client):
    """An ISO/IEC 27002:2013 control has no title in the reference data; its label "ISO/IEC 27002:2013 control
    12.4.1" holds the notation, so no heading, title or link says "12.4.1 ISO/IEC 27002:2013 control 12.4.1"."""
    doc = parse_html(client.get("/id/control/iso-iec-27002-2013/12.4.1", headers=HTML).get_data(as_text=True))
    assert find(doc, "h1").text == "ISO/IEC 27002:2013 control 12.4.1"
    assert find(doc, "title").text.startswith("ISO/IEC 27002:2013 control 12.4.1 ")
    for path in ("/id/standard/iso-iec-27002-2013", "/id/control/iso-iec-27002-2022/8.15"):
        text = client.get(path, headers=HTML).get_data(as_text=True)
        assert "ISO/IEC 27002:2013 control 12.4.1" in re.sub(r"<[^>]+>", "", text), path
        assert not re.search(r"(\d+\.\d+\.\d+)</span> <span class=\"label\">ISO/IEC 27002:2013 control \1", text), path


def test_editorial_notes_name_no_working_file_or_blog(kg):
    """Editorial notes are for maintainers but public in the RDF: they say what kind of source, in our words."""
    notes = kg.select("SELECT ?s ?note WHERE { ?s <http://www.w3.org/2004/02/skos/core#editorialNote> ?note }")
    assert notes
    # no working file, blog, web site (a domain name) or note about a working session
    working = re.compile(r"\.csv\b|\bblog\b|\bsession\b|\b[a-z0-9-]+\.(?:com|org|net|ai|pub|in|cz|se|jp|uk|global|io)\b")
    bad = [(r["s"].value, r["note"].value) for r in notes if working.search(r["note"].value)]
    assert not bad, bad


def test_shapes_fold_into_one_line_each_with_their_own_parts_inside(client):
    """/shapes: every named shape keeps its anchor; a shape's own property shapes and SPARQL constraints
    (SHACL §2.1.3 sh:property, §5 sh:sparql, used by no other shape) sit inside its folded <details>."""
    import pyoxigraph as ox

    from cyberframe.resources import shapes_path

    prefix = "https://w3id.org/cyberframe/shapes#"
    quads = list(ox.parse(shapes_path().read_bytes(), format=ox.RdfFormat.TURTLE))
    named = {q.subject.value[len(prefix) :] for q in quads if q.subject.value.startswith(prefix)}
    own = {"http://www.w3.org/ns/shacl#property", "http://www.w3.org/ns/shacl#sparql"}
    users: dict[str, set[str]] = {}
    for q in quads:
        if q.predicate.value in own and q.object.value.startswith(prefix):
            users.setdefault(q.object.value[len(prefix) :], set()).add(q.subject.value[len(prefix) :])
    doc = parse_html(client.get("/shapes", headers=HTML).get_data(as_text=True))
    folded = find_all(doc, "details", {"class": "shape shape-group"})
    assert folded and not [d for d in folded if "open" in d.attrs], "every shape starts folded"
    where: dict[str, str] = {}
    for group in folded:
        for element in [group, *find_all(group, None, {"id": None})]:
            assert element.get("id") not in where, element.get("id")
            where[element.get("id")] = group.get("id")
    assert named <= set(where)
    for part, shapes_using in users.items():
        if len(shapes_using) == 1:
            owner = next(iter(shapes_using))
            while owner in users and len(users[owner]) == 1:
                owner = next(iter(users[owner]))
            assert where[part] == owner, (part, where[part], owner)
        else:
            assert where[part] == part, part  # used by several shapes: on its own
    assert where["CategoryShape-broader"] == "CategoryShape"
    assert where["EnglishTextShape"] == "EnglishTextShape"
    summary = find(find(doc, "details", {"id": "CategoryShape"}), "summary").text
    assert "targets cf:Category" in summary, summary


def test_long_lists_on_a_standard_page_are_folded(client):
    """ISO/IEC 27002:2022's page: its 93 controls folded by clause (5.1 - 5.37 ...), the 105 records that
    reference it folded, and no second list of the same controls (cf:hasProvision)."""
    doc = parse_html(client.get("/id/standard/iso-iec-27002-2022", headers=HTML).get_data(as_text=True))
    members = find(doc, "section", {"aria-labelledby": "members-title"})
    groups = find_all(members, "details", {"class": "member-group"})
    controls = read_reference("iso27002-2022-controls.csv")
    clauses = sorted({row["id"].split(".")[0] for row in controls})
    assert [find(g, "summary").text.split(" (")[0] for g in groups] == [
        f"{c}.1 – {max((r['id'] for r in controls if r['id'].startswith(c + '.')), key=lambda i: int(i.split('.')[1]))}"
        for c in clauses
    ]
    assert sum(len(find_all(g, "li")) for g in groups) == len(controls)
    referenced = find(doc, "section", {"aria-labelledby": "referenced-title"})
    record_groups = find_all(referenced, "details", {"class": "record-group"})
    assert record_groups and all("open" not in g.attrs for g in record_groups)
    terms = [dt.text for dt in find_all(doc, "dt")]
    assert "has provision" not in terms, terms
    short = parse_html(client.get("/id/subcategory/DE.AE-1", headers=HTML).get_data(as_text=True))
    assert all("open" in g.attrs for g in find_all(short, "details", {"class": "record-group"}))


def test_an_unreferenced_control_says_so(client):
    doc = parse_html(client.get("/id/control/iso-iec-27002-2022/8.16", headers=HTML).get_data(as_text=True))
    assert (
        "No subcategory of ISO/IEC TS 27103:2026 references this control"
        in find(doc, "section", {"aria-labelledby": "referenced-title"}).text
    )


def test_static_files_are_fingerprinted_gzipped_and_cached_long(client):
    doc = parse_html(client.get("/", headers=HTML).get_data(as_text=True))
    urls = [e.get("href") for e in find_all(doc, "link", {"rel": "stylesheet"})]
    urls += [e.get("src") for e in find_all(doc, "script", {"src": None})]
    assert len(urls) == 2
    for url in urls:
        assert re.fullmatch(r"/static/cyberframe\.[0-9a-f]{8}\.(css|js)", url), url
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        plain = client.get(url.rsplit(".", 2)[0] + "." + url.rsplit(".", 1)[1])
        assert plain.headers["Cache-Control"] == "public, no-cache"
        assert client.get(plain.request.path, headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
    assert client.get("/static/cyberframe.00000000.css").status_code == 404
    queries = client.get("/queries", headers={**HTML, "Accept-Encoding": "gzip"})
    assert queries.headers["Content-Encoding"] == "gzip"


def test_an_undeclared_prefix_is_named_on_the_query_page(client):
    query = "SELECT * WHERE {\n  ?s foaf:name ?o\n}"
    page = client.get("/sparql/results?" + urllib.parse.urlencode({"query": query}), headers=HTML)
    assert page.status_code == 400
    alert = find(parse_html(page.get_data(as_text=True)), "div", {"id": "query-problem"}).text
    assert "undefined prefix foaf: (line 2)" in alert and "Prefix not found" not in alert


def test_results_pages_page_through_everything_and_keep_select_star_order(client):
    query = "SELECT * WHERE { ?s ?p ?o }"
    total = json.loads(
        client.get("/sparql?" + urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})).data
    )["results"]["bindings"][0]["n"]["value"]
    doc = parse_html(
        client.get("/sparql/results?" + urllib.parse.urlencode({"query": query, "page": 2}), headers=HTML).get_data(
            as_text=True
        )
    )
    table = find(doc, "table", {"class": "sortable results-table"})
    assert [th.text for th in find_all(table, "th")] == ["s", "p", "o"]
    assert len(find_all(table, "tr")) - 1 == 1000
    count = find(doc, "p", {"class": "result-count"}).text
    assert (
        int(total) > 10_000 and "The first 10,000 rows: the endpoint's limit" in count and "1,001–2,000 shown" in count
    )
    pager = find(doc, "nav", {"class": "pager"})
    assert [a.text for a in find_all(pager, "a")] + [find(pager, "strong").text] == [
        "1",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "2",
    ]


def test_controls_list_attribute_values_in_one_order(client):
    doc = parse_html(client.get("/controls", headers=HTML).get_data(as_text=True))
    rows = find_all(find(doc, "table", {"class": "sortable controls-table"}), "tr")[1:]
    assert len(rows) == 93
    for row in rows:
        for cell in find_all(row, "td")[3:]:
            values = [v for v in cell.text.split(", ") if v]
            assert values == sorted(values, key=str.casefold), values


def test_heatmap_cells_link_to_their_records_and_the_description_reads_well(client):
    svg = client.get("/heatmap/categories-controls.svg").get_data(as_text=True)
    assert "categorys" not in svg and "Rows: categories; columns: controls." in svg
    cells = re.findall(r'<a class="cell" href="([^"]+)">', svg)
    group = svg.split('<g class="cells">', 1)[1].split("</g>\n", 1)[0]
    assert cells and len(cells) == group.count("<rect"), "every filled cell is a link"
    for target in set(cells[:20]):
        path, _, anchor = target.partition("#")
        page = client.get(path, headers=HTML)
        assert page.status_code == 200 and f'id="{anchor}"' in page.get_data(as_text=True), target
    themes = client.get("/heatmap/categories-themes.svg").get_data(as_text=True)
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', themes)
    assert labels and max(len(label) for label in labels) <= 44


def test_ontology_page_is_in_the_site_layout_with_every_term(client, kg):
    page = client.get("/ontology", headers=HTML)
    doc = parse_html(page.get_data(as_text=True))
    assert find(doc, "nav", {"class": "site-nav"}) and find(doc, "meta", {"name": "viewport"})
    anchors = {a.get("id") for a in find_all(doc, "article", {"class": "shape term"})}
    terms = {
        row[0].value.rsplit("#", 1)[1]
        for row in kg.query(
            "SELECT DISTINCT ?t WHERE { GRAPH <https://w3id.org/cyberframe/graph/ontology> { ?t a ?k } "
            "FILTER(?k IN (<http://www.w3.org/2002/07/owl#Class>, <http://www.w3.org/2002/07/owl#ObjectProperty>, "
            "<http://www.w3.org/2002/07/owl#DatatypeProperty>, <http://www.w3.org/2002/07/owl#AnnotationProperty>)) "
            "FILTER(STRSTARTS(STR(?t), 'https://w3id.org/cyberframe/ontology#')) }"
        )
    }
    assert terms and anchors == terms
    assert find(doc, "input", {"data-filter": ".term"})
    assert client.get("/ontology/pylode", headers=HTML).status_code == 200


def test_search_suggestions_rank_notations_labels_then_definitions(client):
    def suggest(text: str) -> list[dict]:
        response = client.get("/search/suggest?" + urllib.parse.urlencode({"q": text}), headers=CURL)
        assert response.status_code == 200 and response.mimetype == "application/json"
        return json.loads(response.data)["results"]

    first = suggest("DE.CM-1")[0]
    assert (first["notation"], first["url"]) == ("DE.CM-1", "/id/subcategory/DE.CM-1")
    controls = {row["id"]: row["title"] for row in read_reference("iso27002-2022-controls.csv")}
    logging = [r for r in suggest("logging") if r["url"] == "/id/control/iso-iec-27002-2022/8.15"]
    assert logging and logging[0]["label"] == controls["8.15"]
    assert all(r["notation"].startswith("8.1") for r in suggest("8.1")[:5])
    assert suggest("x") == [] and len(suggest("se")) == 10
    page = client.get("/search/suggest?q=logging", headers=HTML)
    assert page.status_code == 303 and page.headers["Location"].endswith("/search?q=logging")


def test_search_suggestions_answer_within_50_ms_at_the_99th_percentile(client):
    import time

    words = ["DE", "de.cm", "8.1", "logging", "access", "risk", "supplier", "PR.AC-1", "monitor", "incident"]
    client.get("/search/suggest?q=warm", headers=CURL)
    timings = []
    for _ in range(20):
        for word in words:
            # CPU time of this thread (the test client answers in it): the server's work, not the machine's load
            started = time.thread_time()
            client.get("/search/suggest?" + urllib.parse.urlencode({"q": word}), headers=CURL)
            timings.append(time.thread_time() - started)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"search suggest: p50 {timings[len(timings) // 2] * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
    assert p99 < 0.05, p99


def test_alphabetical_index_lists_every_named_entity_once(client):
    doc = parse_html(client.get("/index", headers=HTML).get_data(as_text=True))
    letters = [a.get("href") for a in find_all(find(doc, "nav", {"class": "letters"}), "a")]
    assert len(letters) > 15
    seen: list[str] = [a.get("href") for a in find_all(find(doc, "ul", {"class": "index-list"}), "a")]
    for url in letters:
        page = client.get(url, headers=HTML)
        assert page.status_code == 200, url
        seen += [
            a.get("href")
            for a in find_all(find(parse_html(page.get_data(as_text=True)), "ul", {"class": "index-list"}), "a")
        ]
    assert len(seen) == len(set(seen))
    subcategories = {f"/id/subcategory/{row['subcategory_id']}" for row in read_reference("csf11-core.csv")}
    assert subcategories <= set(seen)
    assert client.get("/index?letter=Q", headers=HTML).status_code in (200, 404)
