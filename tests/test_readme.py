"""README promises that must stay true: the two set-up commands, the named-query table, the CLI."""

from __future__ import annotations

import re

from click.testing import CliRunner

from conftest import ROOT
from cyberframe.cli import main
from cyberframe.named_queries import load_catalogue

README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> dict[str, str]:
    return dict(re.findall(r"<!-- setup:(\w+) -->\n```bash\n(.+)\n```", README))


def test_exactly_two_setup_commands():
    commands = setup_commands()
    assert set(commands) == {"serve", "test"}
    assert commands["serve"].endswith("cyberframe serve") and "pip install ." in commands["serve"]
    assert commands["test"].endswith(".venv/bin/pytest") and "[test]" in commands["test"]


def test_ci_runs_the_readme_test_command():
    assert "<!-- setup:test -->" in (ROOT / ".ci/run").read_text()


def test_every_named_query_is_in_the_table_with_its_example():
    for query in load_catalogue().values():
        args = "".join(f" -p {k}={v}" for k, v in query.example.items())
        assert f"| `{query.name}` |" in README, query.name
        assert f"`cyberframe query {query.name}{args}`" in README, query.name


def test_every_documented_command_exists():
    documented = set(re.findall(r"`cyberframe (\w[\w-]*)", README))
    commands = CliRunner().invoke(main, ["--help"]).output.split("Commands:")[1].splitlines()
    listed = {line.split()[0] for line in commands if line.startswith("  ") and line.split()}
    assert documented <= listed
