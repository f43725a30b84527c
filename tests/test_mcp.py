"""``cyberframe mcp`` over stdio, driven by the official MCP SDK's own client (docs/mcp.md).

One server process and one client session serve the whole module (a blocking
portal keeps the session's task alive between tests). Every tool is called
with valid and with invalid arguments; the answers are compared with the
HTTP routes' answers from the session's ``cyberframe serve`` (``/queries``,
``/sparql``, ``POST /validate``, ``/ontology``, ``/shapes``,
``/context.jsonld``) and with the reference facts.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from conftest import ROOT, require_slow, split
from cyberframe.named_queries import load_catalogue
from cyberframe.resources import ontology_path, shapes_path
from sparql_support import MAX_ROWS
from test_pages_validate import ACME, EXPECTED

# A `cyberframe mcp` subprocess, and the session's `cyberframe serve` to compare with.
pytestmark = pytest.mark.slow

TIMEOUT = 3.0  # the MCP server's query time limit, seconds
MAX_OUTPUT = 100_000  # its output cap, bytes (the default)
XSD = "http://www.w3.org/2001/XMLSchema#"
SPECIAL = ["sparql_query", "describe", "validate"]


class Session:
    """The SDK client of one ``cyberframe mcp`` process, called from synchronous tests through a portal."""

    def __init__(self, portal: BlockingPortal, client: Client) -> None:
        self.portal = portal
        self.client = client

    def call(self, name: str, arguments: dict[str, Any] | None = None):
        return self.portal.call(self.client.call_tool, name, arguments)

    def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = self.call(name, arguments)
        assert not result.is_error, result.content[0].text
        payload = json.loads(result.content[0].text)
        assert payload == result.structured_content
        return payload

    def error(self, name: str, arguments: dict[str, Any] | None = None) -> str:
        result = self.call(name, arguments)
        assert result.is_error, f"{name}({arguments}) was answered: {result.content[0].text[:200]}"
        return result.content[0].text


@pytest.fixture(scope="module")
def mcp(request: pytest.FixtureRequest) -> Iterator[Session]:
    require_slow(request, "starts a `cyberframe mcp` process")
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "cyberframe.cli", "mcp", "--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS)],
        env=dict(os.environ),
        cwd=str(ROOT),
    )
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(parameters, read_timeout_seconds=60)) as client,
    ):
        yield Session(portal, client)


def compact(binding: dict[str, str]) -> Any:
    """A SPARQL JSON term as the tools write it: numbers and booleans as JSON, everything else as text."""
    datatype = binding.get("datatype", "")
    if datatype == XSD + "integer":
        return int(binding["value"])
    if datatype == XSD + "boolean":
        return binding["value"] == "true"
    if datatype in (XSD + "decimal", XSD + "double"):
        return float(binding["value"])
    return binding["value"]


def http_rows(response) -> list[dict[str, Any]]:
    assert response.status == 200, response.text
    return [{k: compact(v) for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def unordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with each text's words sorted: GROUP_CONCAT's order is unspecified (SPARQL 1.1 Query §18.5.1.7),
    and two stores (the MCP server's, the HTTP server's) may concatenate the same values in another order."""
    return [{k: sorted(re.split(r"[\s;]+", v)) if isinstance(v, str) else v for k, v in r.items()} for r in rows]


def http_triples(response) -> set[tuple[str, str, str]]:
    assert response.status == 200, response.text
    return {(t.subject.value, t.predicate.value, t.object.value) for t in ox.parse(response.body, ox.RdfFormat.N_TRIPLES)}


# --- listing ---------------------------------------------------------------------------------------


