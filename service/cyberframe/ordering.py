"""The order in which people read the framework and the catalogues it points to.

The graph holds no ordering (RDF is a set), so exports sort: the five functions
in the order TS 27103 (after NIST CSF) lists them, everything else naturally by
its notation, so that ``ID.AM-2`` comes before ``ID.AM-10`` and ``5.9`` before
``5.10``.
"""

from __future__ import annotations

import re

#: Identify, Protect, Detect, Respond, Recover: the framework's own order of its functions.
FUNCTION_ORDER = ("ID", "PR", "DE", "RS", "RC")

_PARTS = re.compile(r"(\d+)")


def notation_key(notation: str) -> tuple[int, tuple[tuple[int, int, str], ...]]:
    """Sort key for a notation: function order first, then natural order (digits compare as numbers)."""
    head = notation.split(".", 1)[0]
    rank = FUNCTION_ORDER.index(head) if head in FUNCTION_ORDER else len(FUNCTION_ORDER)
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _PARTS.split(notation) if p)
    return (rank, parts)
