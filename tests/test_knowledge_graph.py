"""Every fact of the shipped graph checked against the vetted reference CSVs (tests/reference).

Expected values are read from the CSVs here; none is copied into the test code.
Queries run over the asserted graphs only, so that a fact missing from the
sources cannot be masked by an entailment.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from conftest import split

ID = "https://w3id.org/cyberframe/id/"
FUNCTION_BY_NAME = {"Identify": "ID", "Protect": "PR", "Detect": "DE", "Respond": "RS", "Recover": "RC"}


@pytest.fixture(scope="module")
def asserted(kg, select):
    graphs = kg.asserted_graphs()

    def run(sparql: str) -> list[tuple]:
        return select(sparql, default_graph=graphs)

    return run


def by_notation(rows: list[tuple]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for key, value in rows:
        out[key].add(value)
    return dict(out)


# --- framework: 5 functions, 23 categories, 108 subcategories -----------------------


def test_framework_counts(asserted, reference):
    core = reference("csf11-core.csv")
    counts = dict(
        asserted("""
        SELECT ?cls (COUNT(DISTINCT ?x) AS ?n) WHERE {
          VALUES ?cls { cf:Function cf:Category cf:Subcategory }
          ?x a ?cls ; skos:inScheme <https://w3id.org/cyberframe/id/framework/ts27103> }
        GROUP BY ?cls""")
    )
    ns = "https://w3id.org/cyberframe/ontology#"
    assert counts == {
        ns + "Function": len({r["function_id"] for r in core}),
        ns + "Category": len({r["category_id"] for r in core}),
        ns + "Subcategory": len(core),
    }
    assert (counts[ns + "Function"], counts[ns + "Category"], counts[ns + "Subcategory"]) == (5, 23, 108)


def test_hierarchy_matches_csf11_core(asserted, reference):
    core = reference("csf11-core.csv")
    expected = {(r["subcategory_id"], r["category_id"]) for r in core}
    expected |= {(r["category_id"], r["function_id"]) for r in core}
    got = set(
        asserted("""
        SELECT ?n ?b WHERE { ?x skos:broader ?p ; skos:notation ?n ; skos:inScheme ?fw .
                             ?p skos:notation ?b .
                             FILTER (?fw = <https://w3id.org/cyberframe/id/framework/ts27103>) }""")
    )
    assert got == expected


def test_function_and_category_names(asserted, reference):
    core = reference("csf11-core.csv")
    expected = {(r["function_id"], r["function_name"]) for r in core}
    expected |= {(r["category_id"], r["category_name"]) for r in core}
    got = set(
        asserted("""
        SELECT ?n ?l WHERE { ?x a ?c ; skos:notation ?n ; skos:prefLabel ?l .
                             VALUES ?c { cf:Function cf:Category } FILTER (lang(?l) = "en") }""")
    )
    assert got == expected


def test_every_framework_concept_has_one_label_and_definition(asserted):
    rows = asserted("""
        SELECT ?n (COUNT(DISTINCT ?l) AS ?labels) (COUNT(DISTINCT ?d) AS ?defs) WHERE {
          ?x skos:inScheme <https://w3id.org/cyberframe/id/framework/ts27103> ; skos:notation ?n .
          OPTIONAL { ?x skos:prefLabel ?l FILTER (lang(?l) = "en") }
          OPTIONAL { ?x skos:definition ?d FILTER (lang(?d) = "en") }
        } GROUP BY ?n""")
    assert len(rows) == 5 + 23 + 108
    bad = [(n, labels, defs) for n, labels, defs in rows if (int(labels), int(defs)) != (1, 1)]
    assert bad == []


def test_definitions_are_our_own_words(asserted, reference):
    """No definition repeats the NIST outcome text it describes (copyright hygiene)."""
    text = {r["subcategory_id"]: r["subcategory_text"].lower() for r in reference("csf11-core.csv")}
    for notation, definition in asserted("""
            SELECT ?n ?d WHERE { ?x a cf:Subcategory ; skos:notation ?n ; skos:definition ?d }"""):
        words = definition.lower().rstrip(".").split()
        runs = {" ".join(words[i : i + 8]) for i in range(len(words) - 7)}
        assert not any(run in text[notation] for run in runs), notation


def test_subcategory_iris_follow_the_design(asserted, reference):
    got = {iri for (iri,) in asserted("SELECT ?x WHERE { ?x a cf:Subcategory }")}
    assert got == {f"{ID}subcategory/{r['subcategory_id']}" for r in reference("csf11-core.csv")}


# --- ISO/IEC 27002:2022 controls -----------------------------------------------------


CONTROLS_2022 = "<https://w3id.org/cyberframe/id/standard/iso-iec-27002-2022>"


def test_control_counts_by_theme(asserted, reference):
    rows = reference("iso27002-2022-controls.csv")
    got = dict(
        asserted(f"""
        SELECT ?theme (COUNT(?c) AS ?n) WHERE {{
          ?c a cf:Control ; cf:inStandard {CONTROLS_2022} ; cf:theme/skos:notation ?theme }}
        GROUP BY ?theme""")
    )
    assert {k: int(v) for k, v in got.items()} == dict(Counter(r["theme"] for r in rows))
    assert sorted(int(v) for v in got.values()) == [8, 14, 34, 37]


def test_control_titles(asserted, reference):
    expected = {(r["id"], r["title"]) for r in reference("iso27002-2022-controls.csv")}
    got = set(
        asserted(f"""
        SELECT ?n ?t WHERE {{ ?c cf:inStandard {CONTROLS_2022} ; skos:notation ?n ; skos:prefLabel ?t }}""")
    )
    assert got == expected


@pytest.mark.parametrize(
    ("column", "prop"),
    [
        ("theme", "cf:theme"),
        ("control_type", "cf:controlType"),
        ("information_security_properties", "cf:securityProperty"),
        ("operational_capabilities", "cf:operationalCapability"),
        ("security_domains", "cf:securityDomain"),
    ],
)
def test_every_attribute_value_of_every_control(asserted, reference, column, prop):
    expected = {r["id"]: split(r[column]) for r in reference("iso27002-2022-controls.csv")}
    got = by_notation(
        asserted(f"""
        SELECT ?n ?v WHERE {{ ?c cf:inStandard {CONTROLS_2022} ; skos:notation ?n ; {prop}/skos:notation ?v }}""")
    )
    assert got == expected


def test_attribute_values_are_concepts_in_their_own_scheme(asserted):
    rows = asserted("""
        SELECT ?prop (COUNT(DISTINCT ?scheme) AS ?schemes) WHERE {
          VALUES ?prop { cf:theme cf:controlType cf:securityProperty cf:operationalCapability
                         cf:securityDomain cf:cybersecurityConcept }
          ?c ?prop ?v . ?v skos:inScheme ?scheme .
          FILTER (?scheme != <https://w3id.org/cyberframe/id/framework/ts27103>)
        } GROUP BY ?prop""")
    assert len(rows) == 6 and all(int(n) == 1 for _, n in rows)


def test_cybersecurity_concepts_are_the_framework_functions(asserted, reference):
    expected = {
        r["id"]: {FUNCTION_BY_NAME[v] for v in split(r["cybersecurity_concepts"])}
        for r in reference("iso27002-2022-controls.csv")
    }
    got = by_notation(
        asserted(f"""
        SELECT ?n ?f WHERE {{ ?c cf:inStandard {CONTROLS_2022} ; skos:notation ?n ;
                                 cf:cybersecurityConcept ?fn . ?fn a cf:Function ; skos:notation ?f }}""")
    )
    assert got == expected


def test_new_in_2022(asserted, reference):
    rows = reference("iso27002-2022-controls.csv")
    expected = {r["id"] for r in rows if r["new_in_2022"] == "true"}
    got = {
        n
        for (n,) in asserted(f"""
        SELECT ?n WHERE {{ ?c cf:inStandard {CONTROLS_2022} ; skos:notation ?n ; cf:newInEdition true }}""")
    }
    assert got == expected and len(got) == 11
    flagged = asserted(f"SELECT (COUNT(?c) AS ?n) WHERE {{ ?c cf:inStandard {CONTROLS_2022} ; cf:newInEdition ?b }}")
    assert int(flagged[0][0]) == len(rows)


def test_2013_predecessors(asserted, reference):
    expected = {r["id"]: split(r["iso27002_2013_predecessors"]) for r in reference("iso27002-2022-controls.csv")}
    expected = {k: v for k, v in expected.items() if v}
    got = by_notation(
        [
            (new, old)
            for old, new in asserted("""
        SELECT ?o ?n WHERE { ?old cf:successor ?new .
          ?old cf:inStandard <https://w3id.org/cyberframe/id/standard/iso-iec-27002-2013> ; skos:notation ?o .
          ?new skos:notation ?n }""")
        ]
    )
    assert got == expected
    olds = set().union(*expected.values())
    count = asserted("""SELECT (COUNT(?c) AS ?n) WHERE {
        ?c a cf:Control ; cf:inStandard <https://w3id.org/cyberframe/id/standard/iso-iec-27002-2013> }""")
    assert int(count[0][0]) == len(olds) == 114


# --- ISO/IEC 27001:2022 clauses -------------------------------------------------------


def test_clauses_titles_and_parents(asserted, reference):
    rows = reference("iso27001-2022-clauses.csv")
    got = asserted("""
        SELECT ?n ?t ?p WHERE {
          ?c a cf:Clause ; cf:inStandard <https://w3id.org/cyberframe/id/standard/iso-iec-27001-2022> ;
             skos:notation ?n ; skos:prefLabel ?t .
          OPTIONAL { ?c skos:broader/skos:notation ?p } }""")
    assert {(n, t, p or "") for n, t, p in got} == {(r["id"], r["title"], r["parent"]) for r in rows}
    assert len(got) == len(rows) == 41


# --- standards --------------------------------------------------------------------------


def test_standards_bibliography(asserted, reference):
    rows = reference("other-standards.csv")
    got = {
        notation: (title, number, edition, committee)
        for notation, title, number, edition, committee in asserted("""
        SELECT ?n ?t ?num ?ed ?com WHERE {
          ?s a cf:Standard ; skos:prefLabel ?n ; dcterms:title ?t ; cf:documentNumber ?num ;
             cf:edition ?ed ; cf:committee ?com }""")
    }
    for r in rows:
        assert got[r["standard"]] == (r["title"], r["number"], r["edition_year"], r["committee"])
    assert len(rows) == 16


def test_standard_parts(asserted, reference):
    expected = set()
    for r in reference("other-standards.csv"):
        for part in filter(None, (p.strip() for p in r["parts"].split(";"))):
            number, year, title = re.match(r"Part (\d+):(\d{4}) (.+?)(?: \([^)]*ed\.\))?$", part).groups()
            expected.add((r["number"], f"{r['number']}-{number}:{year}", title))
    got = set(
        asserted("""
        SELECT ?whole ?n ?t WHERE { ?p cf:partOf ?s ; skos:notation ?n ; dcterms:title ?t .
                                   ?s cf:documentNumber ?whole }""")
    )
    assert got == expected and len(expected) == 15


# --- Annex A references ------------------------------------------------------------------


def test_subcategory_controls_equal_the_derived_mapping(asserted, reference):
    expected = {
        r["subcategory_id"]: split(r["iso27002_2022_controls"]) for r in reference("csf11-to-iso27002-2022.csv")
    }
    got = by_notation(
        asserted(f"""
        SELECT ?s ?c WHERE {{ ?sub a cf:Subcategory ; skos:notation ?s ; cf:references ?ctl .
                             ?ctl cf:inStandard {CONTROLS_2022} ; skos:notation ?c }}""")
    )
    assert got == {k: v for k, v in expected.items() if v}


def test_subcategory_clauses_equal_the_derived_mapping(asserted, reference):
    expected = {r["subcategory_id"]: split(r["iso27001_2022_clauses"]) for r in reference("csf11-to-iso27002-2022.csv")}
    got = by_notation(
        asserted("""
        SELECT ?s ?c WHERE { ?sub a cf:Subcategory ; skos:notation ?s ; cf:references ?cl .
                            ?cl a cf:Clause ; skos:notation ?c }""")
    )
    assert got == {k: v for k, v in expected.items() if v}


def test_control_records_carry_their_derivation(asserted, reference):
    """Each record names the 2013 references and the Annex B correspondences it came through."""
    expected = {}
    for r in reference("csf11-to-iso27002-2022.csv"):
        for step in filter(None, (s.strip() for s in r["derivation"].split(";"))):
            if step.startswith("A."):
                old, new = step.split("->")
                for control in new.split(","):
                    expected.setdefault((r["subcategory_id"], control), set()).add(old[2:])
    rows = asserted("""
        SELECT ?s ?c ?old ?corr WHERE {
          ?rec cf:inMappingSet <https://w3id.org/cyberframe/id/mapping-set/ts27103-iso27002-2022> ;
               cf:mappingSubject/skos:notation ?s ; cf:mappingObject ?ctl ;
               cf:basis <https://w3id.org/cyberframe/id/basis/derived> ;
               prov:wasDerivedFrom ?src ; prov:wasDerivedFrom ?crec .
          ?ctl skos:notation ?c .
          ?src a cf:Control ; skos:notation ?old .
          ?crec cf:mappingSubject ?src ; cf:mappingObject ?ctl ; cf:inMappingSet ?corr }""")
    got: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s, c, old, corr in rows:
        assert corr.endswith("/mapping-set/iso27002-2013-2022")
        got[(s, c)].add(old)
    assert dict(got) == expected


def test_other_standard_references_follow_the_category_suggestions(asserted, reference):
    subs = defaultdict(set)
    for r in reference("csf11-core.csv"):
        subs[r["category_id"]].add(r["subcategory_id"])
    expected = set()
    for r in reference("other-standards.csv"):
        basis = "judgement" if r["suggestion_basis"].startswith("judgement") else "derived"
        for category in split(r["suggested_csf_categories"]):
            expected |= {(s, r["standard"], basis) for s in subs[category]}
    got = set(
        asserted("""
        SELECT ?s ?std ?basis WHERE {
          ?rec cf:inMappingSet <https://w3id.org/cyberframe/id/mapping-set/ts27103-standards> ;
               cf:mappingSubject/skos:notation ?s ; cf:mappingObject/skos:prefLabel ?std ;
               cf:basis/skos:notation ?basis }""")
    )
    assert got == expected


def test_references_shortcut_agrees_with_records(asserted):
    records = set(
        asserted("""
        SELECT ?s ?o WHERE { ?r cf:mappingSubject ?s ; cf:mappingObject ?o ; cf:inMappingSet ?set .
          VALUES ?set { <https://w3id.org/cyberframe/id/mapping-set/ts27103-iso27002-2022>
                        <https://w3id.org/cyberframe/id/mapping-set/ts27103-iso27001-2022>
                        <https://w3id.org/cyberframe/id/mapping-set/ts27103-standards> } }""")
    )
    shortcuts = set(asserted("SELECT ?s ?o WHERE { ?s cf:references ?o }"))
    assert records == shortcuts and len(records) > 500


def test_every_record_is_complete(asserted):
    """Every record names its source, or (derived by a stated rule) its rule and inputs."""
    rows = asserted("""
        SELECT ?r WHERE { ?r a cf:MappingRecord .
          FILTER (NOT EXISTS { ?r cf:mappingSubject ?s ; cf:mappingObject ?o ; cf:relationship ?rel ;
                                  cf:rationale ?why ; cf:basis ?b ; cf:inMappingSet ?set }
                  || (NOT EXISTS { ?r dcterms:source ?src }
                      && NOT EXISTS { ?r cf:basis <https://w3id.org/cyberframe/id/basis/derived> ; cf:derivationRule ?rule ;
                                         prov:wasDerivedFrom ?in })) }""")
    assert rows == []


# --- crosswalks -------------------------------------------------------------------------


def test_csf20_core(asserted, reference):
    rows = reference("csf20-core.csv")
    got = set(
        asserted("""
        SELECT ?n ?l ?parent WHERE {
          ?x skos:inScheme <https://w3id.org/cyberframe/id/framework/nist-csf-2-0> ;
             skos:notation ?n ; skos:prefLabel ?l .
          OPTIONAL { ?x skos:broader/skos:notation ?parent } }""")
    )
    expected = {(r["subcategory_id"], r["subcategory_text"], r["category_id"]) for r in rows}
    expected |= {(r["category_id"], r["category_name"], r["function_id"]) for r in rows}
    expected |= {(r["function_id"], r["function_name"], None) for r in rows}
    assert got == expected
    assert len({r["subcategory_id"] for r in rows}) == 106


def test_csf11_to_csf20_crosswalk(asserted, reference):
    expected = set()
    for r in reference("csf11-to-csf20.csv"):
        relation = "subset-of" if r["change_type"] == "incorporated" else "equal"
        expected |= {(r["subcategory_11"], t, r["change_type"], relation) for t in split(r["subcategory_20"])}
    got = set(
        asserted("""
        SELECT ?s ?t ?change ?rel WHERE {
          ?r cf:inMappingSet <https://w3id.org/cyberframe/id/mapping-set/csf11-csf20> ;
             cf:mappingSubject/skos:notation ?s ; cf:mappingObject/skos:notation ?t ;
             cf:changeType/skos:notation ?change ; cf:relationship/skos:notation ?rel }""")
    )
    assert got == expected
    skos = set(
        asserted("""
        SELECT ?s ?t WHERE { ?a skos:closeMatch|skos:broadMatch ?b .
          ?a a cf:Subcategory ; skos:notation ?s . ?b skos:notation ?t }""")
    )
    assert skos == {(s, t) for s, t, _, _ in expected}


def test_csf20_elements_citing_csf11(asserted, reference):
    expected = {
        (t, r["subcategory_11"]) for r in reference("csf11-to-csf20.csv") for t in split(r["csf20_elements_citing_11"])
    }
    got = set(
        asserted("""
        SELECT ?t ?s WHERE { ?x cf:informativeReference ?sub . ?x skos:notation ?t . ?sub skos:notation ?s }""")
    )
    assert got == expected


def test_iso27002_2013_to_2022_crosswalk(asserted, reference):
    successors, predecessors = defaultdict(set), defaultdict(set)
    for r in reference("iso27002-2022-controls.csv"):
        for old in split(r["iso27002_2013_predecessors"]):
            successors[old].add(r["id"])
            predecessors[r["id"]].add(old)
    table = {
        (False, False): ("equal", "closeMatch"),
        (False, True): ("subset-of", "broadMatch"),
        (True, False): ("superset-of", "narrowMatch"),
        (True, True): ("intersects-with", "relatedMatch"),
    }
    expected = {
        (old, new, *table[(len(successors[old]) > 1, len(predecessors[new]) > 1)])
        for old in successors
        for new in successors[old]
    }
    got = set(
        asserted("""
        SELECT ?o ?n ?rel ?skos WHERE {
          ?r cf:inMappingSet <https://w3id.org/cyberframe/id/mapping-set/iso27002-2013-2022> ;
             cf:mappingSubject ?old ; cf:mappingObject ?new ; cf:relationship/skos:notation ?rel .
          ?old skos:notation ?o ; ?p ?new . ?new skos:notation ?n .
          FILTER (STRSTARTS(STR(?p), STR(skos:)))
          BIND (STRAFTER(STR(?p), STR(skos:)) AS ?skos) }""")
    )
    assert got == expected
    assert len(expected) == 115


# --- context ----------------------------------------------------------------------------


def test_activities_and_characteristics(asserted, reference):
    rows = [r for r in reference("ts27103-context.csv") if r["kind"] in {"activity", "characteristic"}]
    got = set(
        asserted("""
        SELECT ?kind ?n ?l ?d WHERE { ?x a ?cls ; skos:notation ?n ; skos:prefLabel ?l ; skos:definition ?d .
          VALUES (?cls ?kind) { (cf:Activity "activity") (cf:Characteristic "characteristic") } }""")
    )
    assert got == {(r["kind"], r["id"], r["short_name"], r["summary_in_our_words"]) for r in rows}
    assert sum(r["kind"] == "activity" for r in rows) == 5


def test_principles_and_the_categories_they_concern(asserted, reference):
    rows = reference("meti-principles.csv")
    got = set(
        asserted(
            "SELECT ?n ?l ?d WHERE { ?x a cf:Principle ; skos:notation ?n ; skos:prefLabel ?l ; skos:definition ?d }"
        )
    )
    assert got == {(r["id"], r["short_name"], r["summary"]) for r in rows}
    meti = next(r for r in reference("other-standards.csv") if r["standard"].startswith("METI"))
    concerned = asserted("""
        SELECT ?p ?c ?basis WHERE { ?r cf:mappingSubject/skos:notation ?p ; cf:mappingObject/skos:notation ?c ;
                                     cf:basis/skos:notation ?basis ; cf:mappingSubject/a cf:Principle .
                                     ?x cf:concerns ?y . ?x skos:notation ?p . ?y skos:notation ?c }""")
    assert {p for p, _, _ in concerned} == {r["id"] for r in rows}
    assert {c for _, c, _ in concerned} == split(meti["suggested_csf_categories"])
    assert {b for _, _, b in concerned} == {"judgement"}


def test_interested_parties_are_marked_as_judgement(asserted):
    rows = asserted("""
        SELECT ?x ?b WHERE { ?x a cf:InterestedParty . OPTIONAL { ?x cf:basis/skos:notation ?b } }""")
    assert rows and {b for _, b in rows} == {"judgement"}


def test_nist_csf20_references_to_iso27001_2022(asserted, reference):
    """NIST's informative references, cleaned as SOURCES.md says: lettered items to their clause, 6.11/6.13 dropped."""
    expected = set()
    for r in reference("csf20-to-iso27001-2022-nist.csv"):
        for clause in split(r["iso27001_2022_clauses"]):
            number = clause.split("(")[0]
            if number not in {"6.11", "6.13"}:
                expected.add((r["csf20_subcategory"], "clause", number))
        expected |= {(r["csf20_subcategory"], "control", c) for c in split(r["iso27001_2022_annex_a"])}
    got = set(
        asserted("""
        SELECT ?s ?kind ?n WHERE {
          ?r cf:inMappingSet <https://w3id.org/cyberframe/id/mapping-set/csf20-iso27001-2022> ;
             cf:mappingSubject/skos:notation ?s ; cf:mappingObject ?o ; cf:basis/skos:notation "published" .
          ?o skos:notation ?n .
          OPTIONAL { ?o a cf:Clause BIND ("clause" AS ?k) }
          BIND (COALESCE(?k, "control") AS ?kind) }""")
    )
    assert got == expected
    shortcut = set(
        asserted("""
        SELECT ?s ?n WHERE { ?a a cf:Csf20Subcategory ; skos:notation ?s ; skos:relatedMatch ?o . ?o skos:notation ?n }""")
    )
    assert shortcut == {(s, n) for s, _, n in expected}
