"""``cyberframe validate``: check files, or the shipped graph, against the SHACL shapes.

Exit codes: 0 the data conforms (no result at or above ``--fail-on``), 1 it
does not, 2 bad input or usage (unreadable, oversized, hostile or malformed
RDF, unusable shapes, unknown options).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

from . import progress

if TYPE_CHECKING:
    from rdflib.term import Node

    from ..validation import ValidationOutcome, ValidationResult

# Kept here, not imported, so that ``cyberframe --help`` does not load rdflib or pyoxigraph;
# tests/test_validation_cli.py keeps them equal to the library's lists.
INPUT_FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml", "n3")
INFERENCE_MODES = ("none", "rdfs", "owlrl")
ENGINES = ("auto", "pyshacl", "turbo")
SEVERITIES = ("violation", "warning", "info")
DEFAULT_MAX_SIZE = "64M"
#: The command's time limit when CYBERFRAME_VALIDATE_TIMEOUT is not set: a person waits for their own files,
#: with inference too, so more than the service's 30 s.
CLI_TIMEOUT = 300.0

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class ByteSize(click.ParamType):
    """A size in bytes, with an optional K, M or G (binary) suffix: ``500K``, ``64M``."""

    name = "size"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = _SIZE.match(str(value))
        if not match:
            self.fail(f"{value!r} is not a size such as 1048576, 500K or 64M", param, ctx)
        return int(match.group(1)) * _UNITS[match.group(2).lower()]


@click.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--shapes",
    "shapes",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Validate against these SHACL shapes instead of cyberframe's (repeatable).",
)
@click.option(
    "--inference",
    type=click.Choice(INFERENCE_MODES),
    default="none",
    show_default=True,
    help="Entailments added for shapes that assume entailed data; asserted-data shapes never see them.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "turtle", "json"]),
    default="text",
    show_default=True,
    help="text for people, turtle for the sh:ValidationReport, json for a flat list of results.",
)
@click.option(
    "--format-in",
    type=click.Choice(INPUT_FORMATS),
    default=None,
    help="Format of FILES (default: from each file's extension; required for '-').",
)
@click.option(
    "--max-size",
    type=ByteSize(),
    default=DEFAULT_MAX_SIZE,
    show_default=True,
    help="Refuse any input file larger than this (bytes, or with K, M or G).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    help="SHACL engine: pyshacl-turbo when installed, else pySHACL (the reference).",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default="violation",
    show_default=True,
    help="Exit 1 when a result at least this severe is found.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    help=f"Seconds for reading and validating FILES (default: CYBERFRAME_VALIDATE_TIMEOUT, else {CLI_TIMEOUT:g}).",
)
@click.option(
    "--memory-mb",
    type=click.IntRange(min=0),
    default=None,
    help="Address space of the validation worker in MiB, 0 for none "
    "(default: CYBERFRAME_VALIDATE_MEMORY_MB, else 2048).",
)
def validate(
    files: tuple[str, ...],
    shapes: tuple[str, ...],
    inference: str,
    fmt: str,
    format_in: str | None,
    max_size: int,
    engine: str,
    fail_on: str,
    timeout: float | None,
    memory_mb: int | None,
) -> None:
    """Validate FILES together with cyberframe's ontology and data, or the shipped graph alone.

    Your files are merged with the shipped graph, so links to cyberframe IRIs
    (controls, clauses, subcategories) resolve and are checked. RDF/XML with a
    DOCTYPE or entities, and JSON-LD with a remote @context, are refused.
    FILES are read and validated in a worker process under a time and a
    memory limit (--timeout, --memory-mb); the shipped graph alone is
    validated in this process.
    """
    from rdflib.namespace import SH

    from ..rdfio import RdfInputError
    from ..settings import Settings, SettingsError
    from ..sparql.validator import ValidationRefused
    from ..validation import ShapesError
    from ..validation import validate as run_validation

    try:
        if files:
            import os

            settings = Settings.resolve()
            if timeout is None and "CYBERFRAME_VALIDATE_TIMEOUT" not in os.environ:
                timeout = CLI_TIMEOUT
            limits = (
                settings.validate_timeout if timeout is None else timeout,
                settings.validate_memory_mb if memory_mb is None else memory_mb,
            )
            outcome = _bounded(files, shapes, inference, engine, format_in, max_size, limits)
        else:
            outcome = run_validation(
                None,
                inference=inference,  # type: ignore[arg-type]
                shapes=list(shapes) or None,
                engine=engine,  # type: ignore[arg-type]
                format=format_in,
                max_bytes=max_size,
                progress=progress,
            )
    except RdfInputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationRefused as exc:
        click.echo(f"error: {exc.message} (raise --timeout or --memory-mb to allow more)", err=True)
        sys.exit(2)
    except (ShapesError, SettingsError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)

    if fmt == "json":
        click.echo(json.dumps(outcome.to_dicts(), indent=2, ensure_ascii=False))
    elif fmt == "turtle":
        click.echo(outcome.report_turtle(), nl=False)
    else:
        click.echo(render_text(outcome, files=files))
    threshold = {"violation": SH.Violation, "warning": SH.Warning, "info": SH.Info}[fail_on]
    sys.exit(1 if outcome.fails(threshold) else 0)


def _bounded(
    files: tuple[str, ...],
    shapes: tuple[str, ...],
    inference: str,
    engine: str,
    format_in: str | None,
    max_size: int,
    limits: tuple[float, int],
) -> ValidationOutcome:
    """Read and validate FILES in one validation worker (the pool ``POST /validate`` uses), within *limits*."""
    from ..knowledge import open_knowledge_graph
    from ..rdfio import RdfInputError, format_name
    from ..sparql.validator import BoundedValidator, Limits, shipped_store
    from ..sparql.worker import Document, ValidationJob
    from ..validation import _resolve_engine

    _resolve_engine(engine)  # an unusable engine is a usage error before any work
    documents = []
    for name in files:
        if name == "-":
            if format_in is None:
                raise RdfInputError("<stdin>", "give the format of standard input explicitly", kind="format")
            data = sys.stdin.buffer.read(max_size + 1)
            if len(data) > max_size:
                raise RdfInputError("<stdin>", f"more than the limit of {max_size} bytes", kind="too-large")
            documents.append(Document("<stdin>", data, format=format_name(format_in)))
        else:
            documents.append(Document(name, path=name, format=format_in))
    shape_documents = tuple(Document(name, path=name) for name in shapes)
    progress("opening the knowledge graph")
    validator = BoundedValidator(
        shipped_store(open_knowledge_graph(progress=progress)), workers=1, limits=Limits(*limits), isolate_network=True
    )
    try:
        job = ValidationJob(
            data=tuple(documents), shapes=shape_documents, inference=inference, engine=engine, max_bytes=max_size
        )
        progress(f"validating {len(files)} file{'s' if len(files) != 1 else ''} in a worker")
        outcome, _ = validator.run(job)
    finally:
        validator.close()
    return outcome


def render_text(outcome: ValidationOutcome, *, files: tuple[str, ...] = ()) -> str:
    """The report for people: results grouped by focus node, with labels, then a one-line summary."""
    from ..validation import shorten

    lines: list[str] = []
    groups: dict[Node, list[ValidationResult]] = {}
    for result in outcome.results:
        groups.setdefault(result.focus, []).append(result)
    for focus, results in groups.items():
        lines.append(_named(focus, outcome.labels, shorten))
        for result in results:
            where = result.path_text or "(focus node)"
            if result.value is not None and result.value != focus:
                where += f"  value {_named(result.value, outcome.labels, shorten)}"
            lines.append(f"  {result.severity_name:<9}  {where}")
            lines.append(f"             {_shorten_iris(result.message, shorten)}")
            component = "" if result.constraint is None else f", {shorten(result.constraint)}"
            lines.append(f"             [{shorten(result.source_shape)}{component}]")
        lines.append("")
    lines.append(summary(outcome, files=files))
    return "\n".join(lines)


def summary(outcome: ValidationOutcome, *, files: tuple[str, ...] = ()) -> str:
    """One line: counts by severity, focus nodes, what was validated and how."""
    what = f"{len(files)} file{'s' if len(files) != 1 else ''} with the shipped graph" if files else "shipped graph"
    how = f"{what}, {outcome.triples} triples, inference {outcome.inference}, {outcome.engine}, {outcome.seconds:.2f} s"
    if outcome.conforms:
        return f"Conforms: no violations, no warnings ({how})."
    counts = {
        "violation": len(outcome.violations),
        "warning": len(outcome.warnings),
        "info": len(outcome.infos),
    }
    parts = ", ".join(f"{n} {name}{'s' if n != 1 else ''}" for name, n in counts.items())
    focus = len({r.focus for r in outcome.results})
    return f"Does not conform: {parts} on {focus} focus node{'s' if focus != 1 else ''} ({how})."


_IRI = re.compile(r"https?://[^\s<>\"{}|^`,]*[^\s<>\"{}|^`,.]")


def _shorten_iris(message: str, shorten) -> str:
    """Messages of SPARQL constraints name IRIs in full; show them with cyberframe's prefixes."""
    from rdflib import URIRef

    def short(match: re.Match[str]) -> str:
        text = shorten(URIRef(match.group(0)))
        return match.group(0) if text.startswith("<") else text

    return _IRI.sub(short, message)


def _named(node: Node, labels: Mapping[Node, str], shorten) -> str:
    label = labels.get(node)
    return f"{shorten(node)} ({label})" if label else shorten(node)
