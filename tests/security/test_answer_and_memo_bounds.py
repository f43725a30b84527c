"""The byte bounds in-process, without a server: the serialiser's answer cap and the web process's memos.

The HTTP tests (test_resource_bounds.py) check the same bounds end to end;
these check every format and the edge cases quickly.
"""

from __future__ import annotations

import json
import time

import pyoxigraph as ox
import pytest

from cyberframe.sparql.serialization import write_solutions, write_triples
from cyberframe.sparql.worker import Job
from cyberframe.web.api.endpoint import MEMO_BYTES, Plan, PlanMemo
from cyberframe.web.memo import BoundedMemo

CAP = 256 * 1024
EX = "http://example.org/"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    for i in range(400):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(f"value {i}")))
    return store


def _doubling(form: str, doublings: int = 12) -> str:
    binds = "BIND(STR(?o) AS ?a0) " + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(doublings))
    last = f"?a{doublings}"
    if form == "select":
        return f"SELECT ?s {last} WHERE {{ ?s ?p ?o {binds} }}"
    return f"CONSTRUCT {{ ?s <{EX}long> {last} }} WHERE {{ ?s ?p ?o {binds} }}"


@pytest.mark.parametrize("key", ["json", "xml", "csv", "tsv"])
def test_solutions_stop_at_the_byte_cap(store: ox.Store, key: str) -> None:
    started = time.monotonic()
    written = write_solutions(store.query(_doubling("select")), key, 10_000, CAP)
    assert time.monotonic() - started < 10
    assert 0 < len(written.body) <= CAP and written.truncated
    assert 0 < written.count < 400
    if key == "csv":  # not parseable back (lossy); no value here holds a line break
        assert written.body.count(b"\r\n") == written.count + 1
        return
    parsed = ox.parse_query_results(written.body, getattr(ox.QueryResultsFormat, key.upper()))
    assert len(list(parsed)) == written.count  # a whole document with exactly the rows it claims


@pytest.mark.parametrize("key", ["turtle", "ntriples", "rdfxml", "jsonld"])
def test_triples_stop_at_the_byte_cap(store: ox.Store, key: str) -> None:
    written = write_triples(store.query(_doubling("construct")), key, 10_000, CAP)
    assert 0 < len(written.body) <= CAP and written.truncated and 0 < written.count < 400
    if key == "jsonld":
        json.loads(written.body)
    else:
        fmt = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML}[key]
        assert len(list(ox.parse(written.body, fmt))) == written.count


def test_answers_under_the_cap_are_whole_and_unflagged(store: ox.Store) -> None:
    written = write_solutions(store.query("SELECT * WHERE { ?s ?p ?o }"), "json", 10_000, CAP)
    assert not written.truncated and written.count == 400
    assert len(json.loads(written.body)["results"]["bindings"]) == 400


def test_row_cap_and_byte_cap_together(store: ox.Store) -> None:
    by_rows = write_solutions(store.query("SELECT * WHERE { ?s ?p ?o }"), "json", 10, CAP)
    assert by_rows.truncated and by_rows.count == 10
    one_row = write_solutions(store.query(_doubling("select", 16)), "json", 10_000, CAP)
    assert one_row.truncated and one_row.count == 0 and len(one_row.body) <= CAP  # a row larger than the cap
    assert json.loads(one_row.body)["results"]["bindings"] == []


def test_bounded_memo_never_exceeds_its_budget() -> None:
    memo: BoundedMemo[int] = BoundedMemo(max_entries=100, max_bytes=10_000, max_item_bytes=1_000)
    for i in range(5_000):
        memo.put(("key", i), i, 1 + (i * 37) % 1_000)
        assert memo.bytes <= 10_000 and len(memo) <= 100
    assert memo.get(("key", 4_999)) == 4_999 and memo.get(("key", 0)) is None
    assert not memo.put("large", 1, 1_001) and memo.get("large") is None  # over the item bound: never kept


def test_plan_memo_is_bounded_in_bytes() -> None:
    memo = PlanMemo()
    for i in range(3_000):
        query = f"ASK {{}} # {i} " + "x" * 7_000
        job = Job(query=query, base_iri="http://127.0.0.1/sparql", formats={"boolean": "json"}, max_rows=10)
        memo.put((query.encode(), "application/json", "http", "127.0.0.1"), Plan(job, job.key(), 'W/"x"'))
    assert memo.bytes <= MEMO_BYTES
    assert 0 < len(memo) < 3_000
