"""The built knowledge graph cached on disk (docs/architecture.md, "Data flow").

A snapshot is an N-Quads file plus a JSON manifest, both named by the build
hash: a digest of the package version and of every source file's path and
bytes. Files are written to a temporary name and renamed into place, so a
reader never sees half a snapshot; the manifest records the digest of the
N-Quads body, so a truncated or altered file is detected and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import __version__
from .files import write_atomically
from .resources import Source
from .settings import CACHE_DIR_ENV

FORMAT_VERSION = 1


class SnapshotError(Exception):
    """A snapshot is missing, unreadable or does not match its manifest."""


@dataclass(frozen=True)
class Manifest:
    """What a snapshot holds and how it was built."""

    build_hash: str
    version: str
    ontology_version: str
    built_at: str
    build_seconds: float
    sha256: str
    graphs: dict[str, int] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """The manifest in *text*; raises :class:`SnapshotError` unless it is an object with every field typed right."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise SnapshotError(f"snapshot manifest is a JSON {type(data).__name__}, not an object")
        if data.get("format_version") != FORMAT_VERSION:
            raise SnapshotError("snapshot format is outdated")
        for name, expected in _FIELD_TYPES.items():
            value = data.get(name)
            if not isinstance(value, expected) or isinstance(value, bool):
                raise SnapshotError(f"snapshot manifest field {name!r} is {value!r}, not {_describe(expected)}")
        graphs = data["graphs"]
        if not all(isinstance(k, str) and type(v) is int and v >= 0 for k, v in graphs.items()):
            raise SnapshotError("snapshot manifest field 'graphs' must map graph names to triple counts")
        unknown = sorted(set(data) - set(_FIELD_TYPES))
        if unknown:
            raise SnapshotError(f"snapshot manifest has unknown fields {', '.join(unknown)}")
        return cls(**data)


#: The JSON type of every manifest field (a hand-edited or damaged manifest is refused, never trusted).
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "build_hash": str,
    "version": str,
    "ontology_version": str,
    "built_at": str,
    "build_seconds": (int, float),
    "sha256": str,
    "graphs": dict,
    "format_version": int,
}


def _describe(expected: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", dict: "an object"}
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(names[kind] for kind in kinds)


def build_hash(files: Iterable[Source]) -> str:
    """Digest of the package version and every source's relative path and content."""
    digest = hashlib.sha256(f"cyberframe {__version__} snapshot {FORMAT_VERSION}\n".encode())
    for source in sorted(files, key=lambda s: s.relative):
        digest.update(source.relative.encode() + b"\0")
        digest.update(hashlib.sha256(source.path.read_bytes()).digest())
    return digest.hexdigest()


def cache_dir() -> Path:
    """``$CYBERFRAME_CACHE_DIR`` or the user's cache folder for cyberframe."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cyberframe", appauthor=False))


def snapshot_paths(directory: Path, digest: str) -> tuple[Path, Path]:
    """The N-Quads body and the JSON manifest of the snapshot *digest*."""
    return directory / f"{digest}.nq", directory / f"{digest}.json"


def write_snapshot(directory: Path, manifest: Manifest, body: bytes) -> None:
    """Write body then manifest atomically; the manifest is the commit point."""
    if hashlib.sha256(body).hexdigest() != manifest.sha256:
        raise ValueError("manifest digest does not match the snapshot body")
    body_path, manifest_path = snapshot_paths(directory, manifest.build_hash)
    write_atomically(body_path, body, make_parents=True)
    write_atomically(manifest_path, manifest.to_json().encode(), make_parents=True)


def read_snapshot(directory: Path, digest: str) -> tuple[Manifest, bytes]:
    """Read and verify the snapshot *digest*; raise SnapshotError if it is unusable."""
    body_path, manifest_path = snapshot_paths(directory, digest)
    try:
        manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
        body = body_path.read_bytes()
    except FileNotFoundError as exc:
        raise SnapshotError(f"no snapshot at {exc.filename}") from exc
    except (OSError, ValueError, TypeError) as exc:
        raise SnapshotError(f"unreadable snapshot manifest {manifest_path}: {exc}") from exc
    if manifest.build_hash != digest:
        raise SnapshotError(f"snapshot manifest {manifest_path} names another build")
    if hashlib.sha256(body).hexdigest() != manifest.sha256:
        raise SnapshotError(f"snapshot {body_path} does not match its manifest (truncated or altered)")
    return manifest, body


def prune(directory: Path, keep: str) -> None:
    """Remove snapshots of other builds from *directory*."""
    for path in directory.glob("*.nq"):
        if path.stem != keep and len(path.stem) == 64:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