def test_lists_one_tool_per_named_query_plus_three_and_the_resources_and_prompts(mcp):
    tools = mcp.portal.call(mcp.client.list_tools).tools
    catalogue = load_catalogue()
    assert [t.name for t in tools] == [*catalogue, *SPECIAL]
    for tool in tools:
        assert tool.input_schema["type"] == "object" and tool.annotations.read_only_hint
        assert tool.annotations.open_world_hint is False
        if tool.name in catalogue:
            query = catalogue[tool.name]
            assert tool.description.startswith(query.summary)
            assert list(tool.input_schema["properties"]) == [p.name for p in query.params]
            assert tool.input_schema["required"] == [p.name for p in query.params if p.required]
    by_name = {t.name: t for t in tools}
    assert by_name["function-structure"].input_schema["properties"]["function"]["enum"] == ["ID", "PR", "DE", "RS", "RC"]
    controls = by_name["control-subcategories"].input_schema["properties"]["control"]["enum"]
    assert len(controls) == 93 and controls[:2] == ["5.1", "5.2"] and controls[-1] == "8.34"
    resources = mcp.portal.call(mcp.client.list_resources).resources
    assert [r.uri for r in resources] == [
        "cyberframe://ontology",
        "cyberframe://shapes",
        "cyberframe://context.jsonld",
        "cyberframe://framework",
    ]
    prompts = mcp.portal.call(mcp.client.list_prompts).prompts
    assert [p.name for p in prompts] == ["controls-for-function", "explain-reference"]


# --- named queries = /queries/{name} ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(load_catalogue()))
def test_named_query_tool_answers_as_its_http_route(mcp, server, name):
    query = load_catalogue()[name]
    payload = mcp.ok(name, query.example)
    assert payload["query"] == name and payload["truncated"] is False
    path = f"/queries/{name}?" + urllib.parse.urlencode(query.example)
    if query.form == "CONSTRUCT":
        response = server.get(path=path, headers={"Accept": "application/n-triples"})
        assert {(t["subject"], t["predicate"], str(t["object"])) for t in payload["triples"]} == http_triples(
            response
        )
        assert payload["count"] == len(payload["triples"]) > 0
    else:
        response = server.get(path=path, headers={"Accept": "application/sparql-results+json"})
        assert unordered(payload["rows"]) == unordered(http_rows(response))
        assert payload["columns"] == response.json()["head"]["vars"]
        assert payload["count"] == len(payload["rows"])


def test_which_controls_serve_detect(mcp, reference):
    """The question the README asks, answered from the reference facts."""
    rows = mcp.ok("controls-for-function", {"function": "de"})["rows"]
    de = {r["subcategory_id"] for r in reference("csf11-core.csv") if r["function_id"] == "DE"}
    mapping = reference("csf11-to-iso27002-2022.csv")
    by_reference = {c for r in mapping if r["subcategory_id"] in de for c in split(r["iso27002_2022_controls"])}
    controls = reference("iso27002-2022-controls.csv")
    by_attribute = {r["id"] for r in controls if "Detect" in split(r["cybersecurity_concepts"])}
    assert {r["control"] for r in rows if r["viaReferences"]} == by_reference
    assert {r["control"] for r in rows if r["viaAttribute"]} == by_attribute
    assert {r["function"] for r in rows} == {"DE"}


@pytest.mark.parametrize("name", [n for n, q in load_catalogue().items() if q.params])
def test_named_query_tools_refuse_bad_arguments_naming_what_is_allowed(mcp, name):
    query = load_catalogue()[name]
    allowed = ", ".join(sorted(p.name for p in query.params))
    assert f"allowed: {allowed}" in mcp.error(name, {**query.example, "bogus": "x"})
    required = [p for p in query.params if p.required]
    if required:
        assert f"needs parameter {required[0].name!r}" in mcp.error(name, {})
    first = query.params[0]
    assert "must be a string" in mcp.error(name, {first.name: 5})
    if first.type in ("function", "theme", "control-type"):
        message = mcp.error(name, {first.name: "Zz"})
        assert "must be one of:" in message
    elif first.type in ("control", "subcategory", "csf20", "control-2013", "function-or-category"):
        wellformed = {"control": "9.99", "subcategory": "ZZ.ZZ-9", "csf20": "ZZ.ZZ-99", "control-2013": "99.9.9"}
        message = mcp.error(name, {**query.example, first.name: wellformed.get(first.type, "ZZ.ZZ")})
        assert "names no" in message and f"parameter {first.name!r} takes one of:" in message
        assert query.example[first.name] in message.split("takes one of:")[1]
        assert "expects" in mcp.error(name, {**query.example, first.name: "not a code!"})


