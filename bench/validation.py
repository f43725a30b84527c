"""Validation times: the shipped graph and a 10x synthetic extension, per engine and inference regime.

    .venv/bin/python bench/validation.py [--runs 5] [--scale 10] [--pyshacl] [--suite-only] [--suite-shipped]

First the W3C SHACL test suite (tests/w3c/shacl, 120 approved entries): its
wall time per engine through :func:`cyberframe.validate` as the tests run it,
and the entries passed; with ``--suite-shipped`` also with the shipped graph
added to every entry that allows it. Then the shipped graph and the
synthetic extension.

Prints the median (and the fastest) of several runs of :func:`cyberframe.validate`,
each run timed from the call to the returned outcome: opening the snapshot,
assembling the data graph, computing entailments when asked, and the SHACL
engine. The synthetic extension adds scale-1 copies of the framework's
categories and subcategories (new notations, so the shapes still hold), their
mapping records and shortcut triples, and of every other mapping record.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS

from cyberframe.knowledge import open_knowledge_graph
from cyberframe.namespaces import CF, ID
from cyberframe.rdfio import RdfDocument
from cyberframe.validation import ox_term, rdflib_term, turbo_available, validate

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def asserted_triples() -> list[tuple]:
    kg = open_knowledge_graph()
    triples = set()
    for graph in kg.asserted_graphs():
        for q in kg.store.quads_for_pattern(None, None, None, graph):
            triples.add((rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object)))
    return sorted(triples)


def synthetic_extension(triples: list[tuple], copies: int) -> Iterator[tuple]:
    """*copies* renamed copies of the framework's categories, subcategories and of every mapping record."""
    categories = {s for s, p, o in triples if p == RDF.type and o == CF.Category}
    subcategories = {s for s, p, o in triples if p == RDF.type and o == CF.Subcategory}
    records = {s for s, p, o in triples if p == RDF.type and o == CF.MappingRecord}
    notation = {s: str(o) for s, p, o in triples if p == SKOS.notation}
    broader = {s: o for s, p, o in triples if p == SKOS.broader}
    used = {notation[c].split(".")[1] for c in categories}
    codes = (a + b for a in LETTERS for b in LETTERS if a + b not in used)
    for copy in range(1, copies):
        rename: dict[URIRef, URIRef] = {}
        renotate: dict[URIRef, str] = {}
        for category in sorted(categories):
            function, _ = notation[category].split(".")
            new = f"{function}.{next(codes)}"
            rename[category] = ID[f"category/{new}"]
            renotate[category] = new
        for sub in sorted(subcategories):
            number = notation[sub].rsplit("-", 1)[1]
            new = f"{renotate[broader[sub]]}-{number}"
            rename[sub] = ID[f"subcategory/{new}"]
            renotate[sub] = new
        renamed_records = {s for s, p, o in triples if s in records and p == CF.mappingSubject and o in rename}
        for s, p, o in triples:
            if s in renamed_records:
                yield URIRef(f"{s}~{copy}"), p, rename.get(o, o)
            elif s in records:
                yield URIRef(f"{s}~{copy}"), p, o
            elif s in rename:
                if p == SKOS.notation:
                    yield rename[s], p, Literal(renotate[s])
                elif p != CF.informativeReference:
                    yield rename[s], p, rename.get(o, o)


def timed(runs: int, **options) -> tuple[float, float, int, int]:
    seconds, outcome = [], None
    for _ in range(runs):
        started = time.perf_counter()
        outcome = validate(**options)
        seconds.append(time.perf_counter() - started)
    assert outcome is not None
    return statistics.median(seconds), min(seconds), outcome.triples, len(outcome.results)


def suite(engine: str, *, shipped: bool) -> tuple[float, int, int]:
    """The W3C suite's wall time with *engine*, entries passed and entries run."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from cyberframe.validation import ShapesError
    from shacl_suite import cases, matches, shipped_targets_free

    entries = cases()
    if shipped:
        store = open_knowledge_graph().store
        entries = [c for c in entries if shipped_targets_free(c, store)]
    passed = 0
    started = time.perf_counter()
    for case in entries:
        try:
            report = validate(case.data, shapes=case.shapes, engine=engine, include_shipped=shipped).report_graph
        except ShapesError:
            passed += case.failure
            continue
        except Exception:  # an engine's own failure (pySHACL on prefixes-001): the entry is not passed
            continue
        passed += case.expected is not None and matches(report, case.expected)
    return time.perf_counter() - started, passed, len(entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement of the shipped graph")
    parser.add_argument("--scale", type=int, default=10, help="size of the synthetic extension (x the shipped data)")
    parser.add_argument("--pyshacl", action="store_true", help="also time the pySHACL reference engine everywhere")
    parser.add_argument("--suite-only", action="store_true", help="time the W3C suite only")
    parser.add_argument("--suite-shipped", action="store_true", help="also run the suite with the shipped graph")
    args = parser.parse_args()

    open_knowledge_graph()  # build the snapshot first, so that no run pays for it
    engines = ["turbo", "pyshacl"] if turbo_available() else ["pyshacl"]
    print(f"{'W3C suite':<14} {'engine':<8} {'wall s':>7} {'passed':>7}")
    for shipped in (False, True) if args.suite_shipped else (False,):
        for engine in engines:
            seconds, passed, total = suite(engine, shipped=shipped)
            label = "with shipped" if shipped else "alone"
            print(f"{label:<14} {engine:<8} {seconds:>7.2f} {passed:>3}/{total:<3}", flush=True)
    if args.suite_only:
        return

    triples = asserted_triples()
    extension = RdfDocument(
        "synthetic", "synthetic",
        tuple(ox.Quad(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in synthetic_extension(triples, args.scale)),
    )
    plan = []
    for engine in engines:
        slow = engine == "pyshacl" and not args.pyshacl
        for inference in ("none", "rdfs", "owlrl"):
            if slow and inference != "none":
                continue
            plan.append(("shipped", engine, inference, 3 if slow else args.runs, {}))
        for inference in ("none", "rdfs", "owlrl"):
            if slow:
                continue
            runs = max(1, args.runs // 2) if inference == "none" else 1
            plan.append((f"x{args.scale}", engine, inference, runs, {"data": extension}))

    print(f"{'graph':<8} {'engine':<8} {'inference':<9} {'runs':>4} {'median s':>9} {'best s':>7} "
          f"{'triples':>8} {'results':>7}")
    for graph, engine, inference, runs, extra in plan:
        median, best, size, results = timed(runs, engine=engine, inference=inference, **extra)
        print(f"{graph:<8} {engine:<8} {inference:<9} {runs:>4} {median:>9.3f} {best:>7.3f} {size:>8} {results:>7}",
              flush=True)


if __name__ == "__main__":
    main()
