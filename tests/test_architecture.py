"""The layering of docs/architecture.md, enforced: what may import what, and what the code cites.

* The core library, the SPARQL engine and the exports never import Flask or
  werkzeug (checked in a fresh interpreter, so nothing else loaded them first).
* ``cyberframe.web.api`` and ``cyberframe.web.site`` never import each other.
* Every docs page a module cites exists, with the section it names.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "service" / "cyberframe"
DOCS = ROOT / "docs"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(*, under: str | None = None) -> list[str]:
    return sorted(
        module_name(p)
        for p in PACKAGE.rglob("*.py")
        if under is None or module_name(p) == under or module_name(p).startswith(under + ".")
    )


FLASK_FREE = [
    m
    for m in modules()
    if not m.startswith(("cyberframe.web", "cyberframe.commands")) and m not in ("cyberframe.cli", "cyberframe.service")
]


def test_core_engine_and_exports_never_load_flask():
    assert "cyberframe.sparql.engine" in FLASK_FREE and "cyberframe.knowledge" in FLASK_FREE
    script = (
        "import importlib, json, sys\n"
        f"for name in {FLASK_FREE!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'flask_cors'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout) == []


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the cyberframe modules *path* imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("cyberframe")}


@pytest.mark.parametrize(("face", "other"), [("api", "site"), ("site", "api")])
def test_api_and_site_do_not_import_each_other(face: str, other: str):
    forbidden = f"cyberframe.web.{other}"
    offenders = {
        module_name(path): sorted(n for n in imported_modules(path) if n == forbidden or n.startswith(forbidden + "."))
        for path in (PACKAGE / "web" / face).rglob("*.py")
    }
    assert {m: names for m, names in offenders.items() if names} == {}


def test_the_import_resolver_sees_relative_imports():
    """A guard for the guard: the engine module's own imports are found and resolved."""
    names = imported_modules(PACKAGE / "sparql" / "engine.py")
    assert "cyberframe.sparql.cache" in names and "cyberframe.errors" in names


_CITATION = re.compile(r"docs/([a-z-]+\.md)(?:, \"([^\"]+)\")?")


def heading_texts(page: Path) -> set[str]:
    return {line.lstrip("#").strip() for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("#")}


def test_every_docs_citation_in_the_code_resolves():
    citations = []
    for path in PACKAGE.rglob("*.py"):
        for page, section in _CITATION.findall(path.read_text(encoding="utf-8")):
            citations.append((path.name, page, section))
    assert len(citations) > 10
    for source, page, section in citations:
        target = DOCS / page
        assert target.is_file(), f"{source} cites docs/{page}, which does not exist"
        if section:
            assert section in heading_texts(target), f"{source} cites docs/{page}, \"{section}\": no such section"


CHECKERS = ("test_architecture.py",)  # it spells the patterns it forbids


def test_no_code_cites_issues_or_outside_files():
    pattern = re.compile(r"DESIGN\.md|\bissue \d+|\.\./shared", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("service", "tests", "bench", "queries", "ontology", "data")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in (".py", ".rq", ".ttl", ".html", ".js", ".css") and path.name not in CHECKERS
        and "w3c" not in path.relative_to(ROOT).parts  # the W3C test suites, copied unchanged
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
