"""The live objects of one app: dataset, query executor, answer cache (``app.extensions["cyberframe"]``).

:class:`Endpoint` turns a :class:`~.worker.Job` into an HTTP-ready
:class:`~.cache.Answer`: from the cache when it can, else from a worker within
the time limit. Nothing here is a module global; the app factory builds one
:class:`Endpoint` and every request thread shares it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property

from flask import current_app

from ..stats import collect_stats
from ..web.errors import ProtocolError
from ..web.negotiation import BY_KEY, KINDS, NotAcceptable
from .cache import Answer, AnswerCache, FlightsFull
from .dataset import ServedDataset
from .executor import ExecutorBusy, QueryExecutor, QueryTimeout, WorkerLost
from .worker import Job, Outcome

EXTENSION = "cyberframe"
GZIP_MIN_BYTES = 1024
TRUNCATED_HEADER = "X-Cyberframe-Truncated"
ROW_LIMIT_HEADER = "X-Cyberframe-Row-Limit"
ROWS_HEADER = "X-Cyberframe-Result-Count"
MEMO_MAX_QUERY = 8192  # characters; longer queries are planned afresh every time


@dataclass(frozen=True)
class Plan:
    """What a query request resolved to: the job, its cache key and its entity tag."""

    job: Job
    key: tuple
    etag: str


class PlanMemo:
    """Plans of recent GET requests by their raw form, so a repeated GET skips parsing and negotiation.

    Only short queries are kept (:data:`MEMO_MAX_QUERY`), which bounds its memory.
    """

    def __init__(self, size: int = 4096) -> None:
        self._plans: OrderedDict[Hashable, Plan] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Plan | None:
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
            return plan

    def put(self, key: Hashable, plan: Plan) -> None:
        with self._lock:
            self._plans[key] = plan
            if len(self._plans) > self._size:
                self._plans.popitem(last=False)


@dataclass(frozen=True)
class Limits:
    """The configured limits of query execution (issue 4 item 7)."""

    timeout: float
    max_rows: int
    max_query_length: int


class Endpoint:
    """Everything ``/sparql`` and its sibling routes need while the app runs."""

    def __init__(self, dataset: ServedDataset, executor: QueryExecutor, cache: AnswerCache, limits: Limits) -> None:
        self.dataset = dataset
        self.executor = executor
        self.cache = cache
        self.limits = limits
        self.plans = PlanMemo()
        self.started = time.time()

    @cached_property
    def stats(self) -> dict:
        """The ``/stats`` payload: the knowledge graph's figures plus the served dataset's graphs."""
        payload = collect_stats(self.dataset.kg).to_dict()
        payload["served"] = {
            "dataset_version": self.dataset.version,
            "default_graph_triples": self.dataset.default_graph_triples,
            "named_graphs": dict(sorted(self.dataset.graphs.items())),
            "extra_graphs": {g.iri: {"file": g.path.name, "triples": g.triples} for g in self.dataset.extra},
        }
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
            raise ProtocolError(503, f"{exc}; try again shortly", headers={"Retry-After": "1"}) from exc

    def _compute(self, job: Job) -> Answer:
        try:
            outcome = self.executor.run(job, self.limits.timeout)
        except QueryTimeout as exc:
            raise ProtocolError(503, f"{exc}; simplify it or add a LIMIT", timeout=self.limits.timeout) from exc
        except ExecutorBusy as exc:
            raise ProtocolError(503, f"{exc}; try again shortly", headers={"Retry-After": "1"}) from exc
        except WorkerLost as exc:
            raise ProtocolError(503, str(exc), headers={"Retry-After": "1"}) from exc
        answer = self._to_answer(outcome, job)
        if len(answer.body) >= GZIP_MIN_BYTES:
            answer.gzipped()
        return answer

    def _to_answer(self, outcome: Outcome, job: Job) -> Answer:
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


def current_endpoint() -> Endpoint:
    """The :class:`Endpoint` of the app handling the current request."""
    return current_app.extensions[EXTENSION]
