"""Named queries (queries/*.rq): headers, parameter binding, and golden answers.

Every golden expectation is computed here from the reference CSVs in
tests/reference, independently of the query it checks, and compared as sets.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import split
from cyberframe.named_queries import (
    PARAMETER_TYPES,
    ParameterError,
    QueryCatalogue,
    UnknownEntity,
    UnknownQuery,
    load_catalogue,
)

FUNCTION_BY_NAME = {"Identify": "ID", "Protect": "PR", "Detect": "DE", "Respond": "RS", "Recover": "RC"}
CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def catalogue(kg) -> QueryCatalogue:
    return QueryCatalogue(kg)


def rows(catalogue: QueryCatalogue, name: str, **params: str) -> list[dict[str, str]]:
    result = catalogue.run(name, params)
    variables = [v.value for v in result.variables]
    return [{v: (row[v].value if row[v] is not None else "") for v in variables} for row in result]


@pytest.fixture(scope="module")
def ref(reference):
    """Reference facts in the shapes the goldens need."""
    core = reference("csf11-core.csv")
    controls = reference("iso27002-2022-controls.csv")
    mapping = reference("csf11-to-iso27002-2022.csv")
    function_of = {r["subcategory_id"]: r["function_id"] for r in core}
    category_of = {r["subcategory_id"]: r["category_id"] for r in core}
    refs = {r["subcategory_id"]: split(r["iso27002_2022_controls"]) for r in mapping}
    clauses = {r["subcategory_id"]: split(r["iso27001_2022_clauses"]) for r in mapping}
    concepts = {r["id"]: {FUNCTION_BY_NAME[c] for c in split(r["cybersecurity_concepts"])} for r in controls}
    return {
        "core": core,
        "controls": controls,
        "mapping": mapping,
        "function_of": function_of,
        "category_of": category_of,
        "refs": refs,
        "clauses": clauses,
        "concepts": concepts,
    }


# --- the files ----------------------------------------------------------------------


@pytest.mark.parametrize("query", CATALOGUE.values(), ids=list(CATALOGUE))
def test_header_is_complete_and_params_match_the_query(query):
    assert query.summary and query.description and query.tags
    assert query.example is not None
    projection = query.sparql.split("WHERE", 1)[0]
    for param in query.params:
        assert param.type in PARAMETER_TYPES
        assert param.required or param.default is not None, f"{param.name}: optional needs a default"
        assert re.search(rf"\?{param.name}\b", projection), f"?{param.name} must be projected to be bound"
        assert param.description
    assert set(query.example) <= {p.name for p in query.params}
    placeholders = {p.name for p in query.params}
    assert "{" + "}" not in query.sparql and not (placeholders & set(re.findall(r"\$\{(\w+)\}", query.sparql)))


@pytest.mark.parametrize("query", CATALOGUE.values(), ids=list(CATALOGUE))
def test_example_call_runs(catalogue, query):
    result = catalogue.run(query.name, query.example)
    assert list(result) is not None


def test_at_least_the_questions_architects_ask():
    assert len(CATALOGUE) >= 18


# --- goldens --------------------------------------------------------------------------


def test_functions_overview(catalogue, ref):
    expected = {}
    for f in ("ID", "PR", "DE", "RS", "RC"):
        subs = [s for s, fn in ref["function_of"].items() if fn == f]
        expected[f] = (
            len({ref["category_of"][s] for s in subs}),
            len(subs),
            len(set().union(*(ref["refs"][s] for s in subs))),
        )
    got = rows(catalogue, "functions-overview")
    assert [r["function"] for r in got] == ["ID", "PR", "DE", "RS", "RC"]
    assert {r["function"]: (int(r["categories"]), int(r["subcategories"]), int(r["controls"])) for r in got} == expected


@pytest.mark.parametrize("function", ["ID", "PR", "DE", "RS", "RC"])
def test_function_structure(catalogue, ref, function):
    expected = {(r["category_id"], r["subcategory_id"]) for r in ref["core"] if r["function_id"] == function}
    got = rows(catalogue, "function-structure", function=function.lower())
    assert {(r["category"], r["subcategory"]) for r in got} == expected
    assert len(got) == len(expected)


@pytest.mark.parametrize("function", ["ID", "PR", "DE", "RS", "RC"])
def test_controls_for_function_two_ways(catalogue, ref, function):
    via_refs = set().union(*(c for s, c in ref["refs"].items() if ref["function_of"][s] == function))
    via_attr = {c for c, fs in ref["concepts"].items() if function in fs}
    expected = {(c, c in via_refs, c in via_attr) for c in via_refs | via_attr}
    got = rows(catalogue, "controls-for-function", function=function)
    assert {(r["control"], r["viaReferences"] == "true", r["viaAttribute"] == "true") for r in got} == expected
    agreement = {r["control"]: r["agreement"] for r in got}
    assert {c for c, a in agreement.items() if a == "both"} == via_refs & via_attr
    assert {c for c, a in agreement.items() if a == "attribute only"} == via_attr - via_refs
    for r in got:
        subs = {s for s, cs in ref["refs"].items() if r["control"] in cs and ref["function_of"][s] == function}
        assert set(r["subcategories"].split()) == subs


def test_control_subcategories_for_every_control(catalogue, ref):
    for control in ref["concepts"]:
        got = rows(catalogue, "control-subcategories", control=control)
        by_ref = {(r["subcategory"], r["category"], r["function"]) for r in got if r["via"] == "reference"}
        expected = {
            (s, ref["category_of"][s], ref["function_of"][s]) for s, cs in ref["refs"].items() if control in cs
        }
        assert by_ref == expected, control
        assert {r["function"] for r in got if r["via"] == "attribute"} == ref["concepts"][control]


def test_control_816_supports_detect_and_respond_by_its_attribute(catalogue):
    got = rows(catalogue, "control-subcategories", control="8.16")
    assert {(r["via"], r["function"]) for r in got} == {("attribute", "DE"), ("attribute", "RS")}


@pytest.mark.parametrize("element", ["ID", "PR", "DE", "RS", "RC", "RS.AN", "ID.SC", "PR.DS", "DE.CM", "RC.RP"])
def test_informing_standards(catalogue, reference, ref, element):
    categories = {r["category_id"] for r in ref["core"] if element in (r["function_id"], r["category_id"])}
    expected = set()
    for r in reference("other-standards.csv"):
        if r["number"] in ("ISO/IEC 27001", "ISO/IEC 27002"):
            continue
        hit = split(r["suggested_csf_categories"]) & categories
        if hit:
            basis = "judgement" if r["suggestion_basis"].startswith("judgement") else "derived"
            expected.add((r["standard"], basis, frozenset(hit)))
    got = rows(catalogue, "informing-standards", element=element)
    assert {(r["standard"], r["basis"], frozenset(r["categories"].split())) for r in got} == expected


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"type": "Detective"},
        {"type": "Detective", "concept": "Detect"},
        {"theme": "Technological", "property": "Availability"},
        {"capability": "Information_security_event_management"},
        {"domain": "Defence", "type": "Corrective", "theme": "Organizational"},
        {"concept": "Recover", "capability": "Continuity", "domain": "Resilience"},
    ],
)
def test_controls_by_attributes(catalogue, ref, filters):
    columns = {
        "theme": "theme",
        "type": "control_type",
        "property": "information_security_properties",
        "concept": "cybersecurity_concepts",
        "capability": "operational_capabilities",
        "domain": "security_domains",
    }
    expected = {
        r["id"] for r in ref["controls"] if all(value in split(r[columns[key]]) for key, value in filters.items())
    }
    got = rows(catalogue, "controls-by-attributes", **filters)
    assert {r["control"] for r in got} == expected
    assert len(got) == len(expected)
    by_id = {r["id"]: r for r in ref["controls"]}
    for r in got:
        assert set(r["types"].split()) == split(by_id[r["control"]]["control_type"])
        assert set(r["capabilities"].split()) == split(by_id[r["control"]]["operational_capabilities"])


def test_unreferenced_subcategories_and_controls(catalogue, ref):
    assert {r["subcategory"] for r in rows(catalogue, "unreferenced-subcategories")} == {
        s for s, cs in ref["refs"].items() if not cs
    }
    referenced = set().union(*ref["refs"].values())
    assert {r["control"] for r in rows(catalogue, "unreferenced-controls")} == set(ref["concepts"]) - referenced


def test_new_controls(catalogue, ref):
    expected = {r["id"] for r in ref["controls"] if r["new_in_2022"] == "true"}
    got = rows(catalogue, "new-controls")
    assert {r["control"] for r in got} == expected
    for r in got:
        assert set(r["subcategories"].split()) == {s for s, cs in ref["refs"].items() if r["control"] in cs}
        assert set(r["concepts"].split()) == ref["concepts"][r["control"]]


def test_edition_crosswalk_both_directions(catalogue, ref):
    successors, predecessors = defaultdict(set), defaultdict(set)
    for r in ref["controls"]:
        for old in split(r["iso27002_2013_predecessors"]):
            successors[old].add(r["id"])
            predecessors[r["id"]].add(old)
    for old, new in successors.items():
        got = rows(catalogue, "iso27002-2013-to-2022", control2013="A." + old)
        assert {r["control2022"] for r in got} == new, old
    for r in ref["controls"]:
        got = rows(catalogue, "iso27002-2022-to-2013", control=r["id"])
        assert {x["control2013"] for x in got} == predecessors[r["id"]], r["id"]


def test_csf_crosswalk_both_directions(catalogue, reference):
    back = defaultdict(set)
    for r in reference("csf11-to-csf20.csv"):
        got = rows(catalogue, "csf11-to-csf20", subcategory=r["subcategory_11"])
        assert {(x["csf20"], x["changeType"]) for x in got} == {
            (t, r["change_type"]) for t in split(r["subcategory_20"])
        }
        for t in split(r["subcategory_20"]):
            back[t].add((r["subcategory_11"], "marker"))
        for t in split(r["csf20_elements_citing_11"]):
            back[t].add((r["subcategory_11"], "reference"))
    for target, expected in back.items():
        got = rows(catalogue, "csf20-to-csf11", csf20=target)
        assert {(x["subcategory"], x["via"]) for x in got} == expected, target


@pytest.mark.parametrize("text", ["ID.AM", "de.cm-", "PR.IP-1", "RC."])
def test_search_finds_every_matching_notation(catalogue, reference, text):
    notations = set()
    for r in reference("csf11-core.csv") + reference("csf20-core.csv"):
        notations |= {r["function_id"], r["category_id"], r["subcategory_id"]}
    expected = {n for n in notations if text.lower() in n.lower()}
    got = {r["notation"] for r in rows(catalogue, "search", text=text) if r["field"] == "notation"}
    assert got == expected


def test_search_matches_labels_case_insensitively(catalogue, ref):
    expected = {r["id"] for r in ref["controls"] if "logging" in r["title"].lower()}
    got = {
        r["notation"]
        for r in rows(catalogue, "search", text="LOGGING")
        if r["type"].endswith("#Control") and r["field"] == "label"
    }
    assert got == expected and expected


def test_context_queries(catalogue, reference):
    principles = rows(catalogue, "principles")
    assert {r["principle"] for r in principles} == {r["id"] for r in reference("meti-principles.csv")}
    meti = next(r for r in reference("other-standards.csv") if r["standard"].startswith("METI"))
    assert {r["category"] for r in principles} == split(meti["suggested_csf_categories"])
    assert {r["basis"] for r in principles} == {"judgement"}
    activities = rows(catalogue, "activities")
    context = [r for r in reference("ts27103-context.csv") if r["kind"] in ("activity", "characteristic")]
    assert {(r["kind"], r["notation"], r["label"]) for r in activities} == {
        (r["kind"], r["id"], r["short_name"]) for r in context
    }
    parties = rows(catalogue, "interested-parties")
    assert parties and {r["basis"] for r in parties} == {"judgement"}


def test_reference_provenance_explains_every_control_reference(catalogue, ref):
    for r in ref["mapping"]:
        steps = [s.strip() for s in r["derivation"].split(";") if s.strip().startswith("A.")]
        for control in split(r["iso27002_2022_controls"]):
            (got,) = [
                x
                for x in rows(catalogue, "reference-provenance", subcategory=r["subcategory_id"], target=control)
                if "/ts27103-iso27002-2022/" in x["record"]
            ]
            mine = {s for s in steps if control in s.split("->")[1].split(",")}
            assert set(got["derivation"].split("; ")) == mine
            assert got["basis"] == "derived" and got["relationship"] == "intersects with"
            olds = {s.split("->")[0][2:] for s in mine}
            assert {iri.rsplit("/", 1)[1] for iri in got["derivedFrom"].split() if "/id/control/" in iri} == olds


def test_entity_by_code_and_by_iri(catalogue, kg):
    def triples(entity: str) -> set[tuple[str, str, str]]:
        return {(t.subject.value, t.predicate.value, t.object.value) for t in catalogue.run("entity", {"entity": entity})}

    sub = "https://w3id.org/cyberframe/id/subcategory/DE.CM-1"
    by_code = triples("DE.CM-1")
    assert by_code == triples(sub)
    assert (sub, "http://www.w3.org/2004/02/skos/core#notation", "DE.CM-1") in by_code
    clause = triples("clause 6.1.3")
    assert ("https://w3id.org/cyberframe/id/clause/iso-iec-27001-2022/6.1.3", "http://www.w3.org/2004/02/skos/core#notation", "6.1.3") in clause
    control = triples("8.16")
    assert any(s.endswith("/iso-iec-27002-2022/8.16") for s, _, _ in control)


# --- errors and injection ---------------------------------------------------------------


def test_unknown_query(catalogue):
    with pytest.raises(UnknownQuery):
        catalogue.run("no-such-query")


def test_unknown_and_missing_parameters_name_the_allowed_ones(catalogue):
    with pytest.raises(ParameterError, match="allowed: function"):
        catalogue.run("function-structure", {"function": "DE", "limit": "5"})
    with pytest.raises(ParameterError, match="needs parameter 'function'"):
        catalogue.run("function-structure", {})


def test_code_that_names_nothing_is_unknown_entity(catalogue):
    with pytest.raises(UnknownEntity):
        catalogue.run("control-subcategories", {"control": "9.99"})
    with pytest.raises(UnknownEntity):
        catalogue.run("csf11-to-csf20", {"subcategory": "ZZ.ZZ-1"})
    with pytest.raises(UnknownEntity):
        catalogue.run("entity", {"entity": "https://w3id.org/cyberframe/id/subcategory/NOPE-1"})


@pytest.mark.parametrize(
    ("name", "param", "value"),
    [
        ("function-structure", "function", 'DE" } UNION { ?s ?p ?o } #'),
        ("function-structure", "function", "DE'"),
        ("control-subcategories", "control", "8.16} UNION {"),
        ("controls-by-attributes", "type", 'Detective") || true || ("'),
        ("controls-by-attributes", "theme", "Technological}"),
        ("entity", "entity", "http://example.org/elsewhere"),
        ("entity", "entity", "<https://w3id.org/cyberframe/id/function/DE>"),
        ("csf20-to-csf11", "csf20", "GV.OC-01 . ?x ?y ?z"),
        ("search", "text", "a\x00b"),
    ],
)
def test_injection_attempts_are_rejected(catalogue, name, param, value):
    with pytest.raises(ParameterError):
        catalogue.run(name, {param: value})


@pytest.mark.parametrize("text", ['") } UNION { ?entity ?p ?o } #', "'; DROP ALL", "} UNION {", "\\u0022"])
def test_free_text_is_bound_as_an_inert_literal(catalogue, text):
    got = rows(catalogue, "search", text=text)
    assert got == [], "the text must be searched for literally, never executed"
    bound = catalogue.bind(catalogue.get("search"), {"text": text})
    assert bound == {ox.Variable("text"): ox.Literal(text)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=0, max_size=120))
def test_search_with_any_text_is_rejected_or_matches_literally(catalogue, text):
    """Property: any string is either refused as malformed or searched for as itself."""
    try:
        result = rows(catalogue, "search", text=text)
    except ParameterError:
        assert not PARAMETER_TYPES["text"].pattern.fullmatch(text)
        return
    needle = text.lower()
    for row in result:
        if row["field"] != "definition":  # definitions are searched but not returned
            assert needle in row[row["field"]].lower()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.text(alphabet=st.characters(codec="ascii"), min_size=0, max_size=12))
def test_any_function_code_is_refused_or_names_a_function(catalogue, code):
    try:
        got = rows(catalogue, "function-structure", function=code)
    except (ParameterError, UnknownEntity):
        assert code.upper() not in {"ID", "PR", "DE", "RS", "RC"}
        return
    assert code.upper() in {"ID", "PR", "DE", "RS", "RC"} and got


def test_malformed_iri_is_a_parameter_error(catalogue):
    with pytest.raises(ParameterError, match="not a valid IRI"):
        catalogue.run("entity", {"entity": "https://w3id.org/cyberframe/id/%zz"})
