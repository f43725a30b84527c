"""The command line as a user runs it: ``cyberframe build``, ``stats`` and ``fmt``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner

from conftest import ROOT
from cyberframe.cli import main


def expected_counts(reference) -> dict:
    core = reference("csf11-core.csv")
    controls = reference("iso27002-2022-controls.csv")
    return {
        "Function": len({r["function_id"] for r in core}),
        "Category": len({r["category_id"] for r in core}),
        "Subcategory": len(core),
        "Clause": len(reference("iso27001-2022-clauses.csv")),
        "Csf20Subcategory": len(reference("csf20-core.csv")),
        "Principle": len(reference("meti-principles.csv")),
        "controls": len(controls),
        "themes": dict(Counter(r["theme"] for r in controls)),
        "new": sum(r["new_in_2022"] == "true" for r in controls),
    }


def test_stats_json_reports_the_reference_counts(kg, reference):
    result = CliRunner().invoke(main, ["stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    want = expected_counts(reference)
    for cls in ("Function", "Category", "Subcategory", "Clause", "Csf20Subcategory", "Principle"):
        assert stats["instances"][cls] == want[cls], cls
    assert stats["provisions_by_standard"]["ISO/IEC 27002:2022"] == want["controls"] == 93
    assert stats["provisions_by_standard"]["ISO/IEC 27001:2022"] == want["Clause"] == 41
    assert stats["controls_by_theme"] == want["themes"]
    assert stats["new_provisions_by_standard"] == {"ISO/IEC 27002:2022": want["new"]}
    assert stats["build_hash"] == kg.build_hash and stats["ontology_version"] == "0.1.0"
    assert stats["triples"] == sum(stats["graphs"].values()) == kg.manifest.triples
    assert "inferred" in stats["graphs"]


def test_stats_table_is_readable(kg):
    result = CliRunner().invoke(main, ["stats"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.split() == ["cf:Subcategory", "108"] for line in lines)
    assert any(line.split() == ["ISO/IEC", "27002:2022", "93", "11"] for line in lines)


def test_build_if_stale_reuses_a_fresh_snapshot(kg):
    result = CliRunner().invoke(main, ["build", "--if-stale"])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"fresh: {kg.manifest.triples} triples")


@pytest.mark.slow
def test_stats_runs_as_a_real_process(kg):
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}
    proc = subprocess.run(
        [sys.executable, "-m", "cyberframe.cli", "stats", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT / "tests",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["instances"]["Subcategory"] == 108
    assert proc.stderr == "", "a warm start must not rebuild or warn"


def test_fmt_check_flags_an_unnormalised_file(tmp_path):
    messy = tmp_path / "messy.ttl"
    messy.write_text("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<urn:a>   skos:notation 'x'.\n")
    runner = CliRunner()
    check = runner.invoke(main, ["fmt", "--check", str(messy)])
    assert check.exit_code == 1 and "would reformat" in check.output
    assert runner.invoke(main, ["fmt", str(messy)]).exit_code == 0
    assert runner.invoke(main, ["fmt", "--check", str(messy)]).exit_code == 0
    assert messy.read_text().startswith("PREFIX skos:")


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2


def test_query_list_names_every_query():
    from cyberframe.named_queries import load_catalogue

    result = CliRunner().invoke(main, ["query", "--list"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line and not line.startswith(" ")}
    assert listed == set(load_catalogue())


def test_query_table_csv_json_tsv(kg, reference):
    import csv
    import io

    expected = {r["subcategory_id"] for r in reference("csf11-core.csv") if r["function_id"] == "DE"}
    runner = CliRunner()
    table = runner.invoke(main, ["query", "function-structure", "-p", "function=DE"])
    assert table.exit_code == 0
    tokens = {token for line in table.stdout.splitlines()[2:] for token in line.split()}
    assert {t for t in tokens if re.fullmatch(r"[A-Z]{2}\.[A-Z]{2}-\d+", t)} == expected
    assert len(table.stdout.splitlines()) == 2 + len(expected)
    as_csv = runner.invoke(main, ["query", "function-structure", "--param", "function=DE", "--format", "csv"])
    assert {r["subcategory"] for r in csv.DictReader(io.StringIO(as_csv.stdout))} == expected
    as_tsv = runner.invoke(main, ["query", "function-structure", "-p", "function=DE", "--format", "tsv"])
    assert {line.split("\t")[3].strip('"') for line in as_tsv.stdout.splitlines()[1:]} == expected
    as_json = json.loads(runner.invoke(main, ["query", "function-structure", "-p", "function=DE", "--format", "json"]).stdout)
    assert {b["subcategory"]["value"] for b in as_json["results"]["bindings"]} == expected


def test_query_ad_hoc_sparql_from_file_and_stdin(kg, tmp_path):
    file = tmp_path / "q.rq"
    file.write_text("PREFIX cf: <https://w3id.org/cyberframe/ontology#> SELECT (COUNT(?s) AS ?n) WHERE { ?s a cf:Subcategory }")
    runner = CliRunner()
    result = runner.invoke(main, ["query", "--sparql", str(file), "--format", "csv"])
    assert result.exit_code == 0 and result.stdout.splitlines() == ["n", "108"]
    piped = runner.invoke(main, ["query", "--sparql", "-", "--format", "csv"], input=file.read_text())
    assert piped.stdout.splitlines() == ["n", "108"]


@pytest.mark.parametrize(
    ("fmt", "written"),
    [("csv", "CSV"), ("tsv", "TSV"), ("json", "JSON"), ("xml", "XML"), ("graph-csv", "N_TRIPLES"), ("graph-xml", "RDF_XML")],
)
def test_query_output_is_the_store_s_own_serialization(kg, fmt, written):
    """The command writes, byte for byte, what pyoxigraph writes for the same query run straight on the store."""
    import pyoxigraph as ox

    if fmt.startswith("graph-"):
        text = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <https://w3id.org/cyberframe/graph/framework> { ?s ?p ?o } } ORDER BY ?s ?p ?o LIMIT 300"
        direct = ox.serialize(kg.query(text), format=getattr(ox.RdfFormat, written))
    else:
        # every kind of term, an unbound variable, and more rows than the library's default cap (none on the CLI)
        text = "SELECT ?s ?p ?o ?none WHERE { ?s ?p ?o OPTIONAL { ?s <urn:x:nothing> ?none } } ORDER BY ?s ?p ?o LIMIT 12000"
        direct = kg.query(text).serialize(format=getattr(ox.QueryResultsFormat, written))
    result = CliRunner().invoke(main, ["query", "--sparql", "-", "--format", fmt.removeprefix("graph-")], input=text)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == direct
    if not fmt.startswith("graph-"):
        assert len(kg.query(text).serialize(format=ox.QueryResultsFormat.TSV).splitlines()) == 12001


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "no-such-query"], "no named query"),
        (["query", "function-structure", "-p", "function=XX"], "must be one of: DE, ID, PR, RC, RS"),
        (["query", "control-subcategories", "-p", "control=9.99"], "names no ISO/IEC 27002:2022 control"),
        (["query", "function-structure", "-p", "nope"], "NAME=VALUE"),
        (["query"], "give a query NAME or --sparql"),
    ],
)
def test_query_bad_input_exits_2_with_a_message(kg, args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output


def test_query_syntax_error_names_the_position(kg):
    result = CliRunner().invoke(main, ["query", "--sparql", "-"], input="SELECT * WHERE { ?s ?p")
    assert result.exit_code == 2
    assert "SPARQL syntax error: error at 1:" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }", "SERVICE (federated query) is refused"),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "read-only"),
        ("LOAD <http://127.0.0.1:{port}/data.ttl>", "read-only"),
    ],
)
def test_ad_hoc_sparql_never_reaches_the_network(kg, text, message):
    """A listener on 127.0.0.1 named in SERVICE or LOAD must see no connection; the CLI exits 2."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        result = CliRunner().invoke(main, ["query", "--sparql", "-"], input=text.replace("{port}", str(port)))
        assert result.exit_code == 2 and message in result.output
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()
