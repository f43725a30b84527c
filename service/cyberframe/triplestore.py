"""A client for an external SPARQL store that holds the dataset (docs/scaling.md).

It speaks two W3C protocols over HTTP and nothing else: the SPARQL 1.1
Protocol (queries, at the store's query endpoint) and the SPARQL 1.1 Graph
Store HTTP Protocol (``PUT ?graph=IRI`` replaces one named graph, §5.3). Logins
are HTTP Basic (RFC 7617) or Digest (RFC 7616, which Virtuoso's authenticated
endpoint asks for), sent only to a store that asks for them. No message or log
line ever holds the password: :meth:`StoreConfig.redacted` is the store as
messages name it.

The store's failures become :class:`StoreError` subclasses, each saying what
to do: :class:`StoreUnreachable` (nothing answers), :class:`StoreTimeout`
(no answer in time), :class:`StoreAuthRefused` (401/403),
:class:`StoreWithoutGsp` (no Graph Store endpoint there) and
:class:`StoreRefused` (any other answer that is not 2xx).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import urllib3

from .errors import CyberframeError

#: How the Graph Store endpoint is found from the query endpoint when ``--gsp`` is not given:
#: Oxigraph server serves both under one root; Virtuoso has an open and an authenticated one.
_OXIGRAPH_QUERY, _OXIGRAPH_GSP = "/query", "/store"
_VIRTUOSO_QUERY, _VIRTUOSO_GSP, _VIRTUOSO_GSP_AUTH = "/sparql", "/sparql-graph-crud", "/sparql-graph-crud-auth"

#: How much of a store's error answer a message quotes.
MESSAGE_CHARS = 500

_RESULTS_JSON = "application/sparql-results+json"


class StoreError(CyberframeError):
    """The store cannot be used as asked; the message names it (never the password) and what to do."""


class StoreUnreachable(StoreError):
    """Nothing answers at the store's address: connection refused or reset, unknown host, or no connection in time."""


class StoreTimeout(StoreError):
    """The store accepted the connection but did not answer within the time limit."""


class StoreAuthRefused(StoreError):
    """The store refused the login (HTTP 401 or 403), or asked for one when none was given."""


class StoreWithoutGsp(StoreError):
    """No Graph Store Protocol endpoint answers at the GSP URL (404, 405, 501...)."""


