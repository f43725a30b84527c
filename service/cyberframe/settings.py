"""The service's settings: one table, one dataclass, one order of precedence (docs/settings.md).

Every field of :class:`Settings` is a row of the table: its name, default,
environment variable, ``cyberframe serve`` flag and meaning live in the
field's metadata, and nowhere else. A value comes from the first of

1. a flag on the command line (or a value the caller passes, e.g. a test),
2. the environment variable,
3. the default,

as :meth:`Settings.resolve` applies it. ``cyberframe serve --help``, the app
factory (:func:`cyberframe.web.create_app`, for any WSGI server) and
docs/settings.md all read this table.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

ENV_PREFIX = "CYBERFRAME_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SettingsError(ValueError):
    """A setting's value is malformed or out of range; the message names the setting and where it came from."""


def _row(
    default: Any,
    env: str,
    meaning: str,
    *,
    flag: str | None = None,
    kind: type = str,
    minimum: float | None = None,
    maximum: float | None = None,
    unset: str | None = None,
) -> Any:
    """One row of the settings table, as a dataclass field. *unset* says what ``None`` (the default) means."""
    return field(
        default=default,
        metadata={
            "env": ENV_PREFIX + env,
            "flag": flag,
            "meaning": meaning,
            "kind": kind,
            "minimum": minimum,
            "maximum": maximum,
            "unset": unset,
        },
    )


