"""What a client sends or asks for never grows memory or answers without bound.

* Paths: 1,800 requests with 300 KB paths under ``/cyberframe/`` took the
  main process from 70 MB to 1 GB (an unbounded route memo). Now a path over
  :data:`~cyberframe.web.guard.MAX_PATH` is refused with 414, and the memos
  that distinct requests fill (routes, GET query plans) are bounded in bytes.
  Measured on a dedicated server's resident memory (/proc): the process
  tree, so that it counts whichever processes serve HTTP.
* Answers: a 2 KB query doubling a string with ``CONCAT`` over 300 rows
  returned 314 MB. Now the answer stops at ``--max-answer-bytes`` (here 1 MiB)
  and says so (``X-Cyberframe-Truncated``).
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest
from hardening_support import assert_up, listener, timed, tree_rss_bytes

from cyberframe.web.guard import MAX_PATH
from sparql_support import Server, start_server

pytestmark = pytest.mark.slow

MAX_ANSWER = 1 << 20
GROWTH = 16 << 20  # bytes the main process may grow by over a whole test (allocator noise, memos' budgets)
HTTP_PROCESSES = 2  # fixed, whatever the machine's cores, so that the bounds below mean the same everywhere
# 1,800 paths of 300 KB: was 960 MB; the URL parser's cache alone pinned 75 MB. Per HTTP process: what its
# threads (32) last read stays until their next request.
LONG_PATHS_GROWTH = HTTP_PROCESSES * (32 << 20)
CLIENTS = 8


@pytest.fixture(scope="module")
def bounded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a 1 MiB answer cap and a small answer cache (so the cache's own growth stays small)."""
    log = tmp_path_factory.mktemp("bounds") / "serve.log"
    args = ["--http-workers", str(HTTP_PROCESSES), "--workers", "1", "--max-answer-bytes", str(MAX_ANSWER), "--cache-mb", "2", "--quiet"]
    server = start_server(request, args, log)
    yield server
    server.stop()


def _many(server: Server, paths: list[str], accept: str = "text/html") -> list[int]:
    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(lambda p: server.request("GET", p, headers={"Accept": accept}).status, paths))


def test_long_paths_are_414_and_memory_stays_flat(bounded: Server) -> None:
    for _ in range(2):  # warm up what a first request builds (page index, templates)
        _many(bounded, [f"/cyberframe/id/function/GV{n}" for n in range(50)])
    before = tree_rss_bytes(bounded.process.pid)
    big = [f"/cyberframe/{uuid.uuid4().hex}/" + "a" * 300_000 for _ in range(1800)]
    statuses, seconds = timed(lambda: _many(bounded, big))
    assert set(statuses) == {414} and seconds < 120, (set(statuses), seconds)
    # just under the 414 bound: matched every time, never kept
    near = [f"/cyberframe/{uuid.uuid4().hex}/" + "b" * (MAX_PATH - 60) for _ in range(1800)]
    assert set(_many(bounded, near)) == {404}
    # short, distinct paths: kept, within the memo's byte budget
    short = [f"/cyberframe/{uuid.uuid4().hex}/" + "c" * 500 for _ in range(3000)]
    assert set(_many(bounded, short)) == {404}
    grown = tree_rss_bytes(bounded.process.pid) - before
    # what stays: each HTTP thread's last request and the allocator's pools, not a copy per request
    assert grown < LONG_PATHS_GROWTH, f"the server grew by {grown / 2**20:.1f} MiB"
    assert_up(bounded)


def test_distinct_get_queries_keep_the_plan_memo_bounded(bounded: Server) -> None:
    filler = "x" * 7000  # just under the memo's key bound: every plan is a candidate
    queries = [f"ASK {{}} # {uuid.uuid4().hex} {filler}" for _ in range(1800)]
    paths = ["/sparql?" + urllib.parse.urlencode({"query": q}) for q in queries[:200]]
    _many(bounded, paths, "application/sparql-results+json")  # warm-up
    before = tree_rss_bytes(bounded.process.pid)
    paths = ["/sparql?" + urllib.parse.urlencode({"query": q}) for q in queries[200:]]
    statuses, seconds = timed(lambda: _many(bounded, paths, "application/sparql-results+json"))
    assert set(statuses) == {200} and seconds < 180
    grown = tree_rss_bytes(bounded.process.pid) - before
    assert grown < GROWTH, f"the server grew by {grown / 2**20:.1f} MiB"
    assert_up(bounded)


def _doubling(form: str) -> str:
    """A short query whose rows hold a string doubled 14 times (about 1 MB per row over 300 rows)."""
    binds = "BIND(STR(?s) AS ?a0) " + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(14))
    if form == "select":
        return f"SELECT ?s ?a14 WHERE {{ ?s ?p ?o {binds} }} LIMIT 300 # {uuid.uuid4().hex}"
    return f"CONSTRUCT {{ ?s <urn:x:long> ?a14 }} WHERE {{ ?s ?p ?o {binds} }} LIMIT 300 # {uuid.uuid4().hex}"


@pytest.mark.parametrize(
    ("form", "accept"),
    [
        ("select", "application/sparql-results+json"),
        ("select", "application/sparql-results+xml"),
        ("select", "text/csv"),
        ("construct", "text/turtle"),
        ("construct", "application/ld+json"),
    ],
)
def test_answers_stop_at_max_answer_bytes(bounded: Server, form: str, accept: str) -> None:
    query = _doubling(form)
    assert len(query) < 2048
    with listener() as (_, seen):
        response, seconds = timed(lambda: bounded.query(query, accept=accept))
    assert response.status == 200 and seconds < 30, (response.status, seconds)
    assert 0 < len(response.body) <= MAX_ANSWER
    assert response.header("X-Cyberframe-Truncated") == "true"
    rows = int(response.header("X-Cyberframe-Result-Count"))
    assert 0 < rows < 300
    if accept.endswith("json"):
        payload = json.loads(response.body)  # a whole document, not a cut one
        if form == "select":
            assert len(payload["results"]["bindings"]) == rows
    elif accept == "text/turtle":
        assert len(list(ox.parse(response.body, ox.RdfFormat.TURTLE))) == rows
    assert seen == []
    assert_up(bounded)


def test_small_answers_are_not_flagged(bounded: Server) -> None:
    response = bounded.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 100")
    assert response.status == 200 and response.header("X-Cyberframe-Truncated") is None
    assert len(response.json()["results"]["bindings"]) == 100
