"""A non-editable install, from a wheel, in a fresh virtual environment, run from another folder.

The wheel must carry ontology/, data/ and queries/ (docs/architecture.md). Dependencies
are taken from the test environment through a path entry, so nothing is
downloaded; the cyberframe package itself comes only from the wheel.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, require_slow

pytestmark = pytest.mark.slow


def run(*args: object, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, check=True, **kwargs)


@pytest.fixture
def wheel(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """cyberframe's wheel, built from this checkout (no build isolation: nothing is downloaded); slow tests only."""
    require_slow(request, "builds a wheel")
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", wheels, ROOT)
    (built,) = wheels.glob("cyberframe-*.whl")
    return built


def test_wheel_install_serves_the_full_graph(wheel: Path, tmp_path: Path, reference):
    names = zipfile.ZipFile(wheel).namelist()
    assert "cyberframe/ontology/cyberframe.ttl" in names
    assert "cyberframe/data/framework.ttl" in names
    assert any(n.startswith("cyberframe/queries/") for n in names)
    assert "cyberframe/ontology/shapes.ttl" in names
    assert "cyberframe/web/site/templates/query.html" in names
    assert "cyberframe/internal_queries/page-framework-tree.rq" in names
    assert "cyberframe/exports/static/context.jsonld" in names
    assert "cyberframe/exports/static/w3id.htaccess" in names  # cyberframe export --format w3id
    assert "cyberframe/py.typed" in names  # PEP 561: users' mypy reads our annotations

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # dependencies from this environment, but not its (editable) cyberframe: a plain path entry
    # does not process the .pth files that implement editable installs
    deps = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    (purelib / "_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "CYBERFRAME_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTHONPATH", None)
    where = run(python, "-c", "import cyberframe, sys; print(cyberframe.__file__)", cwd=elsewhere, env=env)
    assert where.stdout.strip().startswith(str(venv)), where.stdout

    stats = json.loads(run(venv / "bin" / "cyberframe", "stats", "--format", "json", cwd=elsewhere, env=env).stdout)
    assert stats["instances"]["Subcategory"] == len(reference("csf11-core.csv"))
    assert stats["provisions_by_standard"]["ISO/IEC 27002:2022"] == len(reference("iso27002-2022-controls.csv"))
    assert stats["provisions_by_standard"]["ISO/IEC 27001:2022"] == len(reference("iso27001-2022-clauses.csv"))
    assert stats["instances"]["Csf20Subcategory"] == len(reference("csf20-core.csv"))
    listed = run(venv / "bin" / "cyberframe", "query", "--list", cwd=elsewhere, env=env).stdout
    assert "controls-for-function" in listed
    validated = subprocess.run(
        [str(venv / "bin" / "cyberframe"), "validate"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    # the w3id rules come from the package; the documentation site needs the sources, which a wheel lacks
    rules = run(venv / "bin" / "cyberframe", "export", "--format", "w3id", "-q", cwd=elsewhere, env=env).stdout
    assert rules == (ROOT / "w3id" / ".htaccess").read_text(encoding="utf-8")
    site_export = subprocess.run(
        [str(venv / "bin" / "cyberframe"), "export", "--format", "site", "-o", str(tmp_path / "docs.zip")],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300,
    )
    assert site_export.returncode == 2 and "source checkout" in site_export.stderr, site_export.stderr