@dataclass(frozen=True)
class Settings:
    """How one cyberframe service runs. Build it with :meth:`resolve`; the instance never changes."""

    host: str = _row("127.0.0.1", "HOST", "Interface to listen on.", flag="--host")
    port: int = _row(
        8000, "PORT", "TCP port; 0 picks a free one.", flag="--port", kind=int, minimum=0, maximum=65535
    )
    http_workers: int | None = _row(
        None,
        "HTTP_WORKERS",
        "HTTP server processes (gunicorn on POSIX; elsewhere one waitress process).",
        flag="--http-workers",
        kind=int,
        minimum=1,
        maximum=256,
        unset="one per CPU",
    )
    threads: int = _row(
        32, "THREADS", "HTTP server threads per HTTP process.", flag="--threads", kind=int, minimum=2, maximum=512
    )
    workers: int | None = _row(
        None,
        "SPARQL_WORKERS",
        "Query worker processes per HTTP process (with --store: concurrent requests to the store, default 8 or more).",
        flag="--workers",
        kind=int,
        minimum=1,
        maximum=64,
        unset="CPUs / HTTP processes, min 2",
    )
    timeout: float = _row(
        10.0,
        "SPARQL_TIMEOUT",
        "Time limit per query in seconds, waiting for a worker included.",
        flag="--timeout",
        kind=float,
        minimum=0.1,
    )
    max_rows: int = _row(
        10_000,
        "SPARQL_MAX_ROWS",
        "Solutions or triples per answer; more are cut and flagged (X-Cyberframe-Truncated).",
        flag="--max-rows",
        kind=int,
        minimum=1,
    )
    max_answer_bytes: int = _row(
        64 << 20,
        "SPARQL_MAX_ANSWER_BYTES",
        "Bytes per answer; the solutions or triples past it are cut and flagged (X-Cyberframe-Truncated).",
        flag="--max-answer-bytes",
        kind=int,
        minimum=4096,
    )
    max_query_length: int = _row(
        100_000,
        "SPARQL_MAX_QUERY_LENGTH",
        "Characters of SPARQL text; a longer query is refused with 413.",
        flag="--max-query-length",
        kind=int,
        minimum=1,
    )
    store: str | None = _row(
        None,
        "STORE",
        "SPARQL 1.1 query endpoint of a store that holds the dataset (put there by cyberframe load); "
        "queries run there instead of in the embedded store.",
        flag="--store",
        unset="the embedded store",
    )
    store_auth_file: str | None = _row(
        None,
        "STORE_AUTH_FILE",
        "File holding user:password for the store's query endpoint (HTTP Basic); never logged.",
        flag="--store-auth-file",
        unset="no credentials",
    )
    store_wait: float = _row(
        0.0,
        "STORE_WAIT",
        "Seconds to keep retrying a store that cannot be reached at start; 0 gives up at once (exit 2).",
        flag="--store-wait",
        kind=float,
        minimum=0.0,
    )
    max_waiting: int | None = _row(
        None,
        "SPARQL_MAX_WAITING",
        "Queries per HTTP process that may wait for a busy worker (the queue); one more is answered 503.",
        flag="--max-waiting",
        kind=int,
        minimum=0,
        unset="threads - 4, at least 1",
    )
    cache_mb: int = _row(
        64, "SPARQL_CACHE_MB", "Answer cache in MiB; 0 switches it off.", flag="--cache-mb", kind=int, minimum=0
    )
    cache_entry_mb: int = _row(
        4,
        "SPARQL_CACHE_ENTRY_MB",
        "Largest single answer the cache keeps, in MiB.",
        flag="--cache-entry-mb",
        kind=int,
        minimum=1,
    )
    worker_memory_mb: int = _row(
        4096,
        "SPARQL_WORKER_MEMORY_MB",
        "Address space of one query worker in MiB; a query over it fails with 503. 0: no limit.",
        flag="--worker-memory-mb",
        kind=int,
        minimum=0,
    )
    worker_copy_triples: int = _row(
        250_000,
        "SPARQL_WORKER_COPY_TRIPLES",
        "Datasets up to this many triples are copied into each query worker's memory (faster queries); "
        "larger ones are queried in the shared read-only store on disk. 0: always the shared store.",
        flag="--worker-copy-triples",
        kind=int,
        minimum=0,
    )
    isolate_network: bool = _row(
        True,
        "SPARQL_ISOLATE_NETWORK",
        "Move query workers into an empty network namespace (Linux), so no query can reach a host.",
        flag="--isolate-network/--no-isolate-network",
        kind=bool,
    )
    start_workers: bool = _row(
        False,
        "SPARQL_START_WORKERS",
        "Start the query workers when the app is created rather than on the first query "
        "(cyberframe serve starts them in each HTTP process before it takes requests).",
        kind=bool,
    )
    max_body_bytes: int = _row(
        1 << 20,
        "MAX_BODY_BYTES",
        "Largest request body in bytes (a POSTed query or form); more is refused with 413.",
        flag="--max-body-bytes",
        kind=int,
        minimum=1,
    )
    validate_max_bytes: int = _row(
        1 << 20,
        "VALIDATE_MAX_BYTES",
        "Largest document POST /validate and POST /coverage accept, in bytes (RDF, CSV or XLSX).",
        flag="--validate-max-bytes",
        kind=int,
        minimum=1,
    )
    validate_concurrency: int = _row(
        2,
        "VALIDATE_CONCURRENCY",
        "Validation worker processes: validations that may run at once; one more is answered 503 at once, "
        "before its body is read.",
        flag="--validate-concurrency",
        kind=int,
        minimum=1,
    )
    validate_timeout: float = _row(
        30.0,
        "VALIDATE_TIMEOUT",
        "Time limit in seconds for parsing and validating one document (POST /validate, cyberframe validate); "
        "over it the worker is stopped and the answer is 503.",
        flag="--validate-timeout",
        kind=float,
        minimum=0.1,
    )
    validate_memory_mb: int = _row(
        2048,
        "VALIDATE_MEMORY_MB",
        "Address space of one validation worker in MiB (POST /validate, cyberframe validate); "
        "a validation over it fails with 413. 0: no limit.",
        flag="--validate-memory-mb",
        kind=int,
        minimum=0,
    )
    public_base: str = _row(
        "https://w3id.org/cyberframe/",
        "PUBLIC_BASE",
        "The IRI prefix that this service dereferences as local pages (/id/...).",
        flag="--public-base",
    )
    public_url: str | None = _row(
        None,
        "PUBLIC_URL",
        "The URL clients reach this service at, such as https://sparql.example.org/cf; every absolute URL it shows "
        "is built from it, never from a request's Host header; an https address turns on Strict-Transport-Security.",
        flag="--public-url",
        unset="from each request's Host",
    )
    trusted_hosts: str | None = _row(
        None,
        "TRUSTED_HOSTS",
        "Comma-separated host names this service answers for (.example.org: and its subdomains); "
        "a request with another Host header gets 400.",
        flag="--trusted-hosts",
        unset="any",
    )
    frame_ancestors: str = _row(
        "'none'",
        "FRAME_ANCESTORS",
        "Who may show the pages in a frame (CSP frame-ancestors): 'none', 'self' or origins, space-separated.",
        flag="--frame-ancestors",
    )
    connect_sources: str | None = _row(
        None,
        "CONNECT_SOURCES",
        "Further origins the pages' scripts may query (CSP connect-src, besides the site), space-separated.",
        flag="--connect-sources",
        unset="none",
    )
    access_log: bool = _row(
        True,
        "ACCESS_LOG",
        "One log line per request (logger cyberframe.access).",
        flag="--access-log/--quiet",
        kind=bool,
    )

    # --- derived values ---------------------------------------------------------------------------

    @property
    def http_worker_count(self) -> int:
        """HTTP server processes: the setting, or one per CPU."""
        return self.http_workers or os.cpu_count() or 1

    @property
    def worker_count(self) -> int:
        """Query worker processes per HTTP process: the setting, or the CPUs shared out, at least two."""
        if self.workers:
            return self.workers
        cpus = os.cpu_count() or 1
        return max(2, -(-cpus // self.http_worker_count))

    @property
    def store_connection_count(self) -> int:
        """Concurrent requests to a remote store per HTTP process: the ``workers`` setting, or at least eight."""
        return self.workers or max(8, self.worker_count)

    @property
    def waiting_limit(self) -> int:
        """Requests that may wait for a worker: the setting, or all threads but four (kept for /health)."""
        return self.max_waiting if self.max_waiting is not None else max(self.threads - 4, 1)

    @property
    def trusted_host_list(self) -> list[str] | None:
        """:attr:`trusted_hosts` as a list, None when unset (any host)."""
        if self.trusted_hosts is None:
            return None
        return [name.strip().lower() for name in self.trusted_hosts.split(",") if name.strip()]

    @property
    def base(self) -> str:
        """:attr:`public_base` with exactly one trailing slash."""
        return self.public_base.rstrip("/") + "/"

    # --- resolving --------------------------------------------------------------------------------

    @classmethod
    def resolve(cls, given: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from *given* (flags or a caller's values, by field name), else *environ*, else defaults.

        ``None`` in *given* means "not given". Raises :class:`SettingsError` for
        an unknown name or a malformed or out-of-range value.
        """
        return cls(**{row.name: value for row, value, _ in explain(given, environ)})


@dataclass(frozen=True)
class Row:
    """A setting as the table shows it (docs/settings.md)."""

    name: str
    default: Any
    env: str
    flag: str | None
    meaning: str
    kind: type
    minimum: float | None
    maximum: float | None
    unset: str | None

    @property
    def default_text(self) -> str:
        return self.text(self.default)

    def text(self, value: Any) -> str:
        """*value* as the table and ``--print-settings`` show it (``on``/``off``, what ``None`` means)."""
        if value is None:
            return self.unset or "none"
        if self.kind is bool:
            return "on" if value else "off"
        return str(value)

    def parse(self, text: str, origin: str) -> Any:
        """*text* (an environment variable's value) as this setting's type, checked."""
        value: Any
        raw = text.strip()
        if self.kind is bool:
            if raw.lower() not in _TRUE + _FALSE:
                raise SettingsError(f"{origin}={text!r}: expected one of {', '.join(_TRUE + _FALSE)}")
            value = raw.lower() in _TRUE
        elif self.kind in (int, float):
            try:
                value = self.kind(raw)
            except ValueError:
                expected = "an integer" if self.kind is int else "a number"
                raise SettingsError(f"{origin}={text!r}: expected {expected}") from None
        else:
            value = text
        _check(self, value, origin)
        return value


def rows() -> tuple[Row, ...]:
    """The settings table, in the order of :class:`Settings`."""
    return tuple(Row(name=f.name, default=f.default, **f.metadata) for f in fields(Settings))


_ROWS = {row.name: row for row in rows()}
#: Where every command keeps the built graph's snapshot; not a row, since it is not the service's alone.
CACHE_DIR_ENV = ENV_PREFIX + "CACHE_DIR"
#: Variables of earlier releases, and what replaced them (the unit changed with the name).
RENAMED = {
    ENV_PREFIX + "SPARQL_CACHE_BYTES": ENV_PREFIX + "SPARQL_CACHE_MB",
    ENV_PREFIX + "SPARQL_CACHE_ENTRY_BYTES": ENV_PREFIX + "SPARQL_CACHE_ENTRY_MB",
    ENV_PREFIX + "SPARQL_WORKER_MEMORY": ENV_PREFIX + "SPARQL_WORKER_MEMORY_MB",
    ENV_PREFIX + "MAX_CONTENT_LENGTH": ENV_PREFIX + "MAX_BODY_BYTES",
}
_KNOWN_VARIABLES = frozenset({row.env for row in _ROWS.values()} | {CACHE_DIR_ENV})


def _check_public_url(value: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "expected an http or https URL with a host, such as https://sparql.example.org"
    if parts.query or parts.fragment or parts.username or parts.password:
        return "the URL may have a path prefix but no query, fragment or user"
    return None


def _check_hosts(value: str) -> str | None:
    names = [name.strip() for name in value.split(",")]
    if not all(names) or any(":" in name or "/" in name or " " in name for name in names):
        return "expected host names separated by commas, without ports, such as sparql.example.org,.example.net"
    return None


#: Settings whose text has a form to check beyond its type.
_FORMS = {"public_url": _check_public_url, "trusted_hosts": _check_hosts}


def _check(row: Row, value: Any, origin: str) -> None:
    if value is None and row.default is None:
        return
    form = _FORMS.get(row.name)
    if form is not None and isinstance(value, str):
        problem = form(value)
        if problem:
            raise SettingsError(f"{row.name} from {origin}: {value!r}: {problem}")
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    fits = isinstance(value, row.kind) and (row.kind is bool or not isinstance(value, bool))
    if not fits and not (row.kind is float and isinstance(value, int) and numeric):
        raise SettingsError(f"{row.name} from {origin}: expected {row.kind.__name__}, got {value!r}")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    if not math.isfinite(value):
        raise SettingsError(f"{row.name} from {origin}: {value} is not a finite number")
    if row.minimum is not None and value < row.minimum:
        raise SettingsError(f"{row.name} from {origin}: {value} is below the minimum {row.minimum:g}")
    if row.maximum is not None and value > row.maximum:
        raise SettingsError(f"{row.name} from {origin}: {value} is above the maximum {row.maximum:g}")


def explain(
    given: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Iterator[tuple[Row, Any, str]]:
    """Each setting with its value and where the value came from: ``flag``, the variable's name, or ``default``."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(_ROWS))
    if unknown:
        raise SettingsError(f"unknown setting {', '.join(unknown)}; known: {', '.join(_ROWS)}")
    environ = os.environ if environ is None else environ
    stray = sorted(name for name in environ if name.startswith(ENV_PREFIX) and name not in _KNOWN_VARIABLES)
    if stray:
        hints = [f"{name} (now {RENAMED[name]})" if name in RENAMED else name for name in stray]
        raise SettingsError(
            f"unknown environment variable {', '.join(hints)}; the settings are listed in docs/settings.md"
        )
    for row in rows():
        if given.get(row.name) is not None:
            value = given[row.name]
            if row.kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            _check(row, value, "the command line")
            yield row, value, "flag"
        elif environ.get(row.env, "").strip():
            yield row, row.parse(environ[row.env], row.env), row.env
        else:
            yield row, row.default, "default"


def markdown_table() -> str:
    """The settings table as docs/settings.md shows it."""
    lines = [
        "| setting | default | environment variable | `cyberframe serve` flag | meaning |",
        "|---|---|---|---|---|",
    ]
    for row in rows():
        flag = f"`{row.flag}`" if row.flag else "–"
        lines.append(f"| `{row.name}` | {row.default_text} | `{row.env}` | {flag} | {row.meaning} |")
    return "\n".join(lines) + "\n"
