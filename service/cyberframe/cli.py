"""The ``cyberframe`` command line.

Exit codes: 0 fine, 1 validation found violations (or `load` found a graph that differs), 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from . import __version__
from .commands import progress, table


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cyberframe")
def main() -> None:
    """cyberframe: the ISO/IEC TS 27103:2026 cybersecurity framework as a knowledge graph."""


@main.command()
@click.option(
    "--force/--if-stale",
    default=True,
    show_default=True,
    help="Rebuild even if the snapshot is fresh, or only when it is stale.",
)
def build(force: bool) -> None:
    """Load the sources, run OWL 2 RL inference and write the snapshot."""
    from .knowledge import open_knowledge_graph
    from .snapshot import cache_dir, prune

    started = time.perf_counter()
    kg = open_knowledge_graph(rebuild=force, progress=progress)
    prune(cache_dir(), keep=kg.build_hash)
    state = "built" if kg.rebuilt else "fresh"
    click.echo(
        f"{state}: {kg.manifest.triples} triples in {len(kg.manifest.graphs)} graphs, "
        f"build {kg.build_hash[:12]}, {time.perf_counter() - started:.2f} s"
    )


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def stats(fmt: str) -> None:
    """Triples per graph, instances per class, versions and build hash."""
    from .knowledge import open_knowledge_graph
    from .stats import collect_stats

    result = collect_stats(open_knowledge_graph(progress=progress))
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    click.echo(f"cyberframe {result.version}  ontology {result.ontology_version}")
    click.echo(f"build {result.build_hash}  built {result.built_at}\n")
    graphs = [[name, n] for name, n in result.graphs.items()] + [["total", result.triples]]
    click.echo(table(["graph", "triples"], graphs))
    click.echo()
    click.echo(table(["class", "instances"], [[f"cf:{k}", v] for k, v in result.instances.items()]))
    click.echo()
    click.echo(
        table(
            ["standard", "provisions", "new in edition"],
            [[k, v, result.new_provisions.get(k, 0)] for k, v in result.provisions.items()],
        )
    )
    click.echo()
    click.echo(table(["ISO/IEC 27002:2022 theme", "controls"], [[k, v] for k, v in result.themes.items()]))


@main.command("fmt")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Only report files that are not normalised (exit 1 if any).")
def fmt(files: tuple[Path, ...], check: bool) -> None:
    """Normalise Turtle sources (default: ontology/*.ttl and data/*.ttl) as rdflib longturtle."""
    from rdflib import Graph

    from .namespaces import bind_prefixes
    from .resources import data_dir, ontology_dir

    targets = files or (*sorted(ontology_dir().glob("*.ttl")), *sorted(data_dir().glob("*.ttl")))
    changed = []
    for path in targets:
        text = path.read_text(encoding="utf-8")
        try:
            graph = bind_prefixes(Graph()).parse(data=text, format="turtle")
        except Exception as exc:  # rdflib raises several parser exception types
            raise click.ClickException(f"{path}: {exc}") from exc
        normal = graph.serialize(format="longturtle")
        if normal != text:
            changed.append(path)
            if not check:
                path.write_text(normal, encoding="utf-8")
    for path in changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {path}")
    if check and changed:
        sys.exit(1)


# Commands that live in their own modules register here, one line each.
main.add_command(__import__("cyberframe.commands.serve", fromlist=["serve"]).serve)
main.add_command(__import__("cyberframe.commands.query", fromlist=["query"]).query)
main.add_command(__import__("cyberframe.commands.export", fromlist=["export"]).export)
main.add_command(__import__("cyberframe.commands.validate", fromlist=["validate"]).validate)
main.add_command(__import__("cyberframe.commands.mcp", fromlist=["mcp"]).mcp)
main.add_command(__import__("cyberframe.commands.coverage", fromlist=["coverage"]).coverage)
main.add_command(__import__("cyberframe.commands.load", fromlist=["load"]).load)


if __name__ == "__main__":
    sys.exit(main())