def test_queries_without_parameters_refuse_any(mcp):
    assert "allowed: none" in mcp.error("functions-overview", {"function": "DE"})


def test_unknown_tool_is_a_protocol_error_naming_the_tools(mcp):
    with pytest.raises(MCPError) as caught:
        mcp.call("controls_for_function", {"function": "DE"})
    assert caught.value.code == -32602 and "controls-for-function" in caught.value.message


# --- sparql_query = /sparql ------------------------------------------------------------------------

SUBCATEGORIES = """PREFIX cf: <https://w3id.org/cyberframe/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?notation ?label (STRLEN(?label) AS ?length) WHERE {
  ?s a cf:Subcategory ; skos:notation ?notation ; skos:prefLabel ?label . FILTER (STRSTARTS(?notation, "DE."))
} ORDER BY ?notation"""


def test_sparql_query_answers_as_the_endpoint(mcp, server):
    payload = mcp.ok("sparql_query", {"query": SUBCATEGORIES})
    assert payload["rows"] == http_rows(server.query(SUBCATEGORIES))
    assert payload["columns"] == ["notation", "label", "length"] and payload["count"] == 18
    assert isinstance(payload["rows"][0]["length"], int)
    ask = "ASK { <https://w3id.org/cyberframe/id/subcategory/DE.CM-1> ?p ?o }"
    assert mcp.ok("sparql_query", {"query": ask}) == {"boolean": True, "truncated": False}
    construct = "CONSTRUCT WHERE { <https://w3id.org/cyberframe/id/function/DE> ?p ?o }"
    triples = mcp.ok("sparql_query", {"query": construct})["triples"]
    expected = http_triples(server.query(construct, accept="application/n-triples"))
    assert {(t["subject"], t["predicate"], str(t["object"])) for t in triples} == expected


