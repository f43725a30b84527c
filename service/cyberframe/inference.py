"""OWL 2 RL materialisation with owlrl (W3C OWL 2 Profiles §4.3).

The entailed triples go into their own named graph, never mixed with what the
sources assert. owlrl emits "generalized" triples (literal subjects) that are
not RDF and that no parser reads back, and a reflexive ``owl:sameAs`` for every
resource; both are dropped, as are the other trivial entailments that every
resource or term has (``a owl:Thing``, reflexive equivalence and
sub-class/sub-property axioms), the axioms about ``owl:Thing`` and
``owl:Nothing`` themselves (every class is a sub-class of ``owl:Thing`` and a
super-class of ``owl:Nothing``; every property has ``owl:Thing`` as domain and
range), and the typing of datatypes as ``rdfs:Datatype`` (OWL 2 RL rule
dt-type1, true of every datatype whatever the data say).
"""

from __future__ import annotations

from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from .namespaces import bind_prefixes

_REFLEXIVE = frozenset({OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf})
#: (predicate, object) pairs that hold of every class, property or resource, so say nothing about the data.
_TRIVIAL_OBJECTS = frozenset(
    {
        (RDF.type, OWL.Thing),
        (RDF.type, RDFS.Datatype),
        (RDFS.subClassOf, OWL.Thing),
        (RDFS.domain, OWL.Thing),
        (RDFS.range, OWL.Thing),
    }
)


def _is_useful(triple: tuple[Node, Node, Node]) -> bool:
    s, p, o = triple
    if isinstance(s, Literal) or isinstance(p, Literal):
        return False  # generalized RDF: not representable in N-Quads or Turtle
    if p in _REFLEXIVE and s == o:
        return False
    if s in (OWL.Thing, OWL.Nothing) and p in (RDFS.subClassOf, RDF.type):
        return False  # owl:Nothing below every class; the two classes typed as classes
    return (p, o) not in _TRIVIAL_OBJECTS


def materialize(asserted: Graph) -> Graph:
    """Return the triples that OWL 2 RL entails from *asserted* and that it does not already hold."""
    import owlrl  # imported here: only a cold build needs it

    closure = Graph()
    for triple in asserted:
        closure.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics,
        axiomatic_triples=False,
        datatype_axioms=False,
    ).expand(closure)
    inferred = bind_prefixes(Graph())
    for triple in closure:
        if triple not in asserted and _is_useful(triple):
            inferred.add(triple)
    return inferred
