"""Admission: which SPARQL text may reach the store, decided before anything runs.

:func:`admit` is the one gate every face of cyberframe uses (the ``/sparql``
endpoint, the query page, ``cyberframe query --sparql``): it refuses, with one
wording, an empty, over-long or over-deep text, an update and any ``SERVICE``
clause, and tells the caller the query form and whether the query brings its
own dataset. It never does unbounded work, in this order:

1. **Length** (413 past the configured limit).
2. **Nesting depth**, in one linear pass (:func:`scan`): ``{``, ``(`` and
   ``[`` counted outside comments, IRIs and string literals (``"…"``,
   ``'…'``, ``\"\"\"…\"\"\"``, ``'''…'''``; SPARQL 1.1 Query §19.8). The store's
   parser is recursive descent, so a deeply nested text would exhaust a worker's
   stack; past :data:`MAX_DEPTH` the text is refused with 400.
3. **Parsing** with a SPARQL 1.1 grammar (tree-sitter-sparql: a generated
   parser in C, linear in practice and not recursive). The decisions come from
   the parse tree: a ``ServiceGraphPattern`` anywhere (sub-select, ``EXISTS``,
   ``OPTIONAL``, nested group; any spelling) is refused, an update operation
   (Update §3) is refused, and the query form (Query §16) and dataset clause
   (§13.2) are read off the top of the tree. Comments and literals are parsed
   as what they are, so they never cause a refusal.

The tree is a second parser's reading, not the store's: pyoxigraph exposes no
parse tree. Where the two grammars could disagree, admission errs towards
refusal: a text the tree-sitter grammar cannot read completely is refused if
a bare ``SERVICE`` keyword occurs among the scanner's tokens, and a text with
codepoint escapes (``\\uXXXX``, §19.2) is parsed again with them expanded.
Every other text the grammar cannot read goes on to the store's parser, which
reports the position of the error; and a worker process is cut off from the
network where the platform allows it (see :mod:`.worker`).
"""

from __future__ import annotations

import re
import threading
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter
import tree_sitter_sparql

from ..errors import ProtocolError

QUERY_FORMS = {
    "select_query": "SELECT",
    "construct_query": "CONSTRUCT",
    "describe_query": "DESCRIBE",
    "ask_query": "ASK",
}
#: The parse-tree nodes of SPARQL 1.1 Update operations (Update §3.1, §3.2).
UPDATE_NODES = frozenset(
    {"load", "clear", "drop", "create", "add", "move", "copy", "insert_data", "delete_data", "delete_where", "modify"}
)
#: The first keyword of every SPARQL 1.1 Update operation (Update §3.1, §3.2), for texts the grammar cannot read.
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
MAX_DEPTH = 64
"""Brackets (``{``, ``(``, ``[`` together) a query may nest; hand-written queries stay far below."""