def test_sparql_query_caps_rows_and_bytes_and_says_so(mcp):
    few = mcp.ok("sparql_query", {"query": SUBCATEGORIES, "max_rows": 3})
    assert [r["notation"] for r in few["rows"]] == ["DE.AE-1", "DE.AE-2", "DE.AE-3"]
    assert few["truncated"] is True and "first 3 rows only" in few["note"]
    result = mcp.call("sparql_query", {"query": "SELECT * WHERE { ?s ?p ?o }"})
    payload = json.loads(result.content[0].text)
    assert len(result.content[0].text.encode()) <= MAX_OUTPUT
    assert payload["truncated"] is True and f"output limit {MAX_OUTPUT} bytes" in payload["note"]
    assert 100 < len(payload["rows"]) < payload["count"] == MAX_ROWS


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "needs 'query'"),
        ({"query": "   "}, "the query is empty"),
        ({"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}, "read-only"),
        ({"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}, "SERVICE"),
        ({"query": "SELECT * WHERE { ?s ?p }"}, "SPARQL syntax error at line 1"),
        ({"query": "SELECT * WHERE { ?s ?p ?o }", "max_rows": 0}, f"from 1 to {MAX_ROWS}"),
        ({"query": "SELECT * WHERE { ?s ?p ?o }", "limit": 3}, "allowed: max_rows, query"),
        ({"query": "SELECT ?x WHERE {}" + " " * 100_001}, "exceeds the limit of 100000"),
    ],
)
def test_sparql_query_refusals_say_why(mcp, arguments, message):
    assert message in mcp.error("sparql_query", arguments)


# --- describe ---------------------------------------------------------------------------------------


def test_describe_a_subcategory_as_the_entity_route_and_the_reference(mcp, server, reference):
    described = mcp.ok("describe", {"entity": "de.cm-1"})
    iri = "https://w3id.org/cyberframe/id/subcategory/DE.CM-1"
    path = "/queries/entity?entity=DE.CM-1"
    triples = http_triples(server.get(path=path, headers={"Accept": "application/n-triples"}))
    skos = "http://www.w3.org/2004/02/skos/core#"
    assert (iri, skos + "prefLabel", described["label"]) in triples
    assert (iri, skos + "definition", described["definition"]) in triples
    broader = [o for s, p, o in triples if s == iri and p == skos + "broader"]
    assert [b["iri"] for b in described["hierarchy"]["broader"]] == broader
    assert [t["notation"] for t in described["hierarchy"]["trail"]] == ["DE", "DE.CM"]
    row = next(r for r in reference("csf11-core.csv") if r["subcategory_id"] == "DE.CM-1")
    assert described["hierarchy"]["broader"][0]["label"] == row["category_name"]
    crosswalk = [m for m in described["mappings"] if m["mapping_set"] == "csf11-csf20"]
    expected = next(r for r in reference("csf11-to-csf20.csv") if r["subcategory_11"] == "DE.CM-1")
    assert [m["other"]["notation"] for m in crosswalk] == [expected["subcategory_20"]]
    # NIST published where DE.CM-1 went, not how the two outcomes relate: the relationship is the project's judgement
    assert crosswalk[0]["basis"] == "judgement" and crosswalk[0]["direction"] == "from"
    # NIST CSF 1.1 gives DE.CM-1 no ISO/IEC 27001:2013 reference, so it references no 27002:2022 control
    assert not [m for m in described["mappings"] if m["mapping_set"] == "ts27103-iso27002-2022"]


def test_describe_shows_references_with_their_basis(mcp, reference):
    described = mcp.ok("describe", {"entity": "ID.AM-2"})
    expected = next(r for r in reference("csf11-to-iso27002-2022.csv") if r["subcategory_id"] == "ID.AM-2")
    references = [m for m in described["mappings"] if m["mapping_set"] == "ts27103-iso27002-2022"]
    assert {m["other"]["notation"] for m in references} == split(expected["iso27002_2022_controls"])
    assert {(m["direction"], m["basis"]) for m in references} == {("from", "derived")}


def test_describe_a_control_by_number_lists_what_maps_to_it(mcp, reference):
    described = mcp.ok("describe", {"entity": "8.16"})
    title = next(r["title"] for r in reference("iso27002-2022-controls.csv") if r["id"] == "8.16")
    assert described["notation"] == "8.16" and described["label"] == title
    assert described["hierarchy"]["trail"][-1]["notation"] == "ISO/IEC 27002:2022"
    nist = reference("csf20-to-iso27001-2022-nist.csv")
    citing = {r["csf20_subcategory"] for r in nist if "8.16" in split(r["iso27001_2022_annex_a"])}
    crosswalk = [m for m in described["mappings"] if m["mapping_set"] == "csf20-iso27001-2022"]
    assert {m["other"]["notation"] for m in crosswalk} == citing and {m["direction"] for m in crosswalk} == {"to"}
    assert described["mapping_count"] == len(described["mappings"])
    used = {r["subcategory_id"] for r in reference("csf11-to-iso27002-2022.csv") if "5.9" in split(r["iso27002_2022_controls"])}
    five_nine = mcp.ok("describe", {"entity": "https://w3id.org/cyberframe/id/control/iso-iec-27002-2022/5.9"})
    references = [m for m in five_nine["mappings"] if m["mapping_set"] == "ts27103-iso27002-2022"]
    assert {m["other"]["notation"] for m in references} == used != set()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"entity": "ZZ.ZZ-9"}, "names no entity"),
        ({"entity": "https://w3id.org/cyberframe/id/subcategory/NOPE"}, "names nothing in the graph"),
        ({"entity": "<script>"}, "expects a https://w3id.org/cyberframe/id/... IRI, a framework code"),
        ({}, "describe needs 'entity'"),
        ({"entity": "DE", "depth": 2}, "allowed: entity"),
    ],
)
def test_describe_refusals(mcp, arguments, message):
    assert message in mcp.error("describe", arguments)


# --- validate = POST /validate ----------------------------------------------------------------------


