"""``cyberframe coverage``: what a Statement of Applicability covers of the framework, and where the gaps are.

Exit codes: 0 the report was written, 2 bad input or usage (unreadable, empty,
oversized, no id column, malformed profile).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import progress
from .validate import DEFAULT_MAX_SIZE, ByteSize

SETS = ("ts27103", "via-csf20")


@click.command("coverage")
@click.argument("soa", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "html"]), default="table",
              show_default=True, help="table for a terminal, csv per subcategory, json or a standalone html page.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report here instead of standard output.")
@click.option("--sets", "sets", multiple=True, type=click.Choice(SETS), default=("ts27103",), show_default=True,
              help="Mapping sets from subcategories to controls; repeat to combine them (differences are flagged).")
@click.option("--max-size", type=ByteSize(), default=DEFAULT_MAX_SIZE, show_default=True,
              help="Refuse an input larger than this (bytes, or with K, M or G).")
def coverage(soa: str, fmt: str, output: Path | None, sets: tuple[str, ...], max_size: int) -> None:
    """Coverage of the framework (and NIST CSF 2.0) by the controls of SOA.

    SOA is a CSV or XLSX Statement of Applicability (a control id column and an
    optional status column: implemented, partial, planned, not applicable) or an
    RDF organisational profile (.ttl, .jsonld); '-' reads CSV from standard input.
    """
    from .. import api
    from ..coverage import CoverageInputError
    from ..rdfio import RdfInputError

    try:
        if soa == "-":
            report = api.coverage(sys.stdin.buffer.read(max_size + 1), filename="stdin.csv", sets=sets,
                                  max_bytes=max_size, progress=progress)
        else:
            report = api.coverage(soa, sets=sets, max_bytes=max_size, progress=progress)
    except OSError as exc:
        click.echo(f"error: {soa}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    except (CoverageInputError, RdfInputError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    text = report.render(fmt, color=output is None and fmt == "table" and sys.stdout.isatty())
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        t = report.framework.total
        click.echo(f"wrote {output}: {t.counts['covered']} of {t.mappable} mappable subcategories covered", err=True)
