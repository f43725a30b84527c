"""cyberframe.validate: the shipped graph conforms, the shapes graph is well formed, regimes and engines agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, SKOS

from cyberframe.namespaces import CF, CFSH, ID
from cyberframe.validation import (
    ValidationOutcome,
    ValidationResult,
    load_shapes,
    split_by_regime,
    turbo_available,
    validate,
)

SHAPES_DIR = Path(__file__).resolve().parent / "shapes"
ONTOLOGY = URIRef("https://w3id.org/cyberframe/ontology")


@pytest.fixture(scope="session")
def shipped(kg) -> ValidationOutcome:
    """The shipped graph validated once, with the default engine and no inference."""
    return validate()


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return load_shapes()


def test_shipped_graph_conforms(shipped):
    assert [r.key() for r in shipped.results] == []
    assert shipped.conforms and not shipped.violations and not shipped.warnings and not shipped.infos
    assert (None, SH.conforms, Literal(True)) in shipped.report_graph
    assert shipped.inference == "none"
    assert shipped.triples > 15000


def test_shipped_graph_validates_within_a_second(shipped):
    """The benchmark's target (bench/validation.py measures it properly); here a generous bound."""
    assert shipped.seconds < 10.0, shipped.seconds  # ~1.5 s alone; shared CI machines are slower


@pytest.mark.parametrize("inference", [pytest.param("rdfs", marks=pytest.mark.slow), "owlrl"])  # rdfs: ~4 s
def test_shipped_graph_conforms_under_every_regime(kg, inference):
    outcome = validate(inference=inference)
    assert [r.key() for r in outcome.results] == []


@pytest.mark.slow  # pySHACL's meta-validation: ~3 s
def test_shapes_graph_passes_shacl_shacl(shapes):
    """SHACL Appendix C: the shapes graph itself conforms to the SHACL-SHACL shapes."""
    import pyshacl
    from pyshacl.entrypoints import meta_validate

    conforms, _, text = meta_validate(shapes)
    assert conforms, text
    # and pySHACL's own meta_shacl switch accepts it before validating (an empty graph: only targetNode focus nodes)
    pyshacl.validate(Graph(), shacl_graph=shapes, meta_shacl=True, advanced=True)


def test_every_shape_is_named_and_every_constraint_has_a_message(shapes):
    shape_nodes = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    shape_nodes |= set(shapes.objects(None, SH.property)) | set(shapes.objects(None, SH.node))
    assert shape_nodes
    assert {s for s in shape_nodes if shapes.value(s, SH.name) is None} == set()
    unnamed = {s for s in shape_nodes if not isinstance(s, URIRef) or not str(s).startswith(str(CFSH))}
    assert unnamed == set()
    property_shapes = {s for s in shape_nodes if (s, SH.path, None) in shapes}
    assert {s for s in property_shapes if shapes.value(s, SH.message) is None} == set()
    sparql = set(shapes.objects(None, SH.sparql))
    assert sparql and {c for c in sparql if shapes.value(c, SH.message) is None} == set()
    node_level = {s for s in shape_nodes - property_shapes
                  if any((s, p, None) in shapes for p in (SH["in"], SH.languageIn, SH.nodeKind))}
    assert {s for s in node_level if shapes.value(s, SH.message) is None} == set()


def test_every_targeted_shape_states_its_regime_in_data_and_comment(shapes):
    targeted = {s for p in (SH.targetClass, SH.targetNode, SH.target) for s in shapes.subjects(p, None)}
    for shape in targeted:
        regime = shapes.value(shape, CFSH.regime)
        assert regime in (CFSH.AssertedData, CFSH.EntailedData), shape
        word = "asserted data" if regime == CFSH.AssertedData else "entailed data"
        assert f"Regime: {word}" in str(shapes.value(shape, URIRef("http://www.w3.org/2000/01/rdf-schema#comment")))
    assert (CFSH.ConsistencyShape, CFSH.regime, CFSH.EntailedData) in shapes


def test_split_by_regime_deactivates_the_other_regime(shapes):
    asserted, entailed = split_by_regime(shapes)
    assert asserted is not None and entailed is not None
    on = Literal(True)
    assert (CFSH.ConsistencyShape, SH.deactivated, on) in asserted
    assert (CFSH.SubcategoryShape, SH.deactivated, on) not in asserted
    assert (CFSH.SubcategoryShape, SH.deactivated, on) in entailed
    assert (CFSH.ConsistencyShape, SH.deactivated, on) not in entailed
    # shapes used only through sh:node are never deactivated
    assert (CFSH["Iso27002-2022ProvisionShape"], SH.deactivated, on) not in entailed