def test_validate_groups_the_report_of_post_validate(mcp, server):
    payload = mcp.ok("validate", {"turtle": ACME.decode()})
    response = server.request("POST", "/validate", ACME, {"Content-Type": "text/turtle"})
    http = response.json()
    for key in ("conforms", "violations", "warnings", "infos", "submitted_triples", "validated_triples"):
        assert payload[key] == http[key], key
    flat = [{"focus": g["focus"], "focus_label": g["label"], **r} for g in payload["focus_nodes"] for r in g["results"]]
    assert sorted(flat, key=json.dumps) == sorted(http["results"], key=json.dumps)
    assert {(r["focus"], r["path"], r["shape"]) for r in flat} == EXPECTED
    focus_nodes = [g["focus"] for g in payload["focus_nodes"]]  # one group per focus node
    assert sorted(focus_nodes) == sorted({focus for focus, _, _ in EXPECTED})
    assert mcp.ok("validate", {"turtle": "<https://example.org/a> <https://example.org/b> 1 ."})["conforms"] is True


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"turtle": "<a> <b> ."}, "turtle:1:"),
        ({"turtle": "@prefix ex: <https://example.org/> .\nex:a ex:b ex:c ;\n  ex:d"}, "turtle:3:"),
        ({"turtle": "# " + "x" * (1 << 20)}, "more than the limit of 1048576 bytes"),
        ({"turtle": ""}, "validate needs 'turtle'"),
        ({"data": "x"}, "allowed: turtle"),
    ],
)
def test_validate_refusals(mcp, arguments, message):
    assert message in mcp.error("validate", arguments)


# --- resources and prompts --------------------------------------------------------------------------


def read(mcp: Session, uri: str) -> str:
    return mcp.portal.call(mcp.client.read_resource, uri).contents[0].text


def test_resources_are_the_served_documents(mcp, server):
    assert read(mcp, "cyberframe://ontology") == ontology_path().read_text(encoding="utf-8")
    assert read(mcp, "cyberframe://ontology").encode() == server.get(path="/ontology", headers={"Accept": "text/turtle"}).body
    assert read(mcp, "cyberframe://shapes") == shapes_path().read_text(encoding="utf-8")
    context = server.get(path="/context.jsonld")
    assert json.loads(read(mcp, "cyberframe://context.jsonld")) == context.json()
    with pytest.raises(MCPError) as caught:
        read(mcp, "cyberframe://nothing")
    assert caught.value.code == -32602 and "cyberframe://framework" in caught.value.message


def test_framework_tree_is_the_reference_framework(mcp, reference):
    tree = json.loads(read(mcp, "cyberframe://framework"))
    found = [
        (f["notation"], f["label"], c["notation"], c["label"], s["notation"])
        for f in tree["functions"]
        for c in f["categories"]
        for s in c["subcategories"]
    ]
    expected = [
        (r["function_id"], r["function_name"], r["category_id"], r["category_name"], r["subcategory_id"])
        for r in reference("csf11-core.csv")
    ]
    assert sorted(found) == sorted(expected) and len(found) == 108
    assert [f["notation"] for f in tree["functions"]] == ["ID", "PR", "DE", "RS", "RC"]


def test_prompt_plans_detect_with_tools_that_exist(mcp):
    prompt = mcp.portal.call(mcp.client.get_prompt, "controls-for-function", {"function": "Detect"})
    text = prompt.messages[0].content.text
    assert "Detect (DE)" in text and "function=DE" in text
    tools = {t.name for t in mcp.portal.call(mcp.client.list_tools).tools}
    named = set(re.findall(r"`([a-z_-]+)`", text))
    assert {"controls-for-function", "describe", "reference-provenance"} <= named
    assert named - {"viaReferences", "viaAttribute", "agreement", "subcategories", "basis"} <= tools
    with pytest.raises(MCPError) as caught:
        mcp.portal.call(mcp.client.get_prompt, "controls-for-function", {"function": "Govern"})
    assert caught.value.code == -32602 and "DE (Detect)" in caught.value.message
    why = mcp.portal.call(mcp.client.get_prompt, "explain-reference", {"subcategory": "DE.CM-1", "control": "8.16"})
    assert "subcategory=DE.CM-1 and target=8.16" in why.messages[0].content.text


# --- last: a runaway query is stopped, and the server goes on answering -----------------------------


def test_runaway_query_is_stopped_at_the_time_limit(mcp):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    assert f"more than {TIMEOUT:g} s and was stopped" in mcp.error("sparql_query", {"query": runaway})
    assert mcp.ok("functions-overview")["count"] == 5
