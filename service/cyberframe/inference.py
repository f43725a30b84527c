"""OWL 2 RL materialisation with owlrl (W3C OWL 2 Profiles §4.3).

The entailed triples go into their own named graph, never mixed with what the
sources assert. owlrl emits "generalized" triples (literal subjects) that are
not RDF and that no parser reads back, and a reflexive ``owl:sameAs`` for every
resource; both are dropped, as are the other trivial entailments that every
resource or term has (``a owl:Thing``, reflexive equivalence and
sub-class/sub-property axioms).
"""

from __future__ import annotations

from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from .namespaces import bind_prefixes

_REFLEXIVE = frozenset({OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf})


def _is_useful(triple: tuple[Node, Node, Node]) -> bool:
    s, p, o = triple
    if isinstance(s, Literal) or isinstance(p, Literal):
        return False  # generalized RDF: not representable in N-Quads or Turtle
    if p in _REFLEXIVE and s == o:
        return False
    return not (p == RDF.type and o == OWL.Thing)


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