class StoreRefused(StoreError):
    """The store answered a request with another status that is not 2xx; *status* and its own words (shortened)."""

    def __init__(self, message: str, *, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


def _check_url(url: str, what: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"{what} {url!r} is not an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        shown = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        raise StoreError(f"{what} {shown} carries a login in the URL: give it with --user/--password or --auth-file")
    if parts.fragment:
        raise StoreError(f"{what} {url!r} has a fragment (#...); give the endpoint's URL without it")
    return url


def derive_gsp_url(query_url: str, *, authenticated: bool) -> str:
    """The Graph Store endpoint next to *query_url*: ``.../query`` -> ``.../store`` (Oxigraph server),
    ``.../sparql`` -> ``.../sparql-graph-crud-auth`` with a login or ``.../sparql-graph-crud`` without (Virtuoso).

    Any other URL raises :class:`StoreError` asking for ``--gsp``.
    """
    parts = urllib.parse.urlsplit(query_url)
    path = parts.path.rstrip("/")
    for suffix, gsp in (
        (_OXIGRAPH_QUERY, _OXIGRAPH_GSP),
        (_VIRTUOSO_QUERY, _VIRTUOSO_GSP_AUTH if authenticated else _VIRTUOSO_GSP),
    ):
        if path.endswith(suffix):
            return urllib.parse.urlunsplit(parts._replace(path=path[: -len(suffix)] + gsp, query=""))
    raise StoreError(
        f"cannot tell the Graph Store Protocol endpoint of {query_url}: give it with --gsp "
        "(it is derived only for .../query, Oxigraph server, and .../sparql, Virtuoso)"
    )


@dataclass(frozen=True)
class StoreConfig:
    """Where the store is and how to log in; ``repr`` never shows the password."""

    query_url: str
    gsp_url: str | None
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_options(
        cls,
        url: str,
        *,
        gsp: str | None = None,
        user: str | None = None,
        password: str | None = None,
        auth_file: str | Path | None = None,
    ) -> StoreConfig:
        """The configuration the CLI options describe; the GSP URL is derived when not given (:func:`derive_gsp_url`).

        *auth_file* holds ``user:password`` on its first line (the password may hold colons); it excludes
        *user* and *password*, which go together.
        """
        _check_url(url, "store URL")
        if auth_file is not None:
            if user is not None or password is not None:
                raise StoreError("give either --auth-file or --user/--password, not both")
            user, password = read_auth_file(Path(auth_file))
        elif (user is None) != (password is None):
            raise StoreError("--user and --password go together (or give --auth-file)")
        if gsp is not None:
            _check_url(gsp, "GSP URL")
        else:
            gsp = derive_gsp_url(url, authenticated=user is not None)
        return cls(url, gsp, user, password)

    @property
    def graph_store_url(self) -> str:
        """The GSP endpoint: the one given, or derived from the query endpoint."""
        return self.gsp_url or derive_gsp_url(self.query_url, authenticated=self.user is not None)

    def redacted(self) -> str:
        """The store as messages and logs name it: its query URL, and the user if there is one; never the password."""
        return f"{self.query_url} (user {self.user})" if self.user else self.query_url


def read_auth_file(path: Path) -> tuple[str, str]:
    """``(user, password)`` from the first line of *path*, ``user:password``; messages never show the password."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot read the auth file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise StoreError(f"the auth file {path} is not UTF-8 text") from exc
    line = text.splitlines()[0] if text.strip() else ""
    user, sep, password = line.partition(":")
    if not sep or not user or not password:
        raise StoreError(f"the auth file {path} must hold one line 'user:password'")
    return user, password


# --- HTTP authentication --------------------------------------------------------------------------

_AUTH_PARAM = re.compile(r'([A-Za-z][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)')


@dataclass
class _Challenge:
    """What a store asked for in ``WWW-Authenticate``: ``basic``, or ``digest`` with its parameters."""

    scheme: str
    params: dict[str, str]
    count: int = 0  # the nonce count (RFC 7616 §3.4): requests sent with this nonce


def _challenges(headers: urllib3.HTTPHeaderDict) -> list[_Challenge]:
    """The challenges of an answer's ``WWW-Authenticate`` headers (RFC 9110 §11.6.1), Digest and Basic only."""
    found: list[_Challenge] = []
    for header in headers.getlist("WWW-Authenticate"):
        # one header may hold several challenges: split before each scheme token that is not a parameter
        for chunk in re.split(r",\s*(?=[A-Za-z][\w-]*\s+[A-Za-z][\w-]*\s*=)", header):
            scheme, _, rest = chunk.strip().partition(" ")
            params = {k.lower(): _unquote(v) for k, v in _AUTH_PARAM.findall(rest)}
            if scheme.lower() in ("digest", "basic"):
                found.append(_Challenge(scheme.lower(), params))
    return found


def _unquote(value: str) -> str:
    """An auth-param value without its quotes and backslash escapes (RFC 9110 §5.6.4)."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _digest_hash(algorithm: str) -> tuple[str, bool]:
    """The hash of an RFC 7616 algorithm name and whether it is a ``-sess`` variant; StoreError if unsupported."""
    name = algorithm.upper()
    session = name.endswith("-SESS")
    base = name.removesuffix("-SESS")
    if base not in ("MD5", "SHA-256"):
        raise StoreError(f"the store asks for HTTP Digest with algorithm {algorithm}, which cyberframe does not speak")
    return base, session


def _digest_header(
    challenge: _Challenge, user: str, password: str, method: str, uri: str, cnonce: str | None = None
) -> str:
    """The ``Authorization: Digest`` answer to *challenge* for *method* on request-target *uri* (RFC 7616 §3.4);
    *cnonce* is random unless given."""
    params = challenge.params
    base, session = _digest_hash(params.get("algorithm", "MD5"))

    def h(text: str) -> str:
        return hashlib.new(base.replace("-", "").lower(), text.encode("utf-8")).hexdigest()

    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    if qops and "auth" not in qops:
        raise StoreError(f"the store asks for HTTP Digest with qop={params['qop']}; cyberframe speaks qop=auth only")
    challenge.count += 1
    nc = f"{challenge.count:08x}"
    cnonce = cnonce or os.urandom(16).hex()
    ha1 = h(f"{user}:{realm}:{password}")
    if session:
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}") if qops else h(f"{ha1}:{nonce}:{ha2}")

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    fields = [
        f"username={quoted(user)}",
        f"realm={quoted(realm)}",
        f"nonce={quoted(nonce)}",
        f"uri={quoted(uri)}",
        f"algorithm={params.get('algorithm', 'MD5')}",
        f"response={quoted(response)}",
    ]
    if "opaque" in params:
        fields.append(f"opaque={quoted(params['opaque'])}")
    if qops:
        fields += ["qop=auth", f"nc={nc}", f"cnonce={quoted(cnonce)}"]
    return "Digest " + ", ".join(fields)


@dataclass(frozen=True)
class StoreAnswer:
    """A store's 2xx answer to a query: its media type (without parameters) and body, as sent."""

    media_type: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


# --- the client -----------------------------------------------------------------------------------


class StoreClient:
    """Requests to one store through one ``urllib3.PoolManager`` (thread-safe; no retries of its own).

    *timeout* bounds connecting and each wait for the store's answer, in seconds.
    """

    def __init__(self, config: StoreConfig, *, timeout: float = 30.0, pool_size: int = 8) -> None:
        self.config = config
        self.timeout = timeout
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=pool_size, block=False, retries=False)
        self._lock = threading.Lock()
        self._challenges: dict[str, _Challenge | None] = {}  # per endpoint: what it asked for, None if nothing

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.clear()

    # -- the operations --

    def ping(self, timeout: float | None = None) -> None:
        """``ASK {}`` at the query endpoint: return when the store answers 2xx, raise a :class:`StoreError` if not."""
        self._query("ASK {}", timeout)

    def put_graph(self, graph_iri: str, data: bytes, media_type: str = "application/n-triples") -> None:
        """Replace the named graph *graph_iri* by *data* (GSP ``PUT ?graph=``, §5.3): a rerun changes nothing."""
        iri = ox.NamedNode(graph_iri).value  # refuses what is not an IRI
        url = self.config.graph_store_url
        self._send("PUT", url, {"graph": iri}, data, {"Content-Type": media_type}, gsp=True)

    def query(
        self,
        sparql: str,
        *,
        accept: str = _RESULTS_JSON,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout: float | None = None,
    ) -> StoreAnswer:
        """Send *sparql* to the query endpoint as it is (SPARQL 1.1 Protocol §2.1.2) and return the answer.

        *default_graphs* and *named_graphs* become ``default-graph-uri`` and ``named-graph-uri`` (§2.1.4): the
        way to give every store the same dataset (docs/scaling.md, "What differs between the stores").
        A status other than 2xx raises a :class:`StoreError` subclass.
        """
        params = [("query", sparql)]
        params += [("default-graph-uri", ox.NamedNode(g).value) for g in default_graphs]
        params += [("named-graph-uri", ox.NamedNode(g).value) for g in named_graphs]
        answer = self._post_query(urllib.parse.urlencode(params).encode("ascii"), accept, timeout)
        media_type = (answer.headers.get("Content-Type") or "").partition(";")[0].strip().lower()
        return StoreAnswer(media_type, answer.data, dict(answer.headers))

    def graph_counts(self, graphs: Iterable[str]) -> dict[str, int]:
        """Triples in each of *graphs* in the store, by one ``SELECT ... GROUP BY ?g``; 0 for a graph it lacks."""
        names = [ox.NamedNode(g) for g in graphs]
        if not names:
            return {}
        values = " ".join(str(n) for n in names)
        sparql = f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
        body = self._query(sparql, None)
        counts = dict.fromkeys((n.value for n in names), 0)
        try:
            for row in json.loads(body)["results"]["bindings"]:
                counts[row["g"]["value"]] = int(row["n"]["value"])
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"the store at {self.config.redacted()} answered the triple count with an unreadable "
                f"SPARQL JSON result ({exc.__class__.__name__}: {exc})"
            ) from exc
        return counts

    # -- HTTP --

    def _query(self, sparql: str, timeout: float | None) -> bytes:
        """POST *sparql* to the query endpoint, asking for SPARQL JSON results; the answer's body."""
        return self._post_query(urllib.parse.urlencode({"query": sparql}).encode("ascii"), _RESULTS_JSON, timeout).data

    def _post_query(self, form: bytes, accept: str, timeout: float | None) -> urllib3.BaseHTTPResponse:
        """POST a form-encoded query request (SPARQL 1.1 Protocol §2.1.2) to the query endpoint."""
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        return self._send("POST", self.config.query_url, {}, form, headers, gsp=False, timeout=timeout)

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str],
        body: bytes | None,
        headers: Mapping[str, str],
        *,
        gsp: bool,
        timeout: float | None = None,
    ) -> urllib3.BaseHTTPResponse:
        if params:
            url += ("&" if urllib.parse.urlsplit(url).query else "?") + urllib.parse.urlencode(params)
        limit = self.timeout if timeout is None else timeout
        endpoint = url.partition("?")[0]
        if self.config.user is not None and endpoint not in self._challenges and body:
            # learn the login scheme with a bodiless request first, so that the body is sent once
            learnt = self._learn(url, limit)
            with self._lock:
                self._challenges[endpoint] = learnt
        answer = self._request(method, url, body, headers, limit, self._authorization(endpoint, method, url))
        if answer.status == 401 and self.config.user is not None:
            fresh = _challenges(answer.headers)
            if fresh:  # the first challenge, or a stale nonce: answer it once
                with self._lock:
                    self._challenges[endpoint] = fresh[0]
                answer = self._request(method, url, body, headers, limit, self._authorization(endpoint, method, url))
        if 200 <= answer.status < 300:
            return answer
        raise self._failure(method, url, answer, gsp=gsp)

    def _learn(self, url: str, timeout: float) -> _Challenge | None:
        """What *url* asks for, learnt from a ``HEAD`` (GSP §5.5): Digest before Basic, None if it asks nothing."""
        found = _challenges(self._request("HEAD", url, None, {}, timeout, None).headers)
        found.sort(key=lambda c: c.scheme != "digest")
        return found[0] if found else None

    def _authorization(self, endpoint: str, method: str, url: str) -> str | None:
        user, password = self.config.user, self.config.password
        if user is None or password is None:
            return None
        with self._lock:
            challenge = self._challenges.get(endpoint)
            if challenge is None:
                return None  # the store has not asked: the password is not sent
            if challenge.scheme == "basic":
                return urllib3.util.make_headers(basic_auth=f"{user}:{password}")["authorization"]
            parts = urllib.parse.urlsplit(url)
            target = parts.path + ("?" + parts.query if parts.query else "")
            return _digest_header(challenge, user, password, method, target)

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float,
        authorization: str | None,
    ) -> urllib3.BaseHTTPResponse:
        sent = dict(headers)
        if authorization:
            sent["Authorization"] = authorization
        where = self.config.redacted()
        try:
            return self._pool.request(
                method,
                url,
                body=body,
                headers=sent,
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
                redirect=False,
            )
        except urllib3.exceptions.ConnectTimeoutError as exc:  # refused, unknown host, or no connection in time
            raise StoreUnreachable(
                f"the store at {where} is unreachable ({_reason(exc)}): check that it runs and the URL"
            ) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise StoreTimeout(f"the store at {where} did not answer within {timeout:g} s") from exc
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError) as exc:  # reset, closed mid-answer
            raise StoreUnreachable(f"the store at {where} dropped the connection ({_reason(exc)})") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise StoreUnreachable(f"the store at {where} cannot be reached ({_reason(exc)})") from exc

    def _failure(self, method: str, url: str, answer: urllib3.BaseHTTPResponse, *, gsp: bool) -> StoreError:
        status = answer.status
        detail = answer.data.decode("utf-8", "replace").strip()[:MESSAGE_CHARS]
        where = self.config.redacted()
        endpoint = url.partition("?")[0]
        if status in (401, 403):
            if self.config.user is None:
                return StoreAuthRefused(
                    f"the store at {where} asks for a login at {endpoint} ({status}): "
                    "give --user and --password, or --auth-file"
                )
            if status == 403:
                return StoreAuthRefused(
                    f"the store at {where} refused {method} at {endpoint} to user {self.config.user} (403): "
                    "the user may not do that; give it the right to write graphs "
                    '(Virtuoso: GRANT SPARQL_UPDATE TO "user")'
                )
            return StoreAuthRefused(
                f"the store at {where} refused the login at {endpoint} ({status}): check the user and password"
            )
        if gsp and status in (404, 405, 406, 415, 501):
            return StoreWithoutGsp(
                f"no SPARQL Graph Store Protocol endpoint answers {method} at {endpoint} ({status}): "
                "give the store's GSP endpoint with --gsp"
            )
        said = f": {detail}" if detail else ""
        return StoreRefused(
            f"the store at {where} refused {method} {endpoint} with HTTP {status}{said}", status=status, detail=detail
        )


def _reason(exc: BaseException) -> str:
    """The innermost cause of a urllib3 error, in words (``Connection refused``), without the URL."""
    while exc.__context__ is not None and not isinstance(exc, OSError):
        exc = exc.__context__
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    return text.rpartition(": ")[2] or exc.__class__.__name__


def verify_loaded(client: StoreClient, expected: Mapping[str, int]) -> list[str]:
    """The differences between the triples per named graph in the store and *expected* (graph IRI -> count);
    empty when the store holds the dataset."""
    counts = client.graph_counts(expected)
    return [
        f"graph {iri}: the store holds {counts[iri]} triples, the build has {want}"
        for iri, want in expected.items()
        if counts[iri] != want
    ]


def expected_counts(graphs: Mapping[str, int]) -> dict[str, int]:
    """A build manifest's triple counts (graph name -> count) keyed by the named graphs' IRIs."""
    from .namespaces import GRAPH

    return {str(GRAPH) + name: count for name, count in graphs.items()}
