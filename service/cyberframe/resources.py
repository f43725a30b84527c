"""Where the product's content lives: the one place that knows the layout (docs/architecture.md).

In a wheel, ``ontology/``, ``data/`` and ``queries/`` are shipped inside the
``cyberframe`` package; in a source checkout (editable install, tests) they are
the top-level folders of the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

CONTENT_DIRS = ("ontology", "data", "queries")
SHAPES_FILE = "shapes.ttl"
ONTOLOGY_FILE = "cyberframe.ttl"


@cache
def content_root() -> Path:
    """The folder that holds ``ontology/``, ``data/`` and ``queries/``."""
    package = Path(__file__).resolve().parent
    for candidate in (package, package.parents[1]):
        if all((candidate / name).is_dir() for name in CONTENT_DIRS[:2]):
            return candidate
    raise FileNotFoundError(f"cyberframe content (ontology/, data/) not found next to {package}; reinstall the package")


def ontology_dir() -> Path:
    return content_root() / "ontology"


def data_dir() -> Path:
    return content_root() / "data"


def queries_dir() -> Path:
    return content_root() / "queries"


def shapes_path() -> Path:
    return ontology_dir() / SHAPES_FILE


def ontology_path() -> Path:
    return ontology_dir() / ONTOLOGY_FILE


@dataclass(frozen=True)
class Source:
    """One Turtle source file and the name of the named graph it is loaded into."""

    name: str
    path: Path

    @property
    def relative(self) -> str:
        """``folder/file.ttl``: how the source is named in the build hash and in messages."""
        return f"{self.path.parent.name}/{self.path.name}"


def graph_name(path: Path) -> str:
    """``ontology/cyberframe.ttl`` -> ``ontology``; any other file -> its stem."""
    return "ontology" if path.name == ONTOLOGY_FILE else path.stem


def sources() -> tuple[Source, ...]:
    """The files of the knowledge graph: the ontology and its alignments, then the data.

    The SHACL shapes are not data and are not loaded into the dataset.
    """
    files = sorted(p for p in ontology_dir().glob("*.ttl") if p.name != SHAPES_FILE)
    files += sorted(data_dir().glob("*.ttl"))
    return tuple(Source(graph_name(p), p) for p in files)


@cache
def internal_query(name: str) -> str:
    """The text of ``internal_queries/NAME.rq``: a query the code runs for itself (stats, exports, pages).

    Unlike the named queries of ``queries/``, these take no parameters from users and are not served;
    their ``#+ summary:`` line says what they answer. ``editor-starter.rq`` is the exception: the text the
    SPARQL editor starts with, shown to people as it is.
    """
    return files("cyberframe").joinpath("internal_queries", name + ".rq").read_text(encoding="utf-8")


def source_root() -> Path | None:
    """The repository (a source checkout or an unpacked sdist) around the package, with ``docs/`` and
    ``mkdocs.yml``; None in an installed wheel, which ships neither."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "mkdocs.yml").is_file() and (root / "docs").is_dir() else None