#: The refusals, one wording each, whichever face of cyberframe refuses.
READ_ONLY = "cyberframe is read-only: SPARQL Update (and LOAD) is not accepted"
SERVICE_REFUSED = "SERVICE (federated query) is refused: cyberframe never sends requests to other endpoints"

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# One token per match. Every alternative is a run of one character class (or an unrolled loop), linear in
# what it consumes; a failed IRI or short string stops at the next character that cannot be in it, so no
# part of the text is read more than twice and a whole scan is linear.
_NAME_CHARS = r"\w\u00B7\u0300-\u036F\u203F-\u2040"
_IRI_CHARS = r"""[^<>"{}|^`\\\x00-\x20]"""
_TOKEN = re.compile(
    r"""
      (?P<brackets>[\s{}()\[\]]+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<iri><IRI*(?:(?:\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})IRI*)*>)
    | (?P<long>'{3}|"{3})
    | (?P<string>'[^'\\\n\r]*(?:\\.[^'\\\n\r]*)*'|"[^"\\\n\r]*(?:\\.[^"\\\n\r]*)*")
    | (?P<var>[?$][NAME]+)
    | (?P<name>[NAME\-:.%]+(?:\\.[NAME\-:.%]*)*)
    | (?P<other>.)
    """.replace("NAME", _NAME_CHARS).replace("IRI", _IRI_CHARS),
    re.VERBOSE | re.DOTALL,
)
_LONG_END = {
    "'" * 3: re.compile(r"[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'{3}", re.DOTALL),
    '"' * 3: re.compile(r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"{3}', re.DOTALL),
}
_STEP = {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}
PARSE_BUDGET = 0.05
"""Seconds the grammar may take over one text; past it the scanner's words decide, towards refusal."""


@dataclass(frozen=True)
class Scan:
    """What one linear pass over the text found (see :func:`scan`)."""

    depth: int
    """The deepest nesting of ``{``, ``(`` and ``[`` outside comments, IRIs and literals (at most the limit + 1)."""
    words: tuple[str, ...]
    """The bare words (keywords, function names, numbers), upper-cased, in order."""


def scan(text: str, limit: int = MAX_DEPTH) -> Scan:
    """Measure the nesting depth of *text* and collect its bare words, in linear time.

    The scan stops as soon as the depth exceeds *limit*. A long string that is
    never closed is read as the empty string followed by a quote (what the
    grammar's longest match falls back to), and every later opening of the
    same kind likewise, so no part of the text is searched twice. A word is a
    run of name characters without a colon (a colon would make it a prefixed
    name or a blank node label) split at dots, which separate tokens there.
    """
    depth = deepest = 0
    words: list[str] = []
    unclosed: set[str] = set()
    position, end = 0, len(text)
    while position < end:
        match = _TOKEN.match(text, position)
        assert match is not None  # the last alternative matches any character
        kind = match.lastgroup
        position = match.end()
        if kind == "brackets":
            for char in match.group():
                step = _STEP.get(char, 0)
                if step > 0:
                    depth += 1
                    if depth > limit:
                        return Scan(depth, tuple(words))
                    deepest = max(deepest, depth)
                elif step < 0 and depth:
                    depth -= 1
        elif kind == "long":
            quote = match.group()
            closing = None if quote in unclosed else _LONG_END[quote].match(text, position)
            if closing is None:
                unclosed.add(quote)
                position = match.start() + 2  # the empty string, then a quote that opens a short one
            else:
                position = closing.end()
        elif kind == "name" and ":" not in match.group():
            words.extend(part.upper() for part in match.group().split(".") if part)
    return Scan(deepest, tuple(words))


@dataclass(frozen=True)
class Screening:
    """What admission learnt about one request's SPARQL text."""

    form: str | None
    """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``; None if the text is not recognisably a query."""
    update: str | None
    """The first keyword of the update operation the text is, if it is one (``INSERT``, ``LOAD``, ...)."""
    service: bool
    """True if the query has a SERVICE clause anywhere (Federated Query §3), or may have one."""
    has_dataset: bool
    """True if the query has a dataset clause, ``FROM`` or ``FROM NAMED`` (Query §13.2)."""
    parsed: bool = True
    """False if the grammar could not read the whole text (in its budget): the store's parser will judge it."""


class _Grammar(threading.local):
    """The tree-sitter SPARQL grammar; a parser per thread, since a parser is not thread-safe."""

    def __init__(self) -> None:
        with warnings.catch_warnings():  # the grammar package hands over its language as a pointer
            warnings.simplefilter("ignore", DeprecationWarning)
            language = tree_sitter.Language(tree_sitter_sparql.language())
        self.parser = tree_sitter.Parser(language)
        self.services = tree_sitter.Query(language, "(service_graph_pattern) @service")


_GRAMMAR = _Grammar()


def unescape_codepoints(text: str) -> str:
    """Expand ``\\uXXXX`` and ``\\UXXXXXXXX`` as SPARQL 1.1 Query §19.2 describes."""

    def expand(match: re.Match[str]) -> str:
        try:
            return chr(int(match.group(1) or match.group(2), 16))
        except (ValueError, OverflowError):
            return match.group(0)

    return _ESCAPE.sub(expand, text)


def parse(text: str, budget: float = PARSE_BUDGET) -> tuple[tree_sitter.Tree, bool] | None:
    """The parse tree of *text* and whether it has a SERVICE clause; None if parsing took over *budget* s."""
    source = text.encode("utf-8", "surrogatepass")
    deadline = time.monotonic() + budget
    try:
        tree = _GRAMMAR.parser.parse(
            lambda offset, _point: source[offset : offset + 65536],
            progress_callback=lambda _offset, _error: time.monotonic() > deadline,
        )
    except ValueError:  # cancelled by the progress callback
        return None
    found = tree_sitter.QueryCursor(_GRAMMAR.services).captures(tree.root_node)
    return tree, bool(found)


def screen(text: str) -> Screening:
    """Classify *text* from its parse tree (see the module docstring); it refuses nothing itself."""
    parsed = parse(text)
    service = parsed is not None and parsed[1]
    if not service and parsed is not None and _ESCAPE.search(text):
        escaped = parse(unescape_codepoints(text))
        service = escaped is None or escaped[1]
    if parsed is None or parsed[0].root_node.has_error:
        # the grammar could not read all of it: the scanner's words decide, towards refusal
        words = scan(text).words
        first = next((w for w in words if w not in ("BASE", "PREFIX")), None)
        return Screening(
            form=first if first in QUERY_FORMS.values() else None,
            update=first if first in UPDATE_KEYWORDS else None,
            service=service or "SERVICE" in words,
            has_dataset="FROM" in words,
            parsed=False,
        )
    form = update = None
    has_dataset = False
    for node in parsed[0].root_node.named_children:
        if node.type in QUERY_FORMS and form is None:
            form = QUERY_FORMS[node.type]
            has_dataset = any(child.type == "dataset_clause" for child in node.named_children)
        elif node.type in UPDATE_NODES and update is None:
            update = (node.text or b"").decode("utf-8", "replace").split(None, 1)[0].upper()
    return Screening(form=form, update=update, service=service, has_dataset=has_dataset)


SCREEN_MEMO_MAX = 8192  # characters: screenings of shorter texts are remembered (4096 x 8 KiB at most)


@lru_cache(maxsize=4096)
def _screen_short(text: str) -> Screening:
    return screen(text)


def admit(text: str, *, max_length: int | None = None) -> Screening:
    """Admit *text* as a read-only, offline query, or raise :class:`ProtocolError` saying why not.

    413 for a text over *max_length* characters (None: no limit, for the
    command line, where the text is the user's own); 400 for an empty text, a
    text nested more than :data:`MAX_DEPTH` deep, an update (SPARQL 1.1 Update
    §3) or a ``SERVICE`` clause (Federated Query §3). A text that is not SPARQL
    at all is admitted: the store's parser reports its position.
    """
    if max_length is not None and len(text) > max_length:
        raise ProtocolError(413, f"query of {len(text)} characters exceeds the limit of {max_length}")
    if not text.strip():
        raise ProtocolError(400, "the query is empty")
    depth = scan(text).depth
    if depth > MAX_DEPTH:
        raise ProtocolError(400, f"the query nests brackets ({{, ( and [) more than {MAX_DEPTH} deep; simplify it")
    screened = _screen_short(text) if len(text) <= SCREEN_MEMO_MAX else screen(text)
    if screened.update is not None:
        raise ProtocolError(400, f"{READ_ONLY} (the text is a {screened.update} operation)")
    if screened.service:
        raise ProtocolError(400, SERVICE_REFUSED)
    return screened
