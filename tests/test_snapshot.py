"""The snapshot cache: fresh snapshots are reused, stale and corrupt ones rebuilt (docs/architecture.md).

These tests build a small graph (the shipped ontology plus a three-concept
fixture) in a private cache folder, so each rebuild takes well under a second.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from cyberframe.knowledge import open_knowledge_graph
from cyberframe.resources import Source
from cyberframe.snapshot import build_hash, snapshot_paths

SUBCATEGORY = "https://w3id.org/cyberframe/id/subcategory/XX.YY-1"
FUNCTION = "https://w3id.org/cyberframe/id/function/XX"


@pytest.fixture
def sources(tmp_path: Path) -> list[Source]:
    (tmp_path / "ontology").mkdir()
    (tmp_path / "data").mkdir()
    for rel in ("ontology/cyberframe.ttl", "ontology/skos-axioms.ttl"):
        shutil.copy(ROOT / rel, tmp_path / rel)
    shutil.copy(ROOT / "tests/data/mini-data.ttl", tmp_path / "data/mini-data.ttl")
    return [
        Source("ontology", tmp_path / "ontology/cyberframe.ttl"),
        Source("skos-axioms", tmp_path / "ontology/skos-axioms.ttl"),
        Source("mini-data", tmp_path / "data/mini-data.ttl"),
    ]


def reaches_function(kg) -> bool:
    return bool(
        kg.query(f"ASK {{ <{SUBCATEGORY}> <http://www.w3.org/2004/02/skos/core#broaderTransitive> <{FUNCTION}> }}")
    )


def test_cold_build_writes_a_snapshot_and_warm_start_reuses_it(sources, tmp_path):
    cache = tmp_path / "cache"
    cold = open_knowledge_graph(directory=cache, files=sources)
    assert cold.rebuilt and reaches_function(cold)
    body, manifest = snapshot_paths(cache, cold.build_hash)
    assert body.is_file() and manifest.is_file()
    assert set(cold.manifest.graphs) == {"ontology", "skos-axioms", "mini-data", "inferred"}

    warm = open_knowledge_graph(directory=cache, files=sources)
    assert not warm.rebuilt
    assert warm.manifest == cold.manifest
    assert len(warm.store) == len(cold.store) == cold.manifest.triples
    assert reaches_function(warm)


def test_changed_source_makes_the_snapshot_stale(sources, tmp_path):
    cache = tmp_path / "cache"
    first = open_knowledge_graph(directory=cache, files=sources)
    data = sources[2].path
    data.write_text(data.read_text().replace('"XX.YY-1"', '"XX.YY-9"'))
    second = open_knowledge_graph(directory=cache, files=sources)
    assert second.rebuilt and second.build_hash != first.build_hash
    assert bool(second.query('ASK { ?s ?p "XX.YY-9" }'))
    third = open_knowledge_graph(directory=cache, files=sources)
    assert not third.rebuilt and third.build_hash == second.build_hash


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda body, manifest: body.write_bytes(body.read_bytes()[: len(body.read_bytes()) // 2]),
            id="truncated-body",
        ),
        pytest.param(lambda body, manifest: body.write_bytes(b"<not n-quads"), id="garbage-body"),
        pytest.param(lambda body, manifest: manifest.write_text("{"), id="broken-manifest"),
        pytest.param(lambda body, manifest: body.unlink(), id="missing-body"),
        pytest.param(
            lambda body, manifest: manifest.write_text(
                json.dumps({**json.loads(manifest.read_text()), "format_version": 0})
            ),
            id="outdated-format",
        ),
    ],
)
def test_corrupt_snapshot_is_rebuilt(sources, tmp_path, damage):
    cache = tmp_path / "cache"
    good = open_knowledge_graph(directory=cache, files=sources)
    body, manifest = snapshot_paths(cache, good.build_hash)
    damage(body, manifest)
    again = open_knowledge_graph(directory=cache, files=sources)
    assert again.rebuilt
    assert len(again.store) == good.manifest.triples and reaches_function(again)
    healed = open_knowledge_graph(directory=cache, files=sources)
    assert not healed.rebuilt


def test_build_hash_depends_on_content_not_timestamps(sources):
    before = build_hash(sources)
    for source in sources:
        source.path.touch()
    assert build_hash(sources) == before
    sources[0].path.write_text(sources[0].path.read_text() + "\n")
    assert build_hash(sources) != before


def test_no_temporary_files_are_left_behind(sources, tmp_path):
    cache = tmp_path / "cache"
    open_knowledge_graph(directory=cache, files=sources)
    assert sorted(p.suffix for p in cache.iterdir()) == [".json", ".nq"]


def test_unwritable_cache_still_serves(sources, tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    kg = open_knowledge_graph(directory=blocker, files=sources)
    assert kg.rebuilt and reaches_function(kg)
