"""README and docs/ promises that must stay true: the two set-up commands, the named-query table, the CLI,
the README's size, the links between the pages."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest
from click.testing import CliRunner

from conftest import ROOT
from cyberframe.cli import main
from cyberframe.named_queries import load_catalogue

README_PATH = ROOT / "README.md"
README = README_PATH.read_text(encoding="utf-8")
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README_PATH, *DOCS]
NAMED_QUERIES = ROOT / "docs" / "named-queries.md"

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+).+?\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def setup_commands() -> dict[str, str]:
    return dict(re.findall(r"<!-- setup:(\w+) -->\n```bash\n(.+)\n```", README))


def prose_lines(text: str) -> list[str]:
    """The lines of a Markdown page outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text, lower-cased, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown page, with GitHub's -1, -2 … suffixes for repeated headings."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    """The link targets of a page that point inside the repository (no scheme, not mail), code excluded."""
    targets = []
    for line in prose_lines(path.read_text(encoding="utf-8")):
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                targets.append(target)
    return targets


def test_exactly_two_setup_commands():
    commands = setup_commands()
    assert set(commands) == {"serve", "test"}
    assert commands["serve"].endswith("cyberframe serve") and "pip install ." in commands["serve"]
    assert commands["test"].endswith(".venv/bin/pytest -n auto") and "[test]" in commands["test"]


def test_ci_runs_the_readme_test_command():
    assert "<!-- setup:test -->" in (ROOT / ".ci/run").read_text()


def test_readme_stays_short():
    assert README_PATH.stat().st_size < 10_240, "README.md is for newcomers: move the depth into docs/"


def test_every_named_query_is_in_the_table_with_its_examples():
    page = NAMED_QUERIES.read_text(encoding="utf-8")
    catalogue = load_catalogue()
    for query in catalogue.values():
        args = "".join(f" -p {k}={v}" for k, v in query.example.items())
        http = f"/queries/{query.name}" + (f"?{urlencode(query.example)}" if query.example else "")
        assert f"| `{query.name}` |" in page, query.name
        assert f"`cyberframe query {query.name}{args}`" in page, query.name
        assert f"`curl 'localhost:8000{http}'`" in page, query.name
    rows = set(re.findall(r"^\| `([\w-]+)` \|", page, re.MULTILINE))
    assert rows == {query.name for query in catalogue.values()}, "a row for a query that does not exist"


def test_every_documented_command_exists():
    documented: set[str] = set()
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        documented |= set(re.findall(r"`cyberframe (\w[\w-]*)", text))
        documented |= set(re.findall(r"^\$ cyberframe (\w[\w-]*)", text, re.MULTILINE))
    commands = CliRunner().invoke(main, ["--help"]).output.split("Commands:")[1].splitlines()
    listed = {line.split()[0] for line in commands if line.startswith("  ") and line.split()}
    assert {"serve", "query", "validate", "export"} <= documented
    assert documented <= listed, documented - listed


def test_the_docs_pages_exist():
    names = {path.name for path in DOCS}
    assert {
        "data-model.md",
        "provenance.md",
        "http.md",
        "serving.md",
        "benchmarks.md",
        "named-queries.md",
        "validation.md",
        "tool-builders.md",
    } <= names


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path):
    broken = []
    for target in relative_links(path):
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not linked.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif not linked.exists():
            broken.append(f"{target}: no such file")
        elif fragment and linked.suffix == ".md" and unquote(fragment).lower() not in anchors(linked):
            broken.append(f"{target}: no heading #{fragment} in {linked.relative_to(ROOT)}")
    assert not broken, broken


def test_the_link_checker_sees_links_and_headings():
    """The checks above are only as good as their parsers: GitHub's slugs and a link per page."""
    assert slug("Linked data: `/id` pages") == "linked-data-id-pages"
    assert slug("Joining from CSF 2.0 or ISO/IEC 27002:2013 identifiers") == (
        "joining-from-csf-20-or-isoiec-270022013-identifiers"
    )
    assert slug("Worker processes and time-limits") == "worker-processes-and-time-limits"
    assert "set-up" in anchors(README_PATH) and "development" in anchors(README_PATH)
    assert "docs/named-queries.md" in relative_links(README_PATH)
    for path in DOCS:
        assert relative_links(path), f"{path.name} links to no other page"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_cite_the_specs_not_the_tracker(path: Path):
    text = path.read_text(encoding="utf-8")
    assert "DESIGN" + ".md" not in text  # spelt in two pieces, so this guard does not trip the tree-wide one
    assert not re.search(r"\bissue \d+", text, re.IGNORECASE), re.search(r"\bissue \d+", text, re.IGNORECASE)
