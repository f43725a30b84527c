"""The W3C SHACL test suite through cyberframe's own validation path (docs/validation.md, "Conformance").

Every approved entry (120: core and SPARQL-based constraints) runs through
:func:`cyberframe.validation.validate` - files read by the project's safe
reader, the same call the CLI and ``POST /validate`` make - for every engine
the project offers, and its report is compared as the suite defines
(tests/shacl_suite.py). Entries whose shapes select no node of the shipped
graph run again with the shipped graph added, as a user's file is validated;
the report must not change. The same runner goes through ``cyberframe
validate --shapes`` (20 entries) and ``POST /validate`` (10 entries).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cyberframe.cli import main
from cyberframe.rdfio import parse_rdf
from cyberframe.validation import ShapesError, _resolve_engine, turbo_available, validate
from shacl_suite import Case, cases, difference, matches, read_graph, shipped_targets_free

CASES = cases()
BY_NAME = {case.name: case for case in CASES}

#: Entries an engine gets wrong, with the reason. The default engine has none.
KNOWN_FAILURES: dict[str, dict[str, str]] = {
    "turbo": {},
    "pyshacl": {
        "core/property/uniqueLang-002": (
            'pySHACL reads sh:uniqueLang through the literal\'s Python value, so "1"^^xsd:boolean switches the '
            "constraint on; SHACL §4.7.4 activates it for true only"
        ),
        "sparql/node/prefixes-001": (
            "pySHACL does not collect prefix declarations from the owl:imports of the sh:prefixes node "
            "(SHACL §5.2.1): 'Unknown namespace prefix: ex'"
        ),
        "sparql/pre-binding/shapesGraph-001": (
            "pySHACL refuses constraints that use $shapesGraph (optional in SHACL §5.3.1; the suite expects it)"
        ),
    },
}

#: Entries that exercise exact terms (ill-formed literals, "1"^^xsd:boolean, simple literals in sh:in and
#: sh:hasValue, pre-binding) plus a spread over the suite: with the shipped graph, through the CLI and HTTP.
TERM_CASES = [
    "core/property/datatype-ill-formed",
    "core/property/uniqueLang-002",
    "core/property/in-001",
    "core/property/hasValue-001",
    "sparql/pre-binding/pre-binding-005",
    "core/node/maxExclusive-001",
]


def _engines() -> list[str]:
    return ["turbo", "pyshacl"] if turbo_available() else ["pyshacl"]


def _param(case: Case, engine: str):
    reason = KNOWN_FAILURES.get(engine, {}).get(case.name)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(case, engine, id=f"{engine}:{case.name}", marks=marks)


def check(case: Case, run) -> None:
    """Run *case* with *run* (returns the report graph, or raises ShapesError) and compare as the suite does."""
    if case.failure:
        with pytest.raises(ShapesError):
            run()
        return
    report = run()
    assert case.expected is not None
    assert matches(report, case.expected), difference(report, case.expected)


def test_the_suite_is_complete():
    assert len(CASES) == 120
    assert len({case.name for case in CASES}) == 120
    assert sum(case.failure for case in CASES) == 7
    assert set(TERM_CASES) <= set(BY_NAME)
    for failures in KNOWN_FAILURES.values():
        assert set(failures) <= set(BY_NAME)


def test_the_default_engine_has_no_known_failure():
    assert KNOWN_FAILURES[_resolve_engine("auto")] == {}


@pytest.mark.parametrize(("case", "engine"), [_param(c, e) for e in _engines() for c in CASES])
def test_library(case: Case, engine: str):
    check(case, lambda: validate(case.data, shapes=case.shapes, engine=engine, include_shipped=False).report_graph)


@pytest.fixture(scope="module")
def free_cases(kg) -> list[Case]:
    """The entries whose shapes select no node of the shipped graph."""
    return [case for case in CASES if shipped_targets_free(case, kg.store)]


def test_most_entries_can_run_with_the_shipped_graph(free_cases):
    assert len(free_cases) >= 100
    assert {c.name for c in free_cases} >= set(TERM_CASES)


def _sample(free: list[Case], count: int) -> list[Case]:
    """*count* entries: the term-sensitive ones, then an even spread over the rest."""
    chosen = [BY_NAME[name] for name in TERM_CASES if BY_NAME[name] in free]
    rest = [c for c in free if c not in chosen]
    step = max(1, len(rest) // max(1, count - len(chosen)))
    return (chosen + rest[::step])[:count]


@pytest.mark.slow  # ~1-2 s an entry: the shipped graph goes through the engine each time
@pytest.mark.parametrize("index", range(24))
def test_library_with_the_shipped_graph(free_cases, index):
    case = _sample(free_cases, 24)[index]
    check(case, lambda: validate(case.data, shapes=case.shapes, include_shipped=True).report_graph)


def _cli_report(case: Case):
    result = CliRunner().invoke(
        main, ["validate", "--shapes", str(case.shapes), str(case.data), "--format", "turtle"], catch_exceptions=False
    )
    if result.exit_code == 2:
        raise ShapesError(result.stderr or result.output)
    assert result.exit_code in (0, 1), result.output
    return read_graph_bytes(result.stdout.encode("utf-8"), "cli")


def read_graph_bytes(data: bytes, source: str):
    from rdflib import Graph

    from cyberframe.validation import rdflib_term

    graph = Graph()
    for triple in parse_rdf(data, format="turtle", source=source).triples():
        graph.add(tuple(rdflib_term(t) for t in triple))  # type: ignore[arg-type]
    return graph


@pytest.mark.slow  # each run validates the shipped graph too (~2 s)
@pytest.mark.parametrize("index", range(20))
def test_cli(free_cases, index):
    """``cyberframe validate --shapes S D --format turtle``: the shipped graph is always merged in."""
    case = _sample(free_cases, 20)[index]
    check(case, lambda: _cli_report(case))


def test_cli_agrees_on_the_issue_example(tmp_path):
    """A user's sh:in of simple literals: "final" is in ("draft" "final")."""
    shapes = tmp_path / "s.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .\n"
        'ex:DocShape a sh:NodeShape ; sh:targetClass ex:Doc ; sh:property [ sh:path ex:status ; sh:in ("draft" "final") ] .\n'
    )
    data = tmp_path / "d.ttl"
    data.write_text('@prefix ex: <https://example.org/> . ex:d a ex:Doc ; ex:status "final" .\n')
    for engine in _engines():
        result = CliRunner().invoke(main, ["validate", "--engine", engine, "--shapes", str(shapes), str(data)])
        assert result.exit_code == 0, (engine, result.output)
    data.write_text('@prefix ex: <https://example.org/> . ex:d a ex:Doc ; ex:status "lost" .\n')
    for engine in _engines():
        result = CliRunner().invoke(main, ["validate", "--engine", engine, "--shapes", str(shapes), str(data)])
        assert result.exit_code == 1 and "1 violation" in result.output, (engine, result.output)


def _http_report(server, case: Case):
    from test_pages_validate import _multipart

    body, content_type = _multipart(
        {}, {"file": (case.data.name, case.data.read_bytes()), "shapes": (case.shapes.name, case.shapes.read_bytes())}
    )
    response = server.request("POST", "/validate", body, {"Content-Type": content_type, "Accept": "text/turtle"})
    if response.status == 400 and "shapes" in response.body.decode("utf-8", "replace"):
        raise ShapesError(response.body.decode("utf-8", "replace"))
    assert response.status == 200, response.body[:500]
    return read_graph_bytes(response.body, "http")


@pytest.mark.slow  # over real HTTP
@pytest.mark.parametrize("index", range(10))
def test_http(server, free_cases, index):
    """``POST /validate`` with the entry's data as the file and its shapes as ``shapes``."""
    case = _sample(free_cases, 10)[index]
    check(case, lambda: _http_report(server, case))


def test_reading_is_exact():
    """The suite's expected reports keep "1"^^xsd:boolean and ill-formed literals as written."""
    graph = read_graph(BY_NAME["core/property/uniqueLang-002"].shapes)
    assert any(str(o) == "1" and str(getattr(o, "datatype", "")).endswith("#boolean") for o in graph.objects())
