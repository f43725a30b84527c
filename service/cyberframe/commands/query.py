"""``cyberframe query``: run a named query or ad-hoc SPARQL from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import table

_FORMATS = {"csv": "CSV", "tsv": "TSV", "json": "JSON", "xml": "XML"}
_GRAPH_FORMATS = {"table": "TURTLE", "csv": "N_TRIPLES", "tsv": "N_TRIPLES", "json": "JSON_LD", "xml": "RDF_XML"}


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.UsageError(f"--param takes NAME=VALUE, got {pair!r}")
        params[name] = value
    return params


def _cell(term) -> str:
    from ..namespaces import curie

    if term is None:
        return ""
    if type(term).__name__ == "NamedNode":
        return curie(term.value) or term.value
    return term.value


def _emit(result, fmt: str) -> None:
    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        click.echo("true" if bool(result) else "false")
        return
    if isinstance(result, ox.QueryTriples):
        from ..namespaces import PREFIXES
        from ..rdfio import written

        rdf_format = getattr(ox.RdfFormat, _GRAPH_FORMATS[fmt])
        prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE,) else None
        sys.stdout.buffer.write(written(ox.serialize(result, format=rdf_format, prefixes=prefixes)))
        return
    if fmt == "table":
        variables = [v.value for v in result.variables]
        rows = [[_cell(row[v]) for v in variables] for row in result]
        click.echo(table(variables, rows))
        click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)
        return
    data = result.serialize(format=getattr(ox.QueryResultsFormat, _FORMATS[fmt]))
    sys.stdout.buffer.write(data)


@click.command("query")
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A query parameter (repeatable).")
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and their parameters.")
@click.option("--sparql", type=click.File("r", encoding="utf-8"), help="Run the SPARQL in FILE ('-' for stdin).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "xml"]), default="table", show_default=True
)
def query(name: str | None, params: tuple[str, ...], list_queries: bool, sparql, fmt: str) -> None:
    """Run the named query NAME (see --list) or ad-hoc SPARQL (--sparql FILE)."""
    from ..errors import ProtocolError
    from ..named_queries import NamedQueryError, QueryCatalogue, load_catalogue
    from ..sparql.admission import admit

    if list_queries:
        for q in load_catalogue().values():
            args = " ".join(f"{p.name}={'…' if p.required else (p.default or '')}" for p in q.params)
            click.echo(f"{q.name:28s} {q.summary}")
            if args:
                click.echo(f"{'':28s}   params: {args}")
        return
    if (name is None) == (sparql is None):
        raise click.UsageError("give a query NAME or --sparql FILE (and not both); --list shows the names")
    from ..knowledge import open_knowledge_graph

    kg = open_knowledge_graph(progress=lambda m: click.echo(m, err=True))
    try:
        if sparql is not None:
            if params:
                raise click.UsageError("--param goes with a named query, not with --sparql")
            text = sparql.read()
            admit(text)  # the same read-only, offline gate as the HTTP endpoint
            result = kg.query(text)
        else:
            assert name is not None
            result = QueryCatalogue(kg).run(name, _parse_params(params))
    except (NamedQueryError, ProtocolError) as exc:
        raise click.UsageError(exc.message if isinstance(exc, ProtocolError) else str(exc)) from exc
    except SyntaxError as exc:
        source = Path(sparql.name).name if sparql is not None and sparql.name != "<stdin>" else "query"
        raise click.UsageError(f"{source}: SPARQL syntax error: {exc}") from exc
    except RuntimeError as exc:  # e.g. a function the engine does not provide
        raise click.UsageError(f"query evaluation failed: {exc}") from exc
    try:
        _emit(result, fmt)
    except OSError as exc:  # evaluation is lazy: a failing query surfaces while its rows are written
        raise click.UsageError(f"query evaluation failed: {exc}") from exc
