"""Settings reach a real ``cyberframe serve``: the environment below the flags, the flags above it.

A real server on 127.0.0.1 (``--port 0``), asked over HTTP what it applies.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sparql_support import start_server

pytestmark = pytest.mark.slow


def test_environment_and_flags_reach_the_running_server(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    env = {"CYBERFRAME_SPARQL_TIMEOUT": "2", "CYBERFRAME_SPARQL_MAX_ROWS": "3", "CYBERFRAME_ACCESS_LOG": "off"}
    server = start_server(request, ["--workers", "1", "--max-rows", "4"], tmp_path / "serve.log", env=env)
    try:
        health = server.get(path="/health").json()
        assert health["timeout_seconds"] == 2.0  # from the environment
        assert health["max_rows"] == 4  # the flag wins over CYBERFRAME_SPARQL_MAX_ROWS=3
        answer = server.query("SELECT ?s WHERE { ?s a ?c } LIMIT 50")
        assert answer.status == 200
        assert len(answer.json()["results"]["bindings"]) == 4
        assert answer.header("X-Cyberframe-Truncated") == "true"
        assert '"GET /health' not in server.log_text()  # CYBERFRAME_ACCESS_LOG=off: no request lines
    finally:
        assert server.stop() == 0
