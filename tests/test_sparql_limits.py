"""Limits and safety of the endpoint: time limit, row cap, no outbound connections, busy workers.

The session server runs with ``--timeout 2 --max-rows 5000`` (see sparql_support).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from rdflib import Graph

from sparql_support import MAX_ROWS, TIMEOUT, Server, listening, sparql_with

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.mark.slow
def test_runaway_query_is_stopped_with_503_while_others_are_served(server: Server) -> None:
    """A cartesian product over all triples: 503 within timeout + 1 s; /health and queries keep answering."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        runaway = pool.submit(server.query, RUNAWAY + " # runaway-1")
        health_times, query_times = [], []
        while not runaway.done() and time.monotonic() - started < TIMEOUT + 2:
            t0 = time.monotonic()
            assert server.get(path="/health").status == 200
            health_times.append(time.monotonic() - t0)
            t0 = time.monotonic()
            probe = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t } # probe " + str(len(query_times))
            assert server.select(probe)[0]["n"]
            query_times.append(time.monotonic() - t0)
            time.sleep(0.05)
        response = runaway.result(timeout=TIMEOUT + 5)
        elapsed = time.monotonic() - started
    assert response.status == 503
    assert "stopped" in response.text and "Traceback" not in response.text
    assert TIMEOUT - 0.1 <= elapsed <= TIMEOUT + 1
    assert len(health_times) >= 5 and max(health_times) < 0.5
    assert max(query_times) < 1.0, "the other worker kept answering uncached queries"
    deadline = time.monotonic() + 10
    while server.get(path="/health").json()["workers"]["alive"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    status = server.get(path="/health").json()["workers"]
    assert status["alive"] == 2 and status["killed_on_timeout"] >= 1
    assert server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } # after the runaway")[0]["n"]


@pytest.mark.slow
def test_runaway_construct_and_concurrent_runaways(server: Server) -> None:
    """Runaways at once: all get 503 in time, identical ones share one worker (single flight), the pool recovers."""
    before = server.get(path="/health").json()["workers"]["killed_on_timeout"]
    construct = "CONSTRUCT { ?a ?b ?i } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?i"
    queries = [RUNAWAY + " # runaway-2"] * 3 + [construct]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        responses = list(pool.map(lambda q: server.query(q, accept="*/*"), queries))
    assert [r.status for r in responses] == [503] * len(queries)
    assert time.monotonic() - started <= TIMEOUT + 1
    assert server.get(path="/health").status == 200
    assert server.get(path="/health").json()["workers"]["killed_on_timeout"] == before + 2


@pytest.mark.slow
def test_select_is_capped_with_an_explicit_signal(server: Server) -> None:
    response = server.query("SELECT * WHERE { ?s ?p ?o }", accept="text/tab-separated-values")
    assert response.status == 200
    assert response.header("X-Cyberframe-Truncated") == "true"
    assert response.header("X-Cyberframe-Row-Limit") == str(MAX_ROWS)
    assert response.header("X-Cyberframe-Result-Count") == str(MAX_ROWS)
    assert len(response.text.splitlines()) == 1 + MAX_ROWS
    json_rows = server.query("SELECT * WHERE { ?s ?p ?o }").json()["results"]["bindings"]
    assert len(json_rows) == MAX_ROWS


@pytest.mark.slow
def test_construct_is_capped_with_an_explicit_signal(server: Server) -> None:
    response = server.query("CONSTRUCT WHERE { ?s ?p ?o }", accept="text/turtle")
    assert response.status == 200 and response.header("X-Cyberframe-Truncated") == "true"
    assert len(Graph().parse(data=response.body, format="turtle")) == MAX_ROWS


@pytest.mark.slow
def test_answers_under_the_cap_are_not_flagged(server: Server) -> None:
    response = server.query("SELECT * WHERE { ?s ?p ?o } LIMIT " + str(MAX_ROWS))
    assert response.status == 200
    assert response.header("X-Cyberframe-Truncated") is None
    assert len(response.json()["results"]["bindings"]) == MAX_ROWS


@pytest.fixture
def listener() -> Iterator[tuple[int, list]]:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""
    with listening() as pair:
        yield pair


