"""Every shape of ontology/shapes.ttl against a PASS and an XFAIL fixture (tests/shapes/).

Each fixture is validated as a user's file is: together with the shipped ontology
and data (the ``*-header-*`` fixtures alone). A PASS fixture yields no result; an
XFAIL fixture yields exactly the expected set of (focus node, result path,
source shape), and, for the SHACL-SPARQL shapes whose focus node is a whole
scheme or mapping set, exactly the expected members as sh:value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS
from rdflib.paths import AlternativePath

from cyberframe.namespaces import CF, CFSH, ID
from cyberframe.validation import ValidationOutcome, load_shapes, validate

SHAPES = Path(__file__).resolve().parent / "shapes"

SUB, CAT, FN, FW = (Namespace(f"{ID}{kind}/") for kind in ("subcategory", "category", "function", "framework"))
C22 = Namespace(f"{ID}control/iso-iec-27002-2022/")
C13 = Namespace(f"{ID}control/iso-iec-27002-2013/")
CL = Namespace(f"{ID}clause/iso-iec-27001-2022/")
STD, SET, SCHEME = (Namespace(f"{ID}{kind}/") for kind in ("standard", "mapping-set", "scheme"))
EXP = Namespace("https://example.org/profile/")
MAP = Namespace("https://example.org/mapping/")
ONTOLOGY = URIRef("https://w3id.org/cyberframe/ontology")

SCHEME_PATH = AlternativePath(SKOS.inScheme, SKOS.topConceptOf, CF.inStandard)
ATTRIBUTES = AlternativePath(
    CF.theme, CF.controlType, CF.securityProperty, CF.cybersecurityConcept, CF.operationalCapability, CF.securityDomain
)


def S(name: str) -> URIRef:
    return CFSH[name]


# (focus node, result path, source shape) for every result; collection-level SHACL-SPARQL results also
# name their sh:value, as (focus node, None, source shape, value).
XFAIL: dict[str, set[tuple]] = {
    "framework-xfail.ttl": {
        (FN.GV, SKOS.broader, S("FunctionShape-broader")),
        (FN.GV, SKOS.inScheme, S("FunctionShape-conceptScheme")),
        (FN.GV, SKOS.inScheme, S("FunctionShape-inScheme")),
        (FN.GV, SKOS.notation, S("FunctionShape-notation")),
        (FN.GV, SKOS.topConceptOf, S("FunctionShape-topConceptOf")),
        (CAT.IDXX, SKOS.broader, S("CategoryShape-broader")),
        (CAT.IDXX, SKOS.inScheme, S("CategoryShape-inScheme")),
        (CAT.IDXX, SKOS.notation, S("CategoryShape-notation")),
        (CAT.IDXX, SKOS.definition, S("EnglishDefinitionShape")),
        (SUB["ID.AM-0"], SCHEME_PATH, S("ConceptShape-scheme")),
        (SUB["ID.AM-0"], SKOS.definition, S("EnglishDefinitionShape")),
        (SUB["ID.AM-0"], SKOS.prefLabel, S("EnglishPrefLabelShape")),
        (SUB["ID.AM-0"], SKOS.broader, S("SubcategoryShape-broader")),
        (SUB["ID.AM-0"], SKOS.inScheme, S("SubcategoryShape-inScheme")),
        (SUB["ID.AM-0"], SKOS.notation, S("SubcategoryShape-notation")),
        (SUB["PR.ZZ-1"], SKOS.notation, S("ConceptShape-notation")),
        (SUB["PR.ZZ-1"], SKOS.notation, S("SubcategoryShape-notation")),
        (FW.broken, SKOS.definition, S("EnglishDefinitionShape")),
        (FW.broken, CF.definedBy, S("FrameworkShape-definedBy")),
        (FW.ts27103, None, S("ConceptSchemeShape-notationHierarchy"), SUB["PR.ZZ-1"]),
        (SCHEME["interested-parties"], None, S("ConceptSchemeShape-notationHierarchy"), CAT.IDXX),
        (SCHEME["interested-parties"], None, S("ConceptSchemeShape-notationHierarchy"), FN.GV),
    },
    "schemes-xfail.ttl": {
        (EXP.lost, SCHEME_PATH, S("ConceptShape-scheme")),
        (EXP.scheme, SKOS.prefLabel, S("EnglishPrefLabelShape")),
        (EXP.scheme, None, S("ConceptSchemeShape-notationHierarchy"), EXP.c),
        (EXP.scheme, None, S("ConceptSchemeShape-uniqueNotation"), EXP.a),
        (EXP.scheme, None, S("ConceptSchemeShape-uniqueNotation"), EXP.b),
        (STD["iso-iec-27001-2022"], None, S("ConceptSchemeShape-uniqueNotation"), EXP.clause),
        (STD["iso-iec-27001-2022"], None, S("ConceptSchemeShape-uniqueNotation"), CL["6.1.3"]),
    },
    "controls-xfail.ttl": {
        (URIRef(f"{ID}control-type/bogus"), SKOS.inScheme, S("ControlTypeShape-inScheme")),
        (URIRef(f"{ID}security-property/bogus"), SKOS.inScheme, S("SecurityPropertyShape-inScheme")),
        (URIRef(f"{ID}operational-capability/bogus"), SKOS.inScheme, S("OperationalCapabilityShape-inScheme")),
        (URIRef(f"{ID}theme/bogus"), SKOS.inScheme, S("ThemeShape-inScheme")),
        (URIRef(f"{ID}theme/bogus"), SKOS.inScheme, S("SecurityDomainShape-inScheme")),
        (URIRef(f"{ID}control/example/1"), SKOS.notation, S("Iso27002-2013ControlShape-notation")),
        (URIRef(f"{ID}control/example/1"), SKOS.notation, S("ProvisionShape-notation")),
        (URIRef(f"{ID}control/example/1"), CF.inStandard, S("ProvisionShape-inStandard")),
        (URIRef(f"{ID}control/example/1"), CF.newInEdition, S("ProvisionShape-newInEdition")),
        (C13["5.99"], ATTRIBUTES, S("Iso27002-2013ControlShape-attributes")),
        (C13["5.99"], SKOS.notation, S("Iso27002-2013ControlShape-notation")),
        (C22["8.35"], SKOS.definition, S("EnglishDefinitionShape")),
        (C22["8.35"], SKOS.notation, S("Iso27002-2022ControlShape-notation")),
        (C22["8.35"], CF.theme, S("Iso27002-2022ControlShape-theme")),
        (C22["8.35"], CF.controlType, S("Iso27002-2022ControlShape-controlType")),
        (C22["8.35"], CF.securityProperty, S("Iso27002-2022ControlShape-securityProperty")),
        (C22["8.35"], CF.cybersecurityConcept, S("Iso27002-2022ControlShape-cybersecurityConcept")),
        (C22["8.35"], CF.operationalCapability, S("Iso27002-2022ControlShape-operationalCapability")),
        (C22["8.35"], CF.securityDomain, S("Iso27002-2022ControlShape-securityDomain")),
        (C22["8.35"], CF.newInEdition, S("Iso27002-2022ControlShape-newInEdition")),
        (STD["iso-iec-99999"], SKOS.notation, S("StandardShape-notation")),
        (STD["iso-iec-99999"], CF.partOf, S("StandardShape-partOf")),
        (STD["no-such-standard"], RDF.type, S("IdentifierShape-type")),
    },
    "clauses-xfail.ttl": {
        (CL["11"], SKOS.definition, S("EnglishDefinitionShape")),
        (CL["11"], SKOS.notation, S("Iso27001-2022ClauseShape-notation")),
        (CL["7.6"], SKOS.broader, S("ClauseShape-broader")),
        (CL["7.6"], SKOS.notation, S("Iso27001-2022ClauseShape-notation")),
        (CL["8.2"], SKOS.broader, S("ClauseShape-broader")),
        (URIRef(f"{ID}control/iso-iec-27001-2022/A.5.1"), SKOS.notation, S("Iso27001-2022ClauseShape-notation")),
        (URIRef(f"{ID}control/iso-iec-27001-2022/A.5.1"), RDF.type, S("Iso27001-2022ClauseShape-type")),
        (STD["iso-iec-27001-2022"], None, S("ConceptSchemeShape-notationHierarchy"), CL["7.6"]),
        (STD["iso-iec-27001-2022"], None, S("ConceptSchemeShape-notationHierarchy"), CL["8.2"]),
    },
    "mappings-xfail.ttl": {
        (MAP.bare, CF.basis, S("MappingRecordShape-basis")),
        (MAP.bare, CF.inMappingSet, S("MappingRecordShape-inMappingSet")),
        (MAP.bare, CF.mappingObject, S("MappingRecordShape-mappingObject")),
        (MAP.bare, CF.mappingSubject, S("MappingRecordShape-mappingSubject")),
        (MAP.bare, CF.rationale, S("MappingRecordShape-rationale")),
        (MAP.bare, CF.relationship, S("MappingRecordShape-relationship")),
        (URIRef(f"{ID}basis/rumour"), RDF.type, S("IdentifierShape-type")),
        (URIRef(f"{ID}rationale/intuitive"), RDF.type, S("IdentifierShape-type")),
        (MAP.set, SKOS.prefLabel, S("EnglishPrefLabelShape")),
        (MAP.set, CF.basis, S("MappingSetShape-basis")),
        (MAP.set, DCTERMS.source, S("MappingSetShape-source")),
        (MAP.x1, CF.mappingSubject, S("MappingRecordShape-subcategorySubject")),
        (MAP.x1, CF.mappingObject, S("MappingRecordShape-ts27103-iso27002-2022-object")),
        (MAP.x2, CF.mappingObject, S("MappingRecordShape-ts27103-iso27001-2022-object")),
        (MAP.x3, CF.mappingObject, S("MappingRecordShape-ts27103-standards-object")),
        (MAP.x4, CF.mappingObject, S("MappingRecordShape-ts27103-principles-object")),
        (MAP.x4, CF.mappingSubject, S("MappingRecordShape-ts27103-principles-subject")),
        (MAP.x5, CF.mappingObject, S("MappingRecordShape-iso27002-2013-2022-object")),
        (MAP.x5, CF.mappingSubject, S("MappingRecordShape-iso27002-2013-2022-subject")),
        (MAP.x6, CF.mappingObject, S("MappingRecordShape-csf11-csf20-object")),
        (MAP.x7, CF.mappingObject, S("MappingRecordShape-csf20-iso27001-2022-object")),
        (MAP.x7, CF.mappingSubject, S("MappingRecordShape-csf20-iso27001-2022-subject")),
        (SET["ts27103-iso27002-2022"], None, S("MappingSetShape-shortcuts"), MAP.x1),
        (SET["iso27002-2013-2022"], None, S("MappingSetShape-shortcuts"), MAP.x5),
        (SET["csf11-csf20"], None, S("MappingSetShape-shortcuts"), MAP.x6),
        (FW.ts27103, None, S("ConceptSchemeShape-shortcutsBacked"), SUB["ID.AM-6"]),
        (SCHEME["ts27103-principles"], None, S("ConceptSchemeShape-shortcutsBacked"), URIRef(f"{ID}principle/P2")),
        (STD["iso-iec-27002-2013"], None, S("ConceptSchemeShape-shortcutsBacked"), C13["5.1.2"]),
    },
    "provenance-xfail.ttl": {
        (MAP.published, DCTERMS.source, S("PublishedRecordShape-source")),
        (MAP.published, CF.locator, S("PublishedRecordShape-locator")),
        (MAP.empty, DCTERMS.source, S("PublishedRecordShape-source")),
        (MAP.empty, CF.locator, S("PublishedRecordShape-locator")),
        (MAP.derived, CF.derivationRule, S("DerivedRecordShape-rule")),
        (MAP.derived, PROV.wasDerivedFrom, S("DerivedRecordShape-inputs")),
        (MAP.rule, SKOS.prefLabel, S("EnglishPrefLabelShape")),
        (MAP.rule, SKOS.definition, S("EnglishDefinitionShape")),
        (MAP.judged, CF.judgementReason, S("JudgementRecordShape-reason")),
        (MAP.noted, CF.judgementReason, S("JudgementRecordShape-reason")),
    },
    "ontology-xfail.ttl": {
        (ONTOLOGY, OWL.versionIRI, S("OntologyShape-versionIRI")),
        (ONTOLOGY, None, S("OntologyShape-version"), URIRef(f"{ONTOLOGY}/9.9.9")),
        (CF._NS["Checklist"], RDFS.label, S("OntologyTermShape-label")),
        (CF._NS["Checklist"], SKOS.definition, S("EnglishDefinitionShape")),
        (CF._NS["referencs"], RDF.type, S("NamespaceShape-declared")),
        (CF._NS["Subcategroy"], RDF.type, S("NamespaceShape-declared")),
        (C22["5.38"], RDF.type, S("IdentifierShape-type")),
        (ONTOLOGY, None, S("ConsistencyShape"), CL["4.1"]),
        (ONTOLOGY, None, S("ConsistencyShape"), C22["5.2"]),
    },
    "profile-xfail.ttl": {
        (EXP.empty, CF.implementation, S("OrganisationalProfileShape-implementation")),
        (EXP.empty, CF.targetTier, S("OrganisationalProfileShape-targetTier")),
        (EXP["bad-status"], CF.implementationStatus, S("ControlImplementationShape-status")),
        (EXP["bad-status"], CF.implementedControl, S("ControlImplementationShape-control")),
        (EXP.two, CF.implementationStatus, S("ControlImplementationShape-status")),
        (EXP.two, CF.implementedControl, S("ControlImplementationShape-control")),
    },
    "ontology-header-xfail.ttl": {
        (ONTOLOGY, RDF.type, S("OntologyShape-type")),
        (ONTOLOGY, OWL.versionIRI, S("OntologyShape-versionIRI")),
        (ONTOLOGY, OWL.versionInfo, S("OntologyShape-versionInfo")),
        (ONTOLOGY, DCTERMS.title, S("OntologyShape-title")),
        (ONTOLOGY, DCTERMS.license, S("OntologyShape-license")),
    },
}

# The targeted node shapes each PASS fixture gives at least one conforming focus node.
PASS: dict[str, set[str]] = {
    "framework-pass.ttl": {"ConceptShape", "ConceptSchemeShape", "FrameworkShape", "FunctionShape", "CategoryShape",
                           "SubcategoryShape", "IdentifierShape"},
    "schemes-pass.ttl": {"ConceptShape", "ConceptSchemeShape", "ConceptSchemeShape-uniqueNotation",
                         "ConceptSchemeShape-notationHierarchy"},
    "controls-pass.ttl": {"Iso27002-2022ControlShape", "Iso27002-2013ControlShape", "ProvisionShape",
                          "StandardShape", "ThemeShape", "ControlTypeShape", "SecurityPropertyShape",
                          "OperationalCapabilityShape", "SecurityDomainShape", "ConceptShape"},
    "clauses-pass.ttl": {"ClauseShape", "Iso27001-2022ClauseShape", "ProvisionShape"},
    "mappings-pass.ttl": {"MappingRecordShape", "MappingSetShape", "MappingSetShape-shortcuts",
                          "ConceptSchemeShape-shortcutsBacked", "MappingRecordShape-ts27103-iso27002-2022",
                          "MappingRecordShape-ts27103-iso27001-2022", "MappingRecordShape-ts27103-standards",
                          "MappingRecordShape-ts27103-principles", "MappingRecordShape-iso27002-2013-2022",
                          "MappingRecordShape-csf11-csf20", "MappingRecordShape-csf20-iso27001-2022"},
    "provenance-pass.ttl": {"PublishedRecordShape", "DerivedRecordShape", "JudgementRecordShape",
                            "DerivationRuleShape", "MappingRecordShape"},
    "ontology-pass.ttl": {"NamespaceShape", "IdentifierShape", "OntologyTermShape", "ConsistencyShape"},
    "ontology-header-pass.ttl": {"OntologyShape", "OntologyShape-version"},
    "profile-pass.ttl": {"OrganisationalProfileShape", "ControlImplementationShape"},
}


def run(name: str) -> ValidationOutcome:
    """Validate one fixture as ``cyberframe validate`` does (header fixtures on their own)."""
    return validate(SHAPES / name, include_shipped="header" not in name)


def keys(outcome: ValidationOutcome) -> set[tuple]:
    return {r.key() for r in outcome.results}


def collection_values(outcome: ValidationOutcome) -> set[tuple]:
    """(focus, None, shape, value) of the SHACL-SPARQL results."""
    return {(r.focus, None, r.source_shape, r.value) for r in outcome.results if r.constraint == SH.SPARQLConstraintComponent}


@pytest.mark.parametrize("name", sorted(PASS))
def test_pass_fixture_conforms(name: str):
    outcome = run(name)
    assert outcome.results == (), [r.key() for r in outcome.results]
    assert outcome.conforms


@pytest.mark.parametrize("name", sorted(XFAIL))
def test_xfail_fixture_names_each_violation(name: str):
    outcome = run(name)
    expected = XFAIL[name]
    assert keys(outcome) == {e[:3] for e in expected}
    assert collection_values(outcome) == {e for e in expected if len(e) == 4}
    assert all(r.severity == SH.Violation and r.message for r in outcome.results)
    assert not outcome.conforms


def checked_shapes(shapes: Graph) -> set[URIRef]:
    """Shapes that appear as sh:sourceShape: property shapes of targeted node shapes, and SPARQL node shapes."""
    targeted = {s for p in (SH.targetClass, SH.targetNode, SH.target) for s in shapes.subjects(p, None)}
    found = set(shapes.subjects(SH.sparql, None)) & targeted
    for node_shape in targeted:
        found |= set(shapes.objects(node_shape, SH.property))
    return found


def test_every_shape_has_an_xfail_fixture():
    shapes = load_shapes()
    named = {e[2] for expected in XFAIL.values() for e in expected}
    assert checked_shapes(shapes) - named == set()


def test_every_targeted_shape_has_a_pass_fixture():
    shapes = load_shapes()
    targeted = {s for p in (SH.targetClass, SH.targetNode, SH.target) for s in shapes.subjects(p, None)}
    covered = {CFSH[name] for names in PASS.values() for name in names}
    assert targeted - covered == set()
    assert covered <= targeted


@pytest.mark.parametrize("name", sorted(PASS))
def test_pass_fixture_reaches_its_shapes(name: str):
    """A PASS fixture that no shape targets would pass vacuously: each declared targetClass must be instantiated."""
    shapes = load_shapes()
    fixture = Graph().parse(SHAPES / name)
    ontology = Graph().parse(SHAPES.parents[1] / "ontology" / "cyberframe.ttl")
    ontology.parse(SHAPES.parents[1] / "ontology" / "skos-axioms.ttl")
    for shape_name in PASS[name]:
        classes = set(shapes.objects(CFSH[shape_name], SH.targetClass))
        if not classes:
            continue
        subclasses = {c for target in classes for c in ontology.transitive_subjects(RDFS.subClassOf, target)}
        instances = {s for c in subclasses | classes for s in fixture.subjects(RDF.type, c)}
        assert instances, f"{name} has no instance of {shape_name}'s target class"
