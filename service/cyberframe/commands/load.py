"""``cyberframe load``: put the built dataset into an external SPARQL store (docs/scaling.md).

Every named graph of the knowledge graph, the inferred graph included, is
sent with one SPARQL 1.1 Graph Store Protocol ``PUT ?graph=IRI`` (§5.3), which
replaces that graph: a rerun leaves the store as one run does. Afterwards the
triples per graph in the store are counted with one SELECT and compared with
the build's manifest. ``--check`` only counts.

Exit codes: 0 the store holds the dataset; 1 it does not (a graph's count
differs from the build's: each is named with both counts); 2 bad input or
usage, a store that cannot be reached, refuses the login, has no Graph Store
endpoint at the GSP URL, or refuses a request.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import progress


@click.command("load")
@click.option(
    "--store",
    "url",
    required=True,
    metavar="URL",
    help="The store's SPARQL 1.1 query endpoint, e.g. http://127.0.0.1:7878/query (Oxigraph server) "
    "or http://127.0.0.1:8890/sparql (Virtuoso).",
)
@click.option(
    "--gsp",
    metavar="URL",
    help="Its Graph Store Protocol endpoint. Default: .../query -> .../store, "
    ".../sparql -> .../sparql-graph-crud-auth (with a login) or .../sparql-graph-crud.",
)
@click.option("--user", help="The user to log in as (HTTP Basic or Digest, as the store asks).")
@click.option("--password", help="Its password (visible to other local users in the process list: prefer --auth-file).")
@click.option(
    "--auth-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding 'user:password' on one line.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the store to connect and to answer each request.",
)
@click.option("--check", is_flag=True, help="Only compare the triples per graph in the store with the build's.")
@click.option(
    "--graph",
    "graphs",
    multiple=True,
    metavar="IRI=FILE",
    help="Also load an RDF file as named graph IRI, as `cyberframe serve --graph` serves it (give serve the same).",
)
def load(
    url: str,
    gsp: str | None,
    user: str | None,
    password: str | None,
    auth_file: Path | None,
    timeout: float,
    check: bool,
    graphs: tuple[str, ...],
) -> None:
    """Load the dataset (every named graph, the inferred one included) into the store at URL, then check it."""
    import pyoxigraph as ox

    from ..knowledge import open_knowledge_graph
    from ..sparql.dataset import GraphFileError, read_graph_file
    from ..triplestore import StoreClient, StoreConfig, StoreError, expected_counts, verify_loaded
    from .serve import graph_pair

    extra: dict[str, bytes] = {}
    extra_counts: dict[str, int] = {}
    for value in graphs:
        iri, path = graph_pair(value)
        try:
            triples = {ox.Triple(q.subject, q.predicate, q.object) for q in read_graph_file(iri, path)}
        except (GraphFileError, ValueError) as exc:  # ValueError: not an IRI
            raise click.BadParameter(str(exc), param_hint="'--graph'") from exc
        extra[iri] = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES) or b""
        extra_counts[iri] = len(triples)

    try:
        config = StoreConfig.from_options(url, gsp=gsp, user=user, password=password, auth_file=auth_file)
    except StoreError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    kg = open_knowledge_graph(progress=progress)
    expected = expected_counts(kg.manifest.graphs)
    if set(extra) & set(expected):
        raise click.BadParameter("a graph file cannot replace one of cyberframe's graphs", param_hint="'--graph'")
    expected.update(extra_counts)
    total = sum(expected.values())
    started = time.perf_counter()
    with StoreClient(config, timeout=timeout) as client:
        try:
            client.ping()
            if not check:
                shared = _shared_blank_nodes(kg.store)
                if shared:
                    progress(
                        f"warning: {shared} blank nodes occur in more than one graph; "
                        "each graph's copy becomes a blank node of its own in the store"
                    )
                progress(f"loading {total} triples in {len(expected)} graphs into {config.redacted()}")
                for number, (iri, count) in enumerate(expected.items(), start=1):
                    data = extra[iri] if iri in extra else kg.store.dump(
                        format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(iri)
                    ) or b""
                    client.put_graph(iri, data, "application/n-triples")
                    progress(f"[{number}/{len(expected)}] {iri}: {count} triples")
            problems = verify_loaded(client, expected)
        except StoreError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)
    seconds = time.perf_counter() - started
    if problems:
        for problem in problems:
            click.echo(f"mismatch: {problem}", err=True)
        click.echo(
            f"the store at {config.redacted()} does not hold the dataset ({len(problems)} graphs differ)", err=True
        )
        sys.exit(1)
    done = "holds" if check else f"loaded in {seconds:.2f} s:"
    click.echo(
        f"{config.redacted()} {done} {total} triples in {len(expected)} graphs, "
        f"build {kg.build_hash[:12]} (counts match)"
    )


def _shared_blank_nodes(store: object) -> int:
    """How many blank nodes occur in more than one named graph (a PUT per graph would split each)."""
    import pyoxigraph as ox

    assert isinstance(store, ox.Store)
    seen: dict[ox.BlankNode, object] = {}
    shared: set[ox.BlankNode] = set()
    for quad in store:
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.BlankNode) and seen.setdefault(term, quad.graph_name) != quad.graph_name:
                shared.add(term)
    return len(shared)
