"""``cyberframe export``: the knowledge graph in the formats tool builders use."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..exports import FORMATS, ExportError
from ..files import write_atomically
from . import table


def _list_formats() -> None:
    rows = [[f.name, f.media_type, f.filename, f.summary] for f in FORMATS.values()]
    click.echo(table(["format", "media type", "published as", "what"], rows))


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{n} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)


@click.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(list(FORMATS)), metavar="FORMAT", help="What to export (see --list)."
)
@click.option("--list", "list_formats", is_flag=True, help="List the export formats and exit.")
@click.option("--graph", metavar="NAME", help="RDF dumps: only this named graph (e.g. framework, inferred).")
@click.option(
    "--inferred/--asserted",
    default=None,
    help="RDF dumps: with the OWL 2 RL entailments (the default) or the asserted graphs only.",
)
@click.option(
    "--mapping-set",
    "mapping_sets",
    multiple=True,
    metavar="NAME",
    help="SSSOM, STRM: only this mapping set (repeatable), e.g. ts27103-iso27002-2022.",
)
@click.option("--service-url", metavar="URL", help="VoID: the deployment's base URL, to name its endpoints.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE (atomically) instead of standard output.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on standard error.")
def export(
    fmt: str | None,
    list_formats: bool,
    graph: str | None,
    inferred: bool | None,
    mapping_sets: tuple[str, ...],
    service_url: str | None,
    output: Path | None,
    quiet: bool,
) -> None:
    """Export the knowledge graph as RDF, JSON-LD, SSSOM, OSCAL, STRM, VoID or HTML documentation."""
    from .. import api

    if list_formats:
        _list_formats()
        return
    if fmt is None:
        raise click.UsageError("give --format FORMAT (cyberframe export --list shows them)")

    started = time.perf_counter()

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.strftime('%H:%M:%S')}] {message}", err=True)

    try:
        data = api.export(
            fmt,
            graph=graph,
            inferred=inferred,
            mapping_sets=mapping_sets or None,
            service_url=service_url,
            progress=progress,
        )
    except ExportError as exc:
        raise click.UsageError(str(exc)) from exc
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        where = "standard output"
    else:
        try:
            write_atomically(output, data)
        except OSError as exc:
            raise click.UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc
        where = str(output)
    progress(f"{fmt}: {_size(len(data))} to {where} in {time.perf_counter() - started:.2f} s")
