"""The served dataset as one on-disk pyoxigraph store, built once and opened read-only by every process.

Every query worker and every HTTP process used to hold its own in-memory
copy of the data, so memory grew with the number of processes. Instead the
dataset (the knowledge graph plus any ``--graph`` files) is written once into
a RocksDB store under the cache folder, named by the dataset's content hash,
and each process opens it with :meth:`pyoxigraph.Store.read_only`: the data
is shared through the operating system's page cache, and a new worker is
ready as soon as the store is open (milliseconds), whatever the size of the
data. Workers copy a small dataset from it into memory, where queries run
faster (docs/serving.md, "Shared store").

A store is built in a temporary folder next to its final place and renamed
into place when complete, with a small JSON description (the triple counts)
written last inside it: a reader never sees half a store, and a folder
without its description is not a store. Two processes building the same
store at once both succeed; one rename wins. Where the cache folder cannot be
written, the store is built in a temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from ..snapshot import cache_dir

#: Bumped when what a store folder holds changes; part of the folder's name.
STORE_FORMAT = 2
DESCRIPTION = "cyberframe-store.json"
#: The same data as N-Quads, inside the store's folder, for workers that copy a small dataset into memory:
#: parsing it is 2-3x faster than reading the quads back out of RocksDB.
NQUADS_COPY = "dataset.nq"
#: Datasets up to this many quads get the N-Quads copy.
NQUADS_COPY_MAX = 1_000_000
#: A store of the current build that no start has opened for this many days is removed by the next build.
UNUSED_DAYS = 7


@dataclass(frozen=True)
class StoreDescription:
    """What a built store holds: triples per named graph and in the union default graph."""

    graphs: dict[str, int]
    default_graph_triples: int
    format: int = STORE_FORMAT


def stores_dir() -> Path:
    """Where shared stores live: ``stores/`` in the cache folder."""
    return cache_dir() / "stores"


def store_name(key: str) -> str:
    """The folder name of the store whose content hash is *key*."""
    return f"{key}.v{STORE_FORMAT}.oxigraph"


def _read_description(path: Path) -> StoreDescription | None:
    try:
        data = json.loads((path / DESCRIPTION).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
            return None
        description = StoreDescription(**data)
    except (OSError, ValueError, TypeError):
        return None
    return description


def count_graphs(store: ox.Store) -> StoreDescription:
    """Count the triples of every named graph and of the union default graph (SPARQL 1.1 Query §18.5)."""
    graphs: dict[str, int] = {}
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert isinstance(rows, ox.QuerySolutions)
    for row in rows:
        graph, count = row[0], row[1]
        if graph is not None and count is not None:
            graphs[graph.value] = int(count.value)
    union = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    assert isinstance(union, ox.QuerySolutions)
    total = next(iter(union))[0]
    return StoreDescription(graphs, int(total.value) if total is not None else 0)


def _build(target: Path, fill: Callable[[ox.Store], None]) -> StoreDescription:
    """Fill a new store at *target* (a fresh folder), compact it, close it and describe it."""
    store = ox.Store(str(target))
    try:
        fill(store)
        store.optimize()
        store.flush()
        description = count_graphs(store)
        if sum(description.graphs.values()) <= NQUADS_COPY_MAX:
            store.dump(output=str(target / NQUADS_COPY), format=ox.RdfFormat.N_QUADS)
    finally:
        del store  # closes RocksDB: the folder must be complete before it is renamed and opened read-only
    (target / DESCRIPTION).write_text(json.dumps(asdict(description), sort_keys=True), encoding="utf-8")
    return description


def _build_and_report(target: Path, fill: Callable[[ox.Store], None], conn: Connection) -> None:
    try:
        conn.send(("ok", _build(target, fill)))
    except BaseException as exc:  # reported to the parent, which raises it
        conn.send(("error", exc))


def _single_threaded() -> bool:
    """Whether this process has exactly one thread, counted by the kernel (Linux), not by Python."""
    tasks = Path("/proc/self/task")
    if not hasattr(os, "fork") or not tasks.is_dir():
        return False
    try:
        return len(os.listdir(tasks)) == 1
    except OSError:
        return False


def _build_apart(target: Path, fill: Callable[[ox.Store], None]) -> StoreDescription:
    """:func:`_build` in a forked child where that is safe, so that parsing's memory is returned when it exits.

    Parsing a large file leaves the builder's heap large; the long-running
    process that forks the HTTP processes should not carry it. Forking is safe
    only in a process with one thread - native ones included: RocksDB keeps
    background threads once any store was opened, and a forked child would
    wait for them forever - so elsewhere the store is built in this process.
    """
    if not _single_threaded():
        return _build(target, fill)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_build_and_report, args=(target, fill, sender), name="cyberframe-store-build")
    child.start()
    sender.close()
    try:
        tag, value = receiver.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"building the shared store failed (the builder exited with {child.exitcode})") from None
    finally:
        receiver.close()
    child.join()
    if tag == "error":
        raise value
    assert isinstance(value, StoreDescription)
    return value


def _temporary_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="cyberframe-stores-"))
    atexit.register(shutil.rmtree, home, True)
    return home


def shared_store(
    key: str, fill: Callable[[ox.Store], None], directory: Path | None = None
) -> tuple[Path, StoreDescription, bool]:
    """The folder of the store named *key*, built with *fill* unless it exists; (path, description, built).

    *fill* receives an empty on-disk store and loads the dataset into it
    (raising leaves nothing behind). A folder whose description is missing or
    unreadable is not trusted and is rebuilt.
    """
    directory = stores_dir() if directory is None else directory
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".build-", dir=directory)
    except OSError:
        directory = _temporary_home()
        probe = tempfile.mkdtemp(prefix=".build-", dir=directory)
    final = directory / store_name(key)
    description = _read_description(final)
    if description is not None:
        shutil.rmtree(probe, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.utime(final / DESCRIPTION)  # last used now: kept by prune()
        return final, description, False
    building = Path(probe) / "store"
    try:
        description = _build_apart(building, fill)
        if final.exists():  # a broken folder (no description), or another process's fresh one
            if _read_description(final) is not None:
                return final, _read_description(final) or description, False
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.rename(building, final)
        except OSError:
            if _read_description(final) is None:  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return final, description, True


def open_read_only(path: Path) -> ox.Store:
    """Open the store at *path* read-only (many processes may do so at once)."""
    return ox.Store.read_only(str(path))


def prune(directory: Path, keep: str, prefix: str) -> None:
    """Remove the stores in *directory* but *keep*: those of other builds (names not starting with *prefix*),
    and those of this build not opened for :data:`UNUSED_DAYS` days (earlier versions of the extra files)."""
    cutoff = time.time() - UNUSED_DAYS * 86400
    with contextlib.suppress(OSError):
        for entry in directory.iterdir():
            if entry.name.startswith(".build-"):  # a build that never finished (its process died)
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < time.time() - 86400:
                        shutil.rmtree(entry, ignore_errors=True)
                continue
            if entry.name == keep or not entry.name.endswith(".oxigraph"):
                continue
            try:
                unused = (entry / DESCRIPTION).stat().st_mtime < cutoff
            except OSError:
                unused = True  # no description: an incomplete or foreign folder
            if unused or not entry.name.startswith(prefix):
                shutil.rmtree(entry, ignore_errors=True)
