"""Admission's bounded work in the web process: hardening items 1 and 3, measured in-process.

The same texts over HTTP, with SERVICE smuggling and unknown functions, are in
tests/security/test_admission_http.py.
"""

from __future__ import annotations

import time

import pytest

from cyberframe.errors import ProtocolError
from cyberframe.sparql.admission import admit

ITEM_1 = "SELECT * WHERE { ?s ?p ?o } #\n" + "a-" * 20_000
ITEM_3_BRACES = "SELECT * WHERE " + "{" * 10_000
ITEM_3_PARENS = "SELECT * WHERE { ?s ?p ?o FILTER" + "(" * 20_000


@pytest.mark.parametrize("text", [ITEM_3_BRACES, ITEM_3_PARENS])
def test_deep_nesting_is_refused_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ProtocolError) as refused:
        admit(text, max_length=100_000)
    assert refused.value.status == 400 and "deep" in refused.value.message
    assert time.perf_counter() - started < 0.1


def test_item_1_is_admitted_in_linear_time() -> None:
    """The 40 KB text of item 1 costs the web process milliseconds; the store's parser gives its 400."""
    started = time.perf_counter()
    admit(ITEM_1, max_length=100_000)
    assert time.perf_counter() - started < 0.1


