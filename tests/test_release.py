"""Release artefacts (docs/releasing.md): one version everywhere, a Keep a Changelog file, IRIs that never vanish,
and an sdist and wheel that ``twine check`` accepts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

import cyberframe
from conftest import ROOT, require_slow

BASELINE = ROOT / "release" / "iri-baseline.txt"
ONTOLOGY = URIRef("https://w3id.org/cyberframe/ontology")
BASE = "https://w3id.org/cyberframe/"


def test_version_lives_in_one_place():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dynamic"] == ["version"] and "version" not in project["project"]
    assert project["tool"]["hatch"]["version"]["path"] == "service/cyberframe/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?", cyberframe.__version__)


def test_ontology_and_shapes_versions_follow_the_package():
    ontology = Graph().parse(ROOT / "ontology" / "cyberframe.ttl")
    assert ontology.value(ONTOLOGY, OWL.versionInfo) == Literal(cyberframe.__version__)
    assert ontology.value(ONTOLOGY, OWL.versionIRI) == URIRef(f"{ONTOLOGY}/{cyberframe.__version__}")
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    (shapes_iri,) = shapes.subjects(RDF.type, OWL.Ontology)
    assert shapes.value(shapes_iri, OWL.versionInfo) == Literal(cyberframe.__version__)


def test_dataset_version_follows_the_package():
    void = Graph().parse(data=cyberframe.export("void"), format="turtle")
    versions = set(void.objects(None, OWL.versionInfo))
    assert versions == {Literal(cyberframe.__version__)}
    built = cyberframe.dataset()
    header = built.graph(URIRef(BASE + "graph/ontology"))
    assert header.value(ONTOLOGY, OWL.versionIRI) == URIRef(f"{ONTOLOGY}/{cyberframe.__version__}")


def test_changelog_keeps_a_changelog_form():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n") and "keepachangelog.com/en/1.1.0" in text
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert releases[0] == ("Unreleased", "")
    assert all(date for _, date in releases[1:]), "every released version has a date"
    assert cyberframe.__version__ in {version for version, _ in releases}
    dates = [date for _, date in releases[1:]]
    assert dates == sorted(dates, reverse=True), "newest release first"
    kinds = set(re.findall(r"^### (.+)$", text, re.M))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def current_iris() -> set[str]:
    rows = cyberframe.sparql(
        f"""SELECT DISTINCT ?iri WHERE {{
              {{ ?iri ?p ?o }} UNION {{ ?s ?iri ?o }} UNION {{ ?s ?p ?iri }} UNION {{ GRAPH ?iri {{ ?s ?p ?o }} }}
              FILTER(isIRI(?iri) && STRSTARTS(STR(?iri), "{BASE}"))
            }}""",
        max_rows=1_000_000,
    )
    assert not rows.truncated
    return {str(row["iri"]) for row in rows}


def test_no_iri_of_the_previous_release_disappears():
    """Deprecation policy: an IRI once published stays in the graph; a retired one carries owl:deprecated true."""
    lines = BASELINE.read_text(encoding="utf-8").splitlines()
    baseline = {line for line in lines if line and not line.startswith("#")}
    assert len(baseline) > 1000 and all(iri.startswith(BASE) for iri in baseline)
    gone = sorted(baseline - current_iris())
    assert not gone, (
        f"{len(gone)} IRIs of the previous release are gone; keep them and mark them owl:deprecated true "
        "(docs/releasing.md): " + ", ".join(gone[:20])
    )


def test_deprecated_terms_say_what_replaces_them():
    """A deprecated IRI stays and points onward (dcterms:isReplacedBy) or explains itself (rdfs:comment)."""
    lonely = cyberframe.sparql(
        """PREFIX owl: <http://www.w3.org/2002/07/owl#>
           SELECT ?iri WHERE { ?iri owl:deprecated true
             FILTER NOT EXISTS { ?iri <http://purl.org/dc/terms/isReplacedBy>|<http://www.w3.org/2000/01/rdf-schema#comment> ?why } }"""
    )
    assert [str(row["iri"]) for row in lonely] == []


def run(*args: object, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, check=True, cwd=cwd, env=env
    )


@pytest.mark.slow
def test_build_makes_an_sdist_and_a_wheel_that_twine_accepts(request: pytest.FixtureRequest, tmp_path: Path):
    require_slow(request, "builds a wheel")
    out = tmp_path / "dist"
    # no isolation: the build backend (hatchling) comes from the test extra, nothing is downloaded
    run(sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", out, ROOT)
    (sdist,) = out.glob(f"cyberframe-{cyberframe.__version__}.tar.gz")
    (wheel,) = out.glob(f"cyberframe-{cyberframe.__version__}-py3-none-any.whl")
    checked = run(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel)
    assert checked.stdout.count("PASSED") == 2, checked.stdout
    import tarfile
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "cyberframe/py.typed" in names and "cyberframe/api.py" in names
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    root = f"cyberframe-{cyberframe.__version__}/"
    for needed in ("CHANGELOG.md", "release/iri-baseline.txt", "docs/python-api.md", "pyproject.toml", "mkdocs.yml",
                   "docs/hooks.py", "w3id/.htaccess"):
        assert root + needed in members, needed
    assert "cyberframe/exports/static/w3id.htaccess" in names
    print(f"sdist {sdist.stat().st_size} bytes, wheel {wheel.stat().st_size} bytes")
    # the sdist ships the documentation site's sources: the site export works from it unpacked
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    unpacked = tmp_path / "unpacked" / root
    env = {**os.environ, "PYTHONPATH": str(unpacked / "service"), "CYBERFRAME_CACHE_DIR": str(tmp_path / "cache")}
    site = tmp_path / "site.zip"
    run(sys.executable, "-m", "cyberframe.cli", "export", "--format", "site", "-o", site, env=env, cwd=tmp_path)
    assert "cyberframe-docs/python-api.html" in zipfile.ZipFile(site).namelist()
