"""The command line as a user runs it: ``cyberframe build``, ``stats`` and ``fmt``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

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