@pytest.mark.slow
def test_no_outbound_connection_is_ever_attempted(server: Server, listener) -> None:
    """FROM, FROM NAMED and graph parameters name graphs, they are never fetched; SERVICE never runs."""
    port, seen = listener
    iris = {name: f"http://127.0.0.1:{port}/{name}" for name in ("data", "named", "default", "x", "sparql")}
    fetchless = [
        ("SELECT * FROM $data WHERE { ?s ?p ?o }", {}),
        ("SELECT * FROM NAMED $named WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
        ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": iris["default"]}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": iris["named"]}),
        ("CONSTRUCT WHERE { $x ?p ?o }", {}),
        ("DESCRIBE $x", {}),
    ]
    for template, params in fetchless:
        query = sparql_with(template, **iris)
        response = server.get({"query": query, **params}, headers={"Accept": "*/*"})
        assert response.status == 200, response.text
        assert response.header("X-Cyberframe-Result-Count") == "0"
    refused = [
        "SELECT * WHERE { SERVICE $sparql { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT $sparql { ?s ?p ?o } }",
        "SELECT * WHERE { BIND($sparql AS ?e) SERVICE ?e { ?s ?p ?o } }",
        'SELECT * WHERE { BIND("\\u0022" AS ?x) SERVICE $sparql { ?s ?p ?o } } # """',
        "SELECT * WHERE { <http://a.example/\\u0041#> ?p ?o SERVICE $sparql { } }",
        "PREFIX : <http://a.example/> LOAD $data",
    ]
    for template in refused:
        query = sparql_with(template, **iris)
        assert server.query(query).status == 400, query
    time.sleep(0.5)
    assert seen == [], "the service connected to the listener"


def test_worker_sandbox_cannot_reach_the_network(listener) -> None:
    """Second line of defence: a query worker leaves the network before it runs any query."""
    port, seen = listener
    probe = (
        "import socket, sys\n"
        "from cyberframe.sparql.worker import isolate_network\n"
        "if not isolate_network():\n"
        "    sys.exit(3)\n"
        f"socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    if result.returncode == 3:
        pytest.skip("network namespaces are not available here (not Linux, or user namespaces disabled)")
    assert result.returncode == 1 and ("unreachable" in result.stderr or "OSError" in result.stderr), result.stderr
    time.sleep(0.2)
    assert seen == []


def test_busy_workers_answer_503_promptly(kg) -> None:
    """With every worker busy and no room to wait, a query is refused at once (503 + Retry-After).

    The app is built in-process here (the factory other WSGI servers import), with one real worker.
    """
    from cyberframe.service import create_app

    app = create_app(
        {"workers": 1, "max_waiting": 0, "timeout": 1.0, "access_log": False},
        knowledge_graph=kg,
    )
    endpoint = app.extensions["cyberframe"].engine
    endpoint.executor.start()
    try:
        client = app.test_client()
        with ThreadPoolExecutor(max_workers=1) as pool:
            runaway = pool.submit(client.get, "/sparql", query_string={"query": RUNAWAY})
            deadline = time.monotonic() + 5
            while endpoint.executor.status()["busy"] < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            started = time.monotonic()
            refused = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
            assert time.monotonic() - started < 0.5
            assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
            assert b"busy" in refused.data
            assert client.get("/health").status_code == 200
            assert runaway.result(timeout=10).status_code == 503
    finally:
        endpoint.executor.close()


def test_query_over_the_memory_limit_is_503_and_the_worker_is_replaced(kg) -> None:
    """A worker caps its address space; a query that would exceed it kills only that worker (503)."""
    from cyberframe.service import create_app

    app = create_app(
        {"workers": 1, "timeout": 10.0, "worker_memory_mb": 400, "access_log": False},
        knowledge_graph=kg,
    )
    endpoint = app.extensions["cyberframe"].engine
    endpoint.executor.start()
    try:
        client = app.test_client()
        started = time.monotonic()
        hog = client.get("/sparql", query_string={"query": "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?d"})
        assert hog.status_code == 503 and b"memory limit" in hog.data
        assert time.monotonic() - started < 5
        assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        assert endpoint.executor.status()["lost"] == 1
    finally:
        endpoint.executor.close()
