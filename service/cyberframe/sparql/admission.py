"""Admission: which SPARQL text may reach the store, decided before anything runs.

:func:`admit` is the one gate every face of cyberframe uses (the ``/sparql``
endpoint, the query page, ``cyberframe query --sparql``): it refuses, with one
wording, an empty or over-long text, an update and any ``SERVICE`` clause, and
tells the caller the query form and whether the query brings its own dataset.

It rests on a lexical screen of the text.

The store (pyoxigraph) would happily call out to a remote endpoint for
``SERVICE`` (SPARQL 1.1 Federated Query §3), and a query endpoint must tell a
client who sent an update that updates go elsewhere. Neither needs a full
parser: the SPARQL 1.1 grammar (Query §19.8) is tokenised by longest match, and
once IRIs, strings, comments, variables, prefixed names, blank-node labels and
language tags are taken out, a bare word *is* a keyword. The screen therefore
reads the token stream to learn

* the query form (``SELECT``, ``CONSTRUCT``, ``DESCRIBE``, ``ASK``) that
  follows the prologue, which fixes the result formats on offer before the
  query runs (Protocol §2.1.6 content negotiation);
* whether the text is an update (Update §3) - refused by a read-only service;
* whether it names ``SERVICE`` anywhere - refused before execution;
* whether it carries its own dataset (``FROM`` / ``FROM NAMED``, Query §13.2),
  which decides whether the default graph is the union of all graphs.

``SERVICE`` is looked for in layers, so that no difference between this
tokeniser and the store's parser can hide one: in the text as written, in the
text with its codepoint escapes (``\\uXXXX``, Query §19.2) expanded, and by
the bare shape of a SERVICE clause. The last layer may refuse a query whose
string literal merely reads like one; it never lets a SERVICE clause through.
Text the screen cannot make sense of goes on to the real parser, which reports
the position of the error; and a worker process is cut off from the network
where the platform allows it (see :mod:`.worker`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..errors import ProtocolError

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
#: The first keyword of every SPARQL 1.1 Update operation (Update §3.1, §3.2).
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)

#: The refusals, one wording each, whichever face of cyberframe refuses.
READ_ONLY = "cyberframe is read-only: SPARQL Update (and LOAD) is not accepted"
SERVICE_REFUSED = "SERVICE (federated query) is refused: cyberframe never sends requests to other endpoints"

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# One alternative per token class of SPARQL 1.1 Query §19.8, longest first where they overlap.
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                 |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
    | (?P<bnode>_:[^\s(){}\[\],;.]*(?:\.[^\s(){}\[\],;.]+)*)
    | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<pname>(?:[^\W\d_][\w\-.]*)?:(?:[\w\-:%]|\\.)*(?:\.(?:[\w\-:%]|\\.)+)*)
    | (?P<word>[^\W\d][\w]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


# SERVICE, optionally SILENT, then the IRI, variable or prefixed name of the remote endpoint.
_SERVICE_SHAPE = re.compile(
    r"(?<![\w:?$])SERVICE(?:\s|\#[^\n]*\n)+(?:SILENT(?:\s|\#[^\n]*\n)+)?(?:<|[?$]|[^\W\d][\w.-]*:|:)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Screening:
    """What the lexical screen learnt about one request's SPARQL text."""

    form: str | None
    """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``; None if the text is not recognisably a query."""
    update: str | None
    """The update keyword the text starts with (after its prologue), if it is an update."""
    service: bool
    """True if the keyword ``SERVICE`` occurs anywhere (Federated Query §3)."""
    has_dataset: bool
    """True if the query has a dataset clause, ``FROM`` or ``FROM NAMED`` (Query §13.2)."""


def unescape_codepoints(text: str) -> str:
    """Expand ``\\uXXXX`` and ``\\UXXXXXXXX`` as SPARQL 1.1 Query §19.2 describes."""

    def expand(match: re.Match[str]) -> str:
        try:
            return chr(int(match.group(1) or match.group(2), 16))
        except (ValueError, OverflowError):
            return match.group(0)

    return _ESCAPE.sub(expand, text)


def keywords(text: str) -> list[str]:
    """The bare words of *text*, upper-cased, in order: its keywords, function names and ``a``."""
    return [m.group().upper() for m in _TOKEN.finditer(text) if m.lastgroup == "word"]


def screen(text: str) -> Screening:
    """Classify *text* without parsing it fully (see the module docstring).

    ``SERVICE`` is looked for three ways and any one suffices: as a keyword of
    the text as written, as a keyword of the text with codepoint escapes
    expanded, and as the shape ``SERVICE [SILENT] <iri> | ?var | prefix:``
    anywhere at all. A string literal that reads like a SERVICE clause is
    refused too; a SERVICE clause is never let through.
    """
    words = keywords(text)
    position = 0
    while position < len(words) and words[position] in ("BASE", "PREFIX"):
        position += 1  # a prologue declaration's IRI and prefix are not words
    first = words[position] if position < len(words) else None
    expanded = unescape_codepoints(text)
    service = (
        "SERVICE" in words
        or "SERVICE" in keywords(expanded)
        or bool(_SERVICE_SHAPE.search(text) or _SERVICE_SHAPE.search(expanded))
    )
    return Screening(
        form=first if first in QUERY_FORMS else None,
        update=first if first in UPDATE_KEYWORDS else None,
        service=service,
        has_dataset="FROM" in words,
    )


SCREEN_MEMO_MAX = 8192  # characters: screenings of shorter texts are remembered (4096 x 8 KiB at most)


@lru_cache(maxsize=4096)
def _screen_short(text: str) -> Screening:
    return screen(text)


def admit(text: str, *, max_length: int | None = None) -> Screening:
    """Admit *text* as a read-only, offline query, or raise :class:`ProtocolError` saying why not.

    413 for a text over *max_length* characters (None: no limit, for the
    command line, where the text is the user's own); 400 for an empty text, an
    update (SPARQL 1.1 Update §3) or a ``SERVICE`` clause (Federated Query §3).
    A text that is not SPARQL at all is admitted: the store's parser reports
    its position.
    """
    if max_length is not None and len(text) > max_length:
        raise ProtocolError(413, f"query of {len(text)} characters exceeds the limit of {max_length}")
    if not text.strip():
        raise ProtocolError(400, "the query is empty")
    screened = _screen_short(text) if len(text) <= SCREEN_MEMO_MAX else screen(text)
    if screened.update is not None:
        raise ProtocolError(400, f"{READ_ONLY} (the text is a {screened.update} operation)")
    if screened.service:
        raise ProtocolError(400, SERVICE_REFUSED)
    return screened
