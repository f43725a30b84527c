"""``cyberframe serve`` as a command: bad ``--graph`` files are usage errors, SIGTERM / SIGINT stop it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sparql_support import ROOT, W3C_GRAPHS, child_processes, start_server

SERVE = [sys.executable, "-m", "cyberframe.cli", "serve", "--host", "127.0.0.1", "--port", "0", "--workers", "1"]


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SERVE, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "suffix", "fragments"),
    [
        ("<http://a.example/s> <http://a.example/p> .\n", ".ttl", ["bad.ttl", "line 1", "column"]),
        ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>\n<r>&b;</r>\n', ".rdf", ["bad.rdf", "entit"]),
        ("<a> <b> <c> .\n", ".csv", ["bad.csv", "unknown RDF format"]),
        ('{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "http://a.example/s"}', ".jsonld", ["bad.jsonld", "remote"]),
    ],
    ids=["turtle-syntax", "rdfxml-entities", "unknown-extension", "jsonld-remote-context"],
)
def test_bad_graph_file_is_a_usage_error(tmp_path: Path, content: str, suffix: str, fragments: list[str]) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    result = _serve("--graph", f"http://org.example/graph={path}")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment.lower() in result.stderr.lower(), result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("no-equals-sign", "IRI=FILE"),
        ("http://org.example/g=/no/such/file.ttl", "no such file"),
        (f"not an iri={next(iter(W3C_GRAPHS.values()))}", "IRI"),
        (f"https://w3id.org/cyberframe/graph/framework={next(iter(W3C_GRAPHS.values()))}", "own graph namespace"),
    ],
    ids=["no-equals", "missing-file", "bad-iri", "our-namespace"],
)
def test_bad_graph_option_is_a_usage_error(value: str, fragment: str) -> None:
    result = _serve("--graph", value)
    assert result.returncode == 2 and fragment in result.stderr, result.stderr


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_the_server_and_its_workers(request, tmp_path: Path, signum: int) -> None:
    args = ["--http-workers", "2", "--workers", "2", "--validate-concurrency", "1", "--quiet"]
    server = start_server(request, args, tmp_path / "serve.log")
    try:
        http_processes = child_processes(server.process.pid, b"cyberframe.cli")
        assert len(http_processes) == 2, "the HTTP processes are the server's children"
        deadline = time.monotonic() + 60  # the validation workers start in the background
        while len(workers := [w for p in http_processes for w in child_processes(p)]) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) == 6, "each HTTP process has its own two query workers and one validation worker"
        started = time.monotonic()
        server.process.send_signal(signum)
        assert server.process.wait(15) == 0
        assert time.monotonic() - started < 10
    finally:
        server.stop()
    assert "stopped" in server.log_text()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers + http_processes)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_extra_graphs_in_every_accepted_format(kg, tmp_path: Path) -> None:
    """Turtle, RDF/XML, JSON-LD (inline context) and N3 files each become one named graph of the served copy."""
    from cyberframe.sparql.dataset import serve_dataset

    files = {
        "g.ttl": "@prefix ex: <http://org.example/> .\nex:s ex:p ex:o , ex:o2 .\n",
        "g.rdf": (
            '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:ex="http://org.example/"><rdf:Description rdf:about="http://org.example/s"><ex:p>x</ex:p>'
            "</rdf:Description></rdf:RDF>\n"
        ),
        "g.jsonld": '{"@context": {"ex": "http://org.example/"}, "@id": "ex:s", "ex:p": [{"@id": "ex:o"}]}',
        "g.n3": "<http://org.example/s> <http://org.example/p> 42 .\n",
    }
    extra = {}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        extra[f"http://org.example/graph/{name}"] = tmp_path / name
    dataset = serve_dataset(kg, extra)
    assert {g.iri: g.triples for g in dataset.extra} == {
        "http://org.example/graph/g.ttl": 2,
        "http://org.example/graph/g.rdf": 1,
        "http://org.example/graph/g.jsonld": 1,
        "http://org.example/graph/g.n3": 1,
    }
    assert dataset.version != kg.build_hash and len(dataset.version) == 64
    assert len(kg.store) < len(dataset.store), "the knowledge graph itself is not written to"
    assert dataset.graphs["http://org.example/graph/g.ttl"] == 2


@pytest.mark.slow
def test_port_in_use_is_a_usage_error() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        result = _serve("--port", str(busy.getsockname()[1]), "--workers", "1")
    assert result.returncode == 2, result.stderr
    assert "cannot listen on 127.0.0.1" in result.stderr