@pytest.mark.slow  # an RDFS closure of the shipped graph: ~5 s
def test_regimes_keep_entailments_away_from_asserted_shapes():
    """RDFS makes a clause with a control attribute a cf:Control (disjoint with cf:Clause), but the
    subcategory stated only through skos:narrower still lacks its asserted skos:broader."""
    missing_broader = (ID["subcategory/ID.AM-7"], SKOS.broader, CFSH["SubcategoryShape-broader"])
    contradiction = (ONTOLOGY, None, CFSH.ConsistencyShape)
    plain = validate(SHAPES_DIR / "regimes.ttl")
    assert {r.key() for r in plain.results} == {missing_broader}
    rdfs = validate(SHAPES_DIR / "regimes.ttl", inference="rdfs")
    assert {r.key() for r in rdfs.results} == {missing_broader, contradiction}
    assert {r.value for r in rdfs.results if r.source_shape == CFSH.ConsistencyShape} == {
        ID["clause/iso-iec-27001-2022/4.2"]}
    report = rdfs.report_graph
    assert len(set(report.subjects(RDF.type, SH.ValidationReport))) == 1
    assert len(list(report.objects(None, SH.result))) == len(rdfs.results)


@pytest.mark.slow  # an RDFS closure of the shipped graph: ~4 s
def test_user_shapes_without_a_regime_see_the_entailments(tmp_path):
    shapes = tmp_path / "my-shapes.ttl"
    shapes.write_text("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX cf: <https://w3id.org/cyberframe/ontology#>
        <https://example.org/ControlsOnly> a sh:NodeShape ;
            sh:targetClass cf:Control ;
            sh:property [ sh:path cf:inStandard ; sh:minCount 1 ; sh:severity sh:Warning ;
                          sh:message "Every control names its standard." ] .
    """)
    data = tmp_path / "data.ttl"
    data.write_text("""
        PREFIX cf: <https://w3id.org/cyberframe/ontology#>
        <https://example.org/x> cf:theme <https://w3id.org/cyberframe/id/theme/people> .
    """)
    assert validate(data, shapes=shapes).results == ()
    outcome = validate(data, shapes=shapes, inference="rdfs")
    assert [(r.focus, r.path, r.severity) for r in outcome.results] == [
        (URIRef("https://example.org/x"), CF.inStandard, SH.Warning)]
    assert not outcome.conforms and outcome.fails(SH.Warning) and not outcome.fails(SH.Violation)


@pytest.mark.slow  # pySHACL over every fixture: ~14 s
@pytest.mark.skipif(not turbo_available(), reason="pyshacl-turbo is not installed")
def test_engines_agree_on_every_fixture():
    """pySHACL is the reference: pyshacl-turbo must give the same results, message for message."""
    fixtures = sorted(p for p in SHAPES_DIR.glob("*.ttl") if "header" not in p.name)

    def results(engine: str) -> set[tuple]:
        outcome = validate(fixtures, engine=engine)
        return {(r.focus, r.path, r.value, r.source_shape, r.severity, r.constraint, r.message) for r in outcome.results}

    turbo = results("turbo")
    assert len(turbo) > 100
    assert results("pyshacl") == turbo


def test_result_objects_are_typed_and_serialisable():
    outcome = validate(SHAPES_DIR / "clauses-xfail.ttl")
    assert all(isinstance(r, ValidationResult) for r in outcome.results)
    pattern = next(r for r in outcome.results if r.source_shape == CFSH["Iso27001-2022ClauseShape-notation"]
                   and r.focus == ID["clause/iso-iec-27001-2022/11"])
    assert pattern.value == Literal("11")
    assert pattern.severity_name == "Violation"
    assert pattern.path_text == "skos:notation"
    assert pattern.constraint == SH.PatternConstraintComponent
    row = pattern.to_dict(outcome.labels)
    assert row["value"] == {"type": "literal", "value": "11"}
    assert row["path"] == str(SKOS.notation)
    assert row["focus_label"] == "11 Clause 11"
    assert json.loads(json.dumps(outcome.to_dicts()))
    assert "sh:ValidationReport" in outcome.report_turtle()


def test_validate_accepts_graphs_and_refuses_bad_arguments():
    graph = Graph().parse(SHAPES_DIR / "ontology-xfail.ttl")
    assert {r.focus for r in validate(graph).results} >= {CF._NS["referencs"]}
    with pytest.raises(ValueError, match="inference"):
        validate(inference="owl")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="engine"):
        validate(engine="jena")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        validate([42])  # type: ignore[list-item]


def test_import_cyberframe_is_cheap_and_validate_is_lazy():
    code = ("import sys, cyberframe; assert 'rdflib' not in sys.modules and 'pyshacl' not in sys.modules; "
            "from cyberframe import validate; assert validate.__module__ == 'cyberframe.validation'")
    subprocess.run([sys.executable, "-c", code], check=True)
    import cyberframe

    assert cyberframe.validate is validate
    with pytest.raises(AttributeError):
        cyberframe.no_such_thing  # noqa: B018
