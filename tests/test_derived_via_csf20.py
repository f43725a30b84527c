"""The second derived route, subcategory -> NIST CSF 2.0 -> ISO/IEC 27001:2022 (data/derived-via-csf20.ttl).

The data file is checked in; these tests recompute every chain from the vetted
reference CSVs (NIST's transition markers and cross-references, NIST's CSF 2.0
informative references) and compare record by record, then check that each
record names the two published inputs it chains and its rule.
"""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import split

ID = "https://w3id.org/cyberframe/id/"
CONTROLS = "ts27103-iso27002-2022-via-csf20"
CLAUSES = "ts27103-iso27001-2022-via-csf20"
TRANSITION = ID + "derivation-rule/csf20-transition-chain"
CROSS_REFERENCE = ID + "derivation-rule/csf20-cross-reference-chain"


def expected_chains(reference) -> Counter:
    """(subcategory, CSF 2.0 element, kind, number, rule) for every NIST reference cell a chain reaches."""
    clauses = {r["id"] for r in reference("iso27001-2022-clauses.csv")}
    cited: dict[str, list[tuple[str, str]]] = {}
    for row in reference("csf20-to-iso27001-2022-nist.csv"):
        cells = [("control", c) for c in split(row["iso27001_2022_annex_a"])]
        for clause in split(row["iso27001_2022_clauses"]):
            number = clause.split("(", 1)[0]
            if number in clauses:  # NIST's "6.11" and "6.13" name no clause (tests/reference/SOURCES.md, 5b)
                cells.append(("clause", number))
        cited[row["csf20_subcategory"]] = cells
    chains: Counter = Counter()
    for row in reference("csf11-to-csf20.csv"):
        targets = split(row["subcategory_20"])
        routes = [(e, TRANSITION) for e in targets]
        routes += [(e, CROSS_REFERENCE) for e in split(row["csf20_elements_citing_11"]) - targets]
        for element, rule in routes:
            for kind, number in cited.get(element, []):
                chains[(row["subcategory_11"], element, kind, number.removeprefix("A."), rule)] += 1
    return chains


@pytest.fixture(scope="module")
def records(select):
    return select(f"""
        SELECT DISTINCT ?r ?sub ?e ?kind ?x ?rule ?set WHERE {{
          ?r cf:inMappingSet ?s ; cf:mappingSubject/skos:notation ?sub ; cf:mappingObject ?o ;
             cf:derivationRule ?rule .
          ?o skos:notation ?x .
          VALUES (?s ?set) {{ (<{ID}mapping-set/{CONTROLS}> "{CONTROLS}") (<{ID}mapping-set/{CLAUSES}> "{CLAUSES}") }}
          BIND(IF(CONTAINS(STR(?o), "/control/"), "control", "clause") AS ?kind)
          {{ ?r prov:wasDerivedFrom ?t . ?t cf:inMappingSet <{ID}mapping-set/csf11-csf20> ; cf:mappingObject ?el .
             BIND(<{TRANSITION}> AS ?step) }}
          UNION
          {{ ?r prov:wasDerivedFrom ?el . ?el cf:informativeReference ?anything . BIND(<{CROSS_REFERENCE}> AS ?step) }}
          FILTER(?rule = ?step)
          ?el skos:notation ?e .
        }}""")


def test_every_chain_is_recomputed_from_the_reference(records, reference):
    got = Counter((sub, e, kind, x, rule) for _r, sub, e, kind, x, rule, _set in records)
    want = expected_chains(reference)
    assert got == want
    assert len(records) == sum(want.values()) == 588
    assert all((kind == "control") == (s == CONTROLS) for _r, _s, _e, kind, _x, _rule, s in records)


def test_each_record_is_derived_from_exactly_the_two_records_it_chains(select):
    rows = select(f"""
        SELECT ?r (COUNT(DISTINCT ?in) AS ?n) WHERE {{
          ?r cf:inMappingSet ?s ; cf:mappingSubject ?sub ; cf:mappingObject ?o ; cf:derivationRule ?rule ;
             cf:basis <{ID}basis/derived> ; prov:wasDerivedFrom ?in .
          VALUES ?s {{ <{ID}mapping-set/{CONTROLS}> <{ID}mapping-set/{CLAUSES}> }}
          ?rule a cf:DerivationRule ; rdfs:label ?l ; skos:definition ?d .
          # the reference record: NIST's, from the element the first step reached to this record's object
          ?in2 cf:inMappingSet <{ID}mapping-set/csf20-iso27001-2022> ; cf:mappingObject ?o ; cf:mappingSubject ?el ;
               cf:basis <{ID}basis/published> .
          ?r prov:wasDerivedFrom ?in2 .
          # the first step: NIST's transition record from the subcategory, or NIST's cross-reference on the element
          {{ ?r prov:wasDerivedFrom ?t . ?t cf:inMappingSet <{ID}mapping-set/csf11-csf20> ;
                cf:mappingSubject ?sub ; cf:mappingObject ?el ; cf:basis <{ID}basis/published> }}
          UNION {{ ?r prov:wasDerivedFrom ?el . ?el cf:informativeReference ?sub }}
        }} GROUP BY ?r""")
    assert len(rows) == 588 and {n for _r, n in rows} == {2}


def test_the_route_reaches_five_controls_new_in_2022_and_no_other(select, reference):
    new = {r["id"] for r in reference("iso27002-2022-controls.csv") if r["new_in_2022"] == "true"}
    reached = {
        x
        for (x,) in select(f"""
        SELECT DISTINCT ?x WHERE {{ ?r cf:inMappingSet <{ID}mapping-set/{CONTROLS}> ;
                                      cf:mappingObject/skos:notation ?x }}""")
    }
    assert reached & new == {"5.7", "7.4", "8.9", "8.16", "8.28"}
    # the other six: no published route reaches them (NIST cites them on no CSF 2.0 subcategory, and their
    # ISO/IEC 27002:2013 predecessors, if any, are cited by no CSF 1.1 subcategory)
    nist = set().union(*(split(r["iso27001_2022_annex_a"]) for r in reference("csf20-to-iso27001-2022-nist.csv")))
    ts = set().union(*(split(r["iso27002_2022_controls"]) for r in reference("csf11-to-iso27002-2022.csv")))
    unreachable = new - {c.removeprefix("A.") for c in nist} - ts
    assert unreachable == {"5.23", "5.30", "8.10", "8.11", "8.12", "8.23"}


def test_nist_s_two_views_of_id_gv_4_are_both_kept(records):
    gv4 = {(e, rule) for _r, sub, e, _k, _x, rule, _s in records if sub == "ID.GV-4"}
    assert gv4 == {("GV.RM-04", TRANSITION), ("GV.RM-03", CROSS_REFERENCE)}
