"""The documentation site (mkdocs.yml): MkDocs with mkdocstrings builds docs/ and the docstrings in strict mode.

Strict mode turns every warning into a failure: a link to a missing page or
anchor, a page left out of the navigation, a docstring reference that does not
resolve. The second test proves that a broken link does fail the build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

import cyberframe
from conftest import ROOT

pytestmark = pytest.mark.slow


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def nav_pages(nav: list) -> list[str]:
    pages: list[str] = []
    for item in nav:
        for value in item.values():
            pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_the_site_export_builds_strictly_with_every_page_and_the_api_reference(tmp_path):
    """``cyberframe export --format site`` (the shipped form of the site): a zip of the strict MkDocs build."""
    archive = tmp_path / "cyberframe-docs.zip"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT / "service")}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cyberframe.cli", "export", "--format", "site", "-o", str(archive)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"site export: {time.perf_counter() - started:.1f} s; {done.stderr.strip().splitlines()[-1]}")
    site = tmp_path / "unzipped"
    with zipfile.ZipFile(archive) as opened:
        assert all(name.startswith("cyberframe-docs/") for name in opened.namelist())
        opened.extractall(site)
    site = site / "cyberframe-docs"
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = nav_pages(config["nav"])
    on_disk = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert set(pages) == on_disk, "every page of docs/ is in the navigation, and only those"
    for page in pages:
        assert (site / page.replace(".md", ".html")).exists(), page
    assert f"built {len(pages)} pages" in done.stderr
    reference = (site / "api-reference.html").read_text(encoding="utf-8")
    for name in ("store", "dataset", "queries", "query", "sparql", "describe", "export", "coverage", "Result", "Row"):
        assert f'id="cyberframe.api.{name}"' in reference, name
    assert 'id="cyberframe.validation.validate"' in reference
    assert 'id="cyberframe.coverage.Report.render"' in reference
    changelog = (site / "changelog.html").read_text(encoding="utf-8")
    assert cyberframe.__version__ in changelog


def test_a_broken_link_fails_the_build(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(docs)
    config["hooks"] = [str(ROOT / "docs" / "hooks.py")]  # resolves ../ links against the repository
    config["markdown_extensions"][-1]["pymdownx.snippets"]["base_path"] = [str(ROOT)]
    config["plugins"][1]["mkdocstrings"]["handlers"]["python"]["paths"] = [str(ROOT / "service")]
    copy = tmp_path / "mkdocs.yml"
    copy.write_text(yaml.safe_dump(config), encoding="utf-8")
    assert build(copy, tmp_path / "ok").returncode == 0  # the copy builds as the original does
    with (docs / "index.md").open("a", encoding="utf-8") as page:
        page.write("\nSee [the missing page](no-such-page.md).\n")
    broken = build(copy, tmp_path / "broken")
    assert broken.returncode != 0 and "no-such-page.md" in broken.stdout + broken.stderr
