"""How ``serve --store`` puts a named query's parameters into the text it sends: checked against pyoxigraph.

On the embedded store a parameter is a prepared-query substitution
(pyoxigraph's ``substitutions``); a remote store gets the query with a
``VALUES`` block first in its outermost group instead
(:func:`cyberframe.sparql.remote.bind_values`). Both must give the same
answers: for every shipped named query with its example parameters, and for
any string a client may send, quotes, braces and line breaks included.
"""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyberframe.named_queries import QueryCatalogue, load_catalogue
from cyberframe.sparql.remote import BindingError, bind_values, dataset_of, without_dataset_clauses
from cyberframe.sparql.worker import substitutions_of

CATALOGUE = load_catalogue()


def _rows(result: ox.QuerySolutions) -> Counter[tuple[str, ...]]:
    """The solutions as a multiset; a cell's words sorted, since GROUP_CONCAT's order is the plan's (§18.5.1.7)."""
    return Counter(
        tuple(" ".join(sorted(row[v].value.split())) if row[v] is not None else "" for v in result.variables)
        for row in result
    )


@pytest.mark.parametrize("name", sorted(n for n, q in CATALOGUE.items() if q.form == "SELECT"))
def test_values_binding_answers_as_substitution_does(kg, name: str) -> None:
    query = CATALOGUE[name]
    bound = QueryCatalogue(kg).bind(query, dict(query.example))
    expected = kg.store.query(query.sparql, use_default_graph_as_union=True, substitutions=bound)
    sent = bind_values(query.sparql, substitutions_of(bound))
    assert isinstance(expected, ox.QuerySolutions)
    got = kg.store.query(sent, use_default_graph_as_union=True)
    assert isinstance(got, ox.QuerySolutions)
    assert _rows(got) == _rows(expected)
    assert bound == {} or "VALUES" in sent


#: A query whose brackets in a comment and a string come before its group (pyoxigraph substitutes
#: projected variables only, so ?v is selected).
TRICKY = """PREFIX ex: <http://example.org/x#>
# a comment with { and } in it
SELECT ?v ?out WHERE {
  BIND (CONCAT(?v, "} {") AS ?out)
}"""


@given(value=st.text(max_size=60))
def test_any_string_is_bound_as_the_same_literal(value: str) -> None:
    store = ox.Store()
    expected = store.query(TRICKY, substitutions={ox.Variable("v"): ox.Literal(value)})
    got = store.query(bind_values(TRICKY, [("v", "literal", value)]))
    assert isinstance(expected, ox.QuerySolutions) and isinstance(got, ox.QuerySolutions)
    assert _rows(got) == _rows(expected)


def test_a_query_without_a_where_group_cannot_be_bound() -> None:
    with pytest.raises(BindingError, match="no WHERE group"):
        bind_values("DESCRIBE ?x", [("x", "iri", "http://example.org/x")])


def test_dataset_clauses_are_taken_out_and_nothing_else() -> None:
    query = 'PREFIX ex: <http://e/> SELECT * FROM <http://a/> FROM NAMED <http://b/> WHERE { ?s ?p "FROM <x>" }'
    assert without_dataset_clauses(query) == 'PREFIX ex: <http://e/> SELECT *     WHERE { ?s ?p "FROM <x>" }'


def test_dataset_clauses_become_protocol_graphs_resolved_as_the_query_resolves_them() -> None:
    query = "BASE <http://b/> PREFIX ex: <http://e/> SELECT * FROM ex:g FROM NAMED <rel> FROM <http://x/y> { ?s ?p ?o }"
    assert dataset_of(query) == {"default-graph-uri": ["http://e/g", "http://x/y"], "named-graph-uri": ["http://b/rel"]}
    assert dataset_of("SELECT * FROM NAMED <rel> { ?s ?p ?o }", "http://127.0.0.1:8000/sparql") == {
        "default-graph-uri": [], "named-graph-uri": ["http://127.0.0.1:8000/rel"]}
    assert dataset_of("ASK { ?s ?p ?o }") == {}
