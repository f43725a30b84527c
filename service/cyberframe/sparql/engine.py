"""The SPARQL engine: the served dataset, its query workers and its answer cache, behind one call.

:meth:`SparqlEngine.answer` turns a :class:`~.worker.Job` into a finished
:class:`~.cache.Answer`: from the cache when it can, else from a worker within
the time limit. Refusals and failures are :class:`~cyberframe.errors.ProtocolError`
with the status the SPARQL 1.1 Protocol gives them (§2.1.5). Nothing here knows
HTTP requests or Flask: the web layer (:mod:`cyberframe.web`), the CLI and the
library all ask the same engine (docs/architecture.md, "Process model").
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import ProtocolError
from ..knowledge import KnowledgeGraph
from ..settings import Settings
from ..stats import collect_stats
from ..triplestore import read_auth_file
from .cache import Answer, AnswerCache, FlightsFull
from .dataset import ServedDataset, serve_dataset
from .executor import ExecutorBusy, QueryExecutor, QueryTimeout, WorkerLost
from .formats import BY_KEY, KINDS, NotAcceptable
from .remote import RemoteExecutor, StoreFailed, StoreTimeout, StoreUnavailable
from .serialization import DEFAULT_MAX_BYTES
from .worker import Job, Outcome, WorkerSettings

_MIB = 1 << 20

GZIP_MIN_BYTES = 1024
TRUNCATED_HEADER = "X-Cyberframe-Truncated"
ROW_LIMIT_HEADER = "X-Cyberframe-Row-Limit"
ROWS_HEADER = "X-Cyberframe-Result-Count"
RETRY = {"Retry-After": "1"}


@dataclass(frozen=True)
class Limits:
    """The configured limits of query execution (docs/serving.md, "Limits")."""

    timeout: float
    max_rows: int
    max_query_length: int
    max_answer_bytes: int = DEFAULT_MAX_BYTES


class SparqlEngine:
    """Everything that answers queries over one served dataset, shared by every request thread."""

    def __init__(
        self, dataset: ServedDataset, executor: QueryExecutor | RemoteExecutor, cache: AnswerCache, limits: Limits
    ) -> None:
        self.dataset = dataset
        self.executor = executor
        self.cache = cache
        self.limits = limits
        self.started = time.time()

    @cached_property
    def stats(self) -> dict[str, Any]:
        """The ``/stats`` payload: the knowledge graph's figures plus the served dataset's graphs."""
        payload = collect_stats(self.dataset.kg).to_dict()
        payload["served"] = {
            "dataset_version": self.dataset.version,
            "default_graph_triples": self.dataset.default_graph_triples,
            "named_graphs": dict(sorted(self.dataset.graphs.items())),
            "extra_graphs": {g.iri: {"file": g.path.name, "triples": g.triples} for g in self.dataset.extra},
        }
        if isinstance(self.executor, RemoteExecutor):  # the counts above are the store's, checked at start
            payload["served"]["store"] = self.executor.label
        return payload

    def etag(self, *parts: object) -> str:
        """A weak entity tag for a representation of this dataset (RFC 9110 §8.8.3)."""
        digest = hashlib.sha256(self.dataset.version.encode())
        for part in parts:
            digest.update(b"\0" + repr(part).encode())
        return f'W/"{digest.hexdigest()[:32]}"'

    def answer(self, job: Job, key: Hashable | None = None) -> Answer:
        """The answer to *job*, cached or computed in a worker; raises :class:`ProtocolError` for refusals."""
        key = job.key() if key is None else key
        try:
            # A request joining a computation in flight waits for it: the leader answers within timeout + ε.
            return self.cache.get_or_compute(
                key, lambda: self._compute(job), wait=self.limits.timeout + 1.0, key_size=len(job.query)
            )
        except FlightsFull as exc:
            raise ProtocolError(503, f"{exc}; try again shortly", headers=RETRY) from exc

    def _compute(self, job: Job) -> Answer:
        try:
            outcome = self.executor.run(job, self.limits.timeout)
        except QueryTimeout as exc:
            raise ProtocolError(503, f"{exc}; simplify it or add a LIMIT", timeout=self.limits.timeout) from exc
        except ExecutorBusy as exc:
            raise ProtocolError(503, f"{exc}; try again shortly", headers=RETRY) from exc
        except WorkerLost as exc:
            raise ProtocolError(503, str(exc), headers=RETRY) from exc
        except StoreUnavailable as exc:  # RFC 9110 §15.6.4: the store is down; the monitor notices its return
            raise ProtocolError(503, f"{exc}; try again shortly", headers=RETRY) from exc
        except StoreTimeout as exc:  # RFC 9110 §15.6.5: the upstream store was too slow
            raise ProtocolError(504, f"{exc}; the request to it was cancelled", timeout=self.limits.timeout) from exc
        except StoreFailed as exc:  # RFC 9110 §15.6.3: the upstream store answered with an error
            raise ProtocolError(502, str(exc)) from exc
        answer = self._to_answer(outcome, job)
        if len(answer.body) >= GZIP_MIN_BYTES:
            answer.gzipped()
        return answer

    @staticmethod
    def _to_answer(outcome: Outcome, job: Job) -> Answer:
        if outcome.status == "syntax":
            where = " at" if outcome.line is not None else ":"
            raise ProtocolError(
                400, f"SPARQL syntax error{where} {outcome.message}", line=outcome.line, column=outcome.column
            )
        if outcome.status == "not-acceptable":
            raise NotAcceptable(KINDS[outcome.kind], "this query's results")
        if outcome.status == "error":
            raise ProtocolError(400 if outcome.extra.get("client") else 500, outcome.message)
        fmt = BY_KEY[outcome.format]
        headers = {ROW_LIMIT_HEADER: str(job.max_rows), ROWS_HEADER: str(outcome.count)}
        if outcome.truncated:
            headers[TRUNCATED_HEADER] = "true"
        return Answer(200, outcome.body, fmt.content_type, headers)

    def close(self) -> None:
        """Stop the query workers."""
        self.executor.close()


def build_engine(
    settings: Settings,
    knowledge_graph: KnowledgeGraph,
    extra_graphs: Mapping[str, str | Path] | Iterable[tuple[str, str | Path]] = (),
) -> SparqlEngine:
    """The SPARQL engine for *knowledge_graph* plus *extra_graphs*, limited as *settings* say.

    With the ``store`` setting, queries run on that remote store (:mod:`.remote`), which must hold the
    dataset already, extra graphs included (``cyberframe load --graph``): the extra files then name the
    graphs that make up the union default graph there, and their sizes are what the store is checked against.
    """
    dataset = serve_dataset(knowledge_graph, extra_graphs)
    executor: QueryExecutor | RemoteExecutor
    if settings.store:
        executor = RemoteExecutor(
            settings.store,
            sorted(dataset.graphs),
            concurrency=settings.store_connection_count,
            max_waiting=settings.waiting_limit,
            credentials=read_auth_file(Path(settings.store_auth_file)) if settings.store_auth_file else None,
        )
    else:
        executor = QueryExecutor(
            dataset.store_path,
            workers=settings.worker_count,
            max_waiting=settings.waiting_limit,
            settings=WorkerSettings(
                isolate_network=settings.isolate_network,
                memory_limit=settings.worker_memory_mb * _MIB or None,
                in_memory=sum(dataset.graphs.values()) <= settings.worker_copy_triples,
            ),
        )
    cache = AnswerCache(settings.cache_mb * _MIB, settings.cache_entry_mb * _MIB, max_waiters=settings.waiting_limit)
    limits = Limits(settings.timeout, settings.max_rows, settings.max_query_length, settings.max_answer_bytes)
    return SparqlEngine(dataset, executor, cache, limits)
