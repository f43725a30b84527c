"""Admission against the store's own parser: whatever admission lets through never calls out.

Hypothesis builds texts from the pieces SERVICE smuggling is made of, every
SERVICE naming a listener on 127.0.0.1. Each text that :func:`admit` admits
is run by pyoxigraph in this process, which has the network; if the store's
parser found a SERVICE clause that admission missed, the listener would see
the connection. Comments and literals that mention SERVICE are admitted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberframe.errors import ProtocolError
from cyberframe.sparql.admission import admit
from sparql_support import listening


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[int, list]]:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""
    with listening() as found:
        yield found


def _pieces(endpoint: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            "SELECT", "*", "WHERE", "ASK", "{", "}", "(", ")", "[", "]", "?s", "?p", "?o", "$v", "_:b", "_:b.",
            ".", ";", ",", "SERVICE", "service", "SeRvIcE", "SILENT", f"<{endpoint}>", "ex:", "ex:a", "ex:a.",
            "PREFIX ex: <http://e/>", '"', "'", '"""', "'''", '"x"', "'y'", "#", "\n", "\\u0053", "\\", "FILTER",
            "EXISTS", "NOT", "OPTIONAL", "UNION", "MINUS", "GRAPH", "BIND(1 AS ?z)", "VALUES ?v { 1 }",
            "{ SELECT * {", "1", "1.", "-1.0", "@en", "^^", "a", "<", ">", "&&", " ", "\t",
        ]
    )


def _structured(endpoint: str) -> st.SearchStrategy[str]:
    """Valid SERVICE queries in the shapes that once passed a lexical screen, with mentions around them."""
    before = st.sampled_from(
        ["", "?s ?p ?o .", '_:a<http://e/p>"DE".', "_:b?p?o.", "?s ?p ?o", "<http://e/s> a ?o .", "BIND(1 AS ?z)"]
    )
    gap = st.sampled_from(["", " ", "\n", "\t", " # SERVICE <x:y> {}\n", "#\n"])
    keyword = st.sampled_from(["SERVICE", "service", "Service", "sErViCe"])
    silent = st.sampled_from(["", "SILENT", "silent"])
    wrap = st.sampled_from(
        [
            ("", ""),
            ("{ ", " }"),
            ("OPTIONAL { ", " }"),
            ("FILTER EXISTS { ", " }"),
            ("FILTER NOT EXISTS { ", " }"),
            ("MINUS { ", " }"),
            ("{ SELECT * WHERE { ", " } }"),
            ("{ ?s ?p ?o } UNION { ", " }"),
            ("GRAPH ?g { ", " }"),
        ]
    )
    after = st.sampled_from(["", 'FILTER(?o != "SERVICE <x:y> {}")', "# SERVICE", "?s ?p '''SERVICE''' ."])

    def build(b: str, g1: str, k: str, g2: str, si: str, g3: str, w: tuple[str, str], a: str) -> str:
        silent_part = f"{si}{g3 or ' '}" if si else ""
        return f"SELECT * WHERE {{ {b}{g1}{w[0]}{k}{g2 or ' ' if si else g2}{silent_part}<{endpoint}>{g3}{{?s ?p ?o}}{w[1]} {a} }}"

    return st.builds(build, before, gap, keyword, gap, silent, gap, wrap, after)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_nothing_admitted_reaches_a_service(listener, data) -> None:
    port, seen = listener
    endpoint = f"http://127.0.0.1:{port}/sparql"
    random = st.builds(str.join, st.sampled_from(["", " "]), st.lists(_pieces(endpoint), max_size=30))
    text = data.draw(_structured(endpoint) | random)
    try:
        admit(text, max_length=100_000)
    except ProtocolError:
        return
    before = len(seen)
    with contextlib.suppress(SyntaxError, RuntimeError, OSError, ValueError):
        result = ox.Store().query(text, base_iri="http://e/")
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    assert len(seen) == before, f"admitted a text whose SERVICE called out: {text!r}"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/>",
        'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> {}" }',
        "SELECT * WHERE { ?s ?p '''\nSERVICE <http://127.0.0.1:9/> {}\n''' }",
        "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:SERVICE ?o }",
        "SELECT ?service WHERE { ?service ?p ?o }",
    ],
)
def test_mentions_are_admitted(text: str) -> None:
    assert admit(text).form == "SELECT"
