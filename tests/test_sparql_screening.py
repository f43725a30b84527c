"""Admission's reading of a query: query form, updates, SERVICE, dataset clauses, nesting depth.

SERVICE detection is a security boundary: pyoxigraph opens the connection to
a SERVICE endpoint as soon as such a query is handed to it, before any result
is read. The cases include texts built to make a tokeniser and the real parser
disagree; the store is never given one here.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberframe.sparql.admission import MAX_DEPTH, scan, screen

ENDPOINT = "<http://127.0.0.1:9/sparql>"


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * { ?s ?p ?o }", "SELECT"),
        ("select*{?s ?p ?o}", "SELECT"),
        ("# comment\nPREFIX ex: <http://e/>\nBASE <http://b/>\nconstruct { ?s ?p ?o } where { ?s ?p ?o }", "CONSTRUCT"),
        ("PREFIX : <http://e/> DESCRIBE :x", "DESCRIBE"),
        ("ASK{}", "ASK"),
        ("PREFIX select: <http://e/> ASK { select:a ?p ?o }", "ASK"),
        ("garbage", None),
        ("", None),
    ],
)
def test_query_form(text: str, form: str | None) -> None:
    assert screen(text).form == form


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("INSERT DATA { <a:b> <a:c> <a:d> }", "INSERT"),
        ("PREFIX : <a:> DELETE WHERE { ?s ?p ?o }", "DELETE"),
        ("LOAD <http://e/data.ttl>", "LOAD"),
        ("clear all", "CLEAR"),
        ("WITH <a:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("DROP GRAPH <a:g>", "DROP"),
    ],
)
def test_updates_are_recognised(text: str, keyword: str) -> None:
    result = screen(text)
    assert result.update == keyword and result.form is None


SERVICE_TEXTS = [
    "SELECT * { SERVICE " + ENDPOINT + " { ?s ?p ?o } }",
    "SELECT * { service silent ?e { ?s ?p ?o } }",
    "SELECT * { SERVICE" + ENDPOINT + "{?s ?p ?o} }",
    "SELECT * { SERVICE # comment\n " + ENDPOINT + " { } }",
    "PREFIX ep: <http://127.0.0.1:9/> SELECT * { SERVICE ep:sparql { } }",
    # a codepoint escape inside a string, read by a naive tokeniser as the start of a long string
    'SELECT * { BIND("\\u0022" AS ?x) SERVICE ' + ENDPOINT + ' { ?s ?p ?o } } # """',
    # an escape inside an IRI, read by a naive tokeniser as the end of the IRI and a comment
    "SELECT * { <http://a.example/\\u0041#> ?p ?o SERVICE " + ENDPOINT + " { } }",
    # a keyword spelt with an escape (the store rejects it; the screen refuses it anyway)
    "SELECT * { \\u0053ERVICE " + ENDPOINT + " { } }",
    # blank-node labels, strings and variables directly before the keyword
    'SELECT * WHERE { _:a<http://www.w3.org/2004/02/skos/core#notation>"DE".SERVICE SILENT' + ENDPOINT + "{?s ?p ?o}}",
    "SELECT * WHERE { _:b?p?o.SERVICE" + ENDPOINT + "{?s ?p ?o} } LIMIT 1",
    # anywhere in the algebra
    "SELECT * { ?s ?p ?o FILTER EXISTS { SERVICE " + ENDPOINT + " { ?s ?p ?o } } }",
    "SELECT * { { SELECT * { { OPTIONAL { sErViCe " + ENDPOINT + " { ?s ?p ?o } } } } } }",
    "SELECT * { ?s ?p ?o MINUS { SERVICE SILENT ?endpoint { ?s ?p ?o } } }",
    # after a syntax error the grammar cannot read past: the words decide
    "ASK {} SERVICE " + ENDPOINT + " {}",
]


@pytest.mark.parametrize("text", SERVICE_TEXTS)
def test_service_is_always_found(text: str) -> None:
    assert screen(text).service


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?service WHERE { ?service <http://e/p> 'IT service management' }",
        "PREFIX ex: <http://e/> SELECT * { ?s ex:SERVICE ?o }",
        "SELECT * { <http://e/service> ?p ?o }",
        "SELECT * { ?s ?p ?o FILTER(?o<?p&&?p>?o) }",
        "SELECT * WHERE { ?s ?p ?o } # see SERVICE <http://example.org/>",
        'SELECT * WHERE { ?s ?p "use SERVICE <http://x> here" }',
        'SELECT * WHERE { ?s ?p """a long literal\nSERVICE <http://x> { ?s ?p ?o }\n""" }',
        "SELECT * WHERE { ?s ?p \'\'\'SERVICE <http://x> {}\'\'\' }",
        "PREFIX ex: <http://e/> SELECT * { ?s ex:a.SERVICE ?o }",
    ],
)
def test_service_as_a_word_elsewhere_is_not_refused(text: str) -> None:
    assert not screen(text).service


@pytest.mark.parametrize(
    ("text", "dataset"),
    [
        ("SELECT * FROM <a:g> { ?s ?p ?o }", True),
        ("SELECT * FROM NAMED <a:g> { GRAPH ?g { ?s ?p ?o } }", True),
        ("SELECT * { ?s ?p 'FROM' }", False),
        ("SELECT * { GRAPH <a:g> { ?s ?p ?o } }", False),
    ],
)
def test_dataset_clause(text: str, dataset: bool) -> None:
    assert screen(text).has_dataset is dataset


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("SELECT * { { ?s ?p ?o } }", 2),
        ("SELECT * { ?s ?p ?o FILTER((?o > 1)) }", 3),
        ("SELECT * { ?s ?p [ ?q ( 1 2 ) ] }", 3),
        ("SELECT * { ?s ?p '{{{{' } # ((((", 1),
        ('SELECT * { ?s ?p """\n{{{{\n""" }', 1),
        ("SELECT * { <http://e/a(b)> ?p ?o }", 1),
    ],
)
def test_depth_skips_comments_iris_and_literals(text: str, depth: int) -> None:
    assert scan(text).depth == depth


def test_depth_scan_stops_past_the_limit() -> None:
    assert scan("{" * 100_000).depth == MAX_DEPTH + 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_screen_never_fails(text: str) -> None:
    result = screen(text)
    assert result.form in (None, "SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
