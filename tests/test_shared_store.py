"""The shared on-disk store (cyberframe.sparql.shared_store): built once per key, atomic, reused, pruned."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from cyberframe.sparql.shared_store import DESCRIPTION, UNUSED_DAYS, open_read_only, prune, shared_store, store_name

EX = "http://org.example/"


def _fill(triples: int, log: Path):
    """A fill function and a way to count its calls (it may run in a forked child: counted in a file)."""

    def fill(store: ox.Store) -> None:
        with log.open("a") as out:
            out.write("built\n")
        graph = ox.NamedNode(EX + "g")
        store.bulk_extend(
            ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), graph)
            for i in range(triples)
        )

    return fill, lambda: len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture
def stores(tmp_path: Path) -> Path:
    return tmp_path / "stores"


def test_built_once_then_reused_and_readable_by_many(tmp_path: Path, stores: Path) -> None:
    fill, calls = _fill(25, tmp_path / "calls")
    path, description, built = shared_store("k1", fill, stores)
    assert built and path == stores / store_name("k1")
    assert description.graphs == {EX + "g": 25} and description.default_graph_triples == 25
    again, description_again, built_again = shared_store("k1", fill, stores)
    assert (again, description_again, built_again) == (path, description, False)
    assert calls() == 1, "the second start only opens the store"
    first, second = open_read_only(path), open_read_only(path)
    assert len(first) == len(second) == 25
    assert [p.name for p in stores.iterdir()] == [path.name], "no temporary folder is left behind"


def test_a_failed_build_leaves_nothing_and_raises(stores: Path) -> None:
    def broken(store: ox.Store) -> None:
        store.add(ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("x")))
        raise ValueError("bad input file")

    with pytest.raises(ValueError, match="bad input file"):
        shared_store("k2", broken, stores)
    assert list(stores.iterdir()) == []


def test_a_folder_without_its_description_is_rebuilt(tmp_path: Path, stores: Path) -> None:
    fill, calls = _fill(3, tmp_path / "calls")
    path, _, _ = shared_store("k3", fill, stores)
    (path / DESCRIPTION).unlink()  # as if the folder had been damaged
    again, description, built = shared_store("k3", fill, stores)
    assert built and again == path and description.default_graph_triples == 3 and calls() == 2


def test_prune_removes_other_builds_and_long_unused_stores(tmp_path: Path, stores: Path) -> None:
    fill, _ = _fill(1, tmp_path / "calls")
    current, _, _ = shared_store("aaaa-new", fill, stores)
    other_build, _, _ = shared_store("bbbb-old", fill, stores)
    stale, _, _ = shared_store("aaaa-stale", fill, stores)
    recent, _, _ = shared_store("aaaa-recent", fill, stores)
    long_ago = time.time() - (UNUSED_DAYS + 1) * 86400
    os.utime(stale / DESCRIPTION, (long_ago, long_ago))
    prune(stores, current.name, "aaaa")
    assert sorted(p.name for p in stores.iterdir()) == sorted([current.name, recent.name])
    assert not other_build.exists() and not stale.exists()
