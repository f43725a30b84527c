"""A damaged snapshot manifest makes start-up rebuild the snapshot, never crash.

A manifest that is valid JSON but not an object (``[]``, ``null``, a string,
a number) or has a field of the wrong type used to stop the service with an
AttributeError or TypeError. Start-up (``open_knowledge_graph``, what
``cyberframe serve`` calls first) must log a warning, rebuild, and serve the
same graph; the next start reuses the rebuilt snapshot. A small graph keeps
each rebuild well under a second.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT
from cyberframe.knowledge import open_knowledge_graph
from cyberframe.resources import Source
from cyberframe.snapshot import Manifest, SnapshotError, snapshot_paths

REBUILD_SECONDS = 30.0  # a small graph; generous for a loaded machine


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Source], Path, Manifest]:
    """Sources of a small graph and a good snapshot of it, built once for the module."""
    root = tmp_path_factory.mktemp("manifest")
    (root / "ontology").mkdir()
    (root / "data").mkdir()
    for rel in ("ontology/cyberframe.ttl", "ontology/skos-axioms.ttl"):
        shutil.copy(ROOT / rel, root / rel)
    shutil.copy(ROOT / "tests/data/mini-data.ttl", root / "data/mini-data.ttl")
    sources = [
        Source("ontology", root / "ontology/cyberframe.ttl"),
        Source("skos-axioms", root / "ontology/skos-axioms.ttl"),
        Source("mini-data", root / "data/mini-data.ttl"),
    ]
    good = open_knowledge_graph(directory=root / "cache", files=sources)
    return sources, root / "cache", good.manifest


def _with(field: str, value: object):
    def damage(good: dict) -> object:
        return {**good, field: value}

    return damage


DAMAGES = {
    "list": lambda good: [],
    "null": lambda good: None,
    "string": lambda good: "a manifest",
    "list-of-the-object": lambda good: [good],
    "graphs-as-list": _with("graphs", ["ontology"]),
    "graphs-with-string-counts": lambda good: {**good, "graphs": {k: str(v) for k, v in good["graphs"].items()}},
    "sha256-null": _with("sha256", None),
    "build-hash-list": _with("build_hash", []),
    "build-seconds-string": _with("build_seconds", "fast"),
    "build-seconds-bool": _with("build_seconds", True),
    "format-version-true": _with("format_version", True),
    "missing-field": lambda good: {k: v for k, v in good.items() if k != "sha256"},
    "unknown-field": _with("extra", 1),
}


@pytest.mark.parametrize("damage", list(DAMAGES.values()), ids=list(DAMAGES))
def test_damaged_manifest_is_rebuilt_with_a_warning(built, tmp_path, caplog, damage) -> None:
    sources, good_cache, good = built
    cache = tmp_path / "cache"
    shutil.copytree(good_cache, cache)
    _, manifest_path = snapshot_paths(cache, good.build_hash)
    manifest_path.write_text(json.dumps(damage(json.loads(manifest_path.read_text()))))
    caplog.set_level(logging.WARNING, logger="cyberframe")
    started = time.monotonic()
    again = open_knowledge_graph(directory=cache, files=sources)
    assert time.monotonic() - started < REBUILD_SECONDS
    assert again.rebuilt and again.manifest.graphs == good.graphs
    assert len(again.store) == good.triples
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "snapshot" in r.getMessage()]
    assert warnings, "no warning was logged for the damaged manifest"
    healed = open_knowledge_graph(directory=cache, files=sources)
    assert not healed.rebuilt and healed.manifest == again.manifest


@pytest.mark.parametrize("text", ["[]", "null", '"x"', "0", "true", "{}", '{"format_version": 1}'])
def test_manifest_from_json_refuses_what_is_not_a_manifest(text: str) -> None:
    with pytest.raises(SnapshotError):
        Manifest.from_json(text)
