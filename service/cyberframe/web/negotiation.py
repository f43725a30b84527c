"""Content negotiation (SPARQL 1.1 Protocol §2.1.6, RFC 9110 §12.5.1).

The client's ``Accept`` header picks among the offered
:class:`~cyberframe.sparql.formats.Format` objects with q-values and wildcards
(werkzeug's ``MIMEAccept``), and a ``format=`` parameter overrides it for
browsers and for tools that cannot set headers. Nothing acceptable means 406
with the list of what is on offer.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import request
from werkzeug.datastructures import MIMEAccept

from ..sparql.formats import KIND_OF_FORM, KINDS, Format, NotAcceptable


def _by_format_param(value: str, offered: Sequence[Format]) -> Format | None:
    wanted = value.strip().lower()
    for fmt in offered:
        if wanted in (fmt.key, *fmt.keywords, fmt.media_type, *fmt.aliases):
            return fmt
    return None


def negotiate(accept: MIMEAccept, offered: Sequence[Format], format_param: Sequence[str] = ()) -> Format:
    """Choose the format to answer in, or raise :class:`NotAcceptable`.

    ``format=`` wins over ``Accept`` (the first of its values that names an
    offered format); an absent or empty ``Accept`` means the first (default)
    offered format. Among formats the client values equally, the more
    specific match and then the server's order decide.
    """
    if format_param:
        for value in format_param:
            chosen = _by_format_param(value, offered)
            if chosen is not None:
                return chosen
        raise NotAcceptable(offered, "format=" + ",".join(format_param))
    if not accept:
        return offered[0]
    # Canonical media types before aliases, so that a wildcard (text/*) picks text/csv, not text/xml.
    candidates = [(fmt.media_type, fmt) for fmt in offered]
    candidates += [(alias, fmt) for fmt in offered for alias in fmt.aliases]
    best = accept.best_match([media for media, _ in candidates])
    if best is None:
        raise NotAcceptable(offered, f"Accept: {accept.to_header()}")
    return next(fmt for media, fmt in candidates if media == best)


def choose(offered: Sequence[Format]) -> Format:
    """The format of the current request: ``format=`` over ``Accept``; 406 if none fits."""
    return negotiate(request.accept_mimetypes, offered, request.args.getlist("format"))


def negotiate_kinds(accept: MIMEAccept, format_param: Sequence[str], form: str | None) -> dict[str, str | None]:
    """The format key to use for each kind of result this query may produce.

    With the query form known from admission, only its kind is negotiated and
    a mismatch is a 406 before the query runs. Otherwise every kind is
    negotiated and the worker uses the one that matches the result (``None``
    marks a kind for which nothing was acceptable).
    """
    if form is not None:
        kind = KIND_OF_FORM[form]
        return {kind: negotiate(accept, KINDS[kind], format_param).key}
    chosen: dict[str, str | None] = {}
    for kind, offered in KINDS.items():
        try:
            chosen[kind] = negotiate(accept, offered, format_param).key
        except NotAcceptable:
            chosen[kind] = None
    return chosen


def prefers_html() -> bool:
    """True if the current request is a browser's: ``format=html``, or no ``format=`` and an ``Accept``
    that values HTML above plain text and JSON (so ``*/*`` alone, as curl sends it, is not a browser).

    The one rule of the web face: a request whose best match is HTML gets a page, on every route.
    """
    formats = [value.strip().lower() for value in request.args.getlist("format")]
    if formats:
        return formats[0] in ("html", "text/html")
    accept = request.accept_mimetypes
    return (
        accept.best_match(["text/plain", "application/json", "text/html"]) == "text/html"
        and accept["text/html"] > accept["text/plain"]
    )
