"""``cyberframe query``: run a named query or ad-hoc SPARQL from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from . import table

if TYPE_CHECKING:
    from rdflib.term import Node

    from ..api import Result

#: ``--format`` -> the format :meth:`cyberframe.Result.serialize` writes, for rows and for triples.
_FORMATS = {"csv": "csv", "tsv": "tsv", "json": "json", "xml": "xml"}
_GRAPH_FORMATS = {"table": "turtle", "csv": "ntriples", "tsv": "ntriples", "json": "jsonld-expanded", "xml": "rdfxml"}


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.UsageError(f"--param takes NAME=VALUE, got {pair!r}")
        params[name] = value
    return params


def _cell(term: Node | None) -> str:
    from rdflib import URIRef

    from ..namespaces import curie

    if term is None:
        return ""
    if isinstance(term, URIRef):
        return curie(str(term)) or str(term)
    return str(term)


def _emit(result: Result, fmt: str) -> None:
    if result.form == "ASK":
        click.echo("true" if result.boolean else "false")
        return
    if result.form in ("CONSTRUCT", "DESCRIBE"):
        sys.stdout.buffer.write(result.serialize(_GRAPH_FORMATS[fmt]))
        return
    if fmt == "table":
        rows = [[_cell(row.get(v)) for v in result.variables] for row in result]
        click.echo(table(result.variables, rows))
        click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)
        return
    sys.stdout.buffer.write(result.serialize(_FORMATS[fmt]))


@click.command("query")
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A query parameter (repeatable).")
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and their parameters.")
@click.option("--sparql", type=click.File("r", encoding="utf-8"), help="Run the SPARQL in FILE ('-' for stdin).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "xml"]), default="table", show_default=True
)
def query(name: str | None, params: tuple[str, ...], list_queries: bool, sparql: TextIO | None, fmt: str) -> None:
    """Run the named query NAME (see --list) or ad-hoc SPARQL (--sparql FILE)."""
    from .. import api
    from ..named_queries import NamedQueryError

    if list_queries:
        for q in api.queries().values():
            args = " ".join(f"{p.name}={'…' if p.required else (p.default or '')}" for p in q.params)
            click.echo(f"{q.name:28s} {q.summary}")
            if args:
                click.echo(f"{'':28s}   params: {args}")
        return
    if (name is None) == (sparql is None):
        raise click.UsageError("give a query NAME or --sparql FILE (and not both); --list shows the names")
    if sparql is not None and params:
        raise click.UsageError("--param goes with a named query, not with --sparql")

    def progress(message: str) -> None:
        click.echo(message, err=True)

    # The command line has no row cap: the answer is the user's own, written in full.
    try:
        if sparql is not None:  # the same read-only, offline admission as the HTTP endpoint
            result = api.sparql(sparql.read(), max_rows=sys.maxsize, progress=progress)
        else:
            assert name is not None
            result = api.query(name, max_rows=sys.maxsize, parameters=_parse_params(params), progress=progress)
    except NamedQueryError as exc:
        raise click.UsageError(str(exc)) from exc
    except api.QueryError as exc:
        if exc.kind != "syntax":
            raise click.UsageError(exc.message) from exc
        source = Path(sparql.name).name if sparql is not None and sparql.name != "<stdin>" else "query"
        raise click.UsageError(f"{source}: {exc.message}") from exc
    _emit(result, fmt)
