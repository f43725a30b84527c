"""SHACL validation in worker processes, under a time and a memory limit (docs/validation.md, "Limits").

The same pool machinery as queries (:mod:`.executor`, :mod:`.worker`): a
worker holds the shipped asserted graph, receives a
:class:`~.worker.ValidationJob` (the submitted bytes or file names, never a
parsed graph), parses with the safe reader and validates with
:func:`cyberframe.validation.validate`. A validation past its time limit is
stopped by killing its worker; one past its memory limit (RLIMIT_AS) fails
in the worker, never in the caller's process. Admission comes first:
:meth:`BoundedValidator.reserve` holds an idle worker before a request body is
read, and refuses at once when every worker is busy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef

from ..knowledge import KnowledgeGraph
from ..rdfio import RdfInputError, parse_rdf
from ..validation import ValidationOutcome, _asserted_triples, _sort_key, ntriples, rdflib_term, read_results
from .executor import START_TIMEOUT, ExecutorBusy, QueryExecutor, QueryTimeout, Reservation, WorkerLost
from .remote import RemoteExecutor
from .shared_store import shared_store
from .worker import Outcome, ValidationJob, WorkerSettings

MIB = 1024 * 1024
#: What a validation worker imports before it is ready, so the first validation pays no import.
PRELOAD = ("cyberframe.validation", "rdflib", "pyshacl_turbo", "pyshacl", "owlrl")


class ValidationRefused(Exception):
    """Validation could not be done within the limits, or the input was refused; ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    """The bounds of one validation."""

    timeout: float
    memory_mb: int
    """Address space of a validation worker in MiB; 0: no limit."""


def shipped_store(kg: KnowledgeGraph) -> Path:
    """The shipped asserted graph (every source graph, no inferences) in the default graph of a shared
    on-disk store, built once per build like the served dataset's (:mod:`.shared_store`)."""

    def fill(store: ox.Store) -> None:
        store.bulk_load(ntriples(_asserted_triples(kg)).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)

    path, _, _ = shared_store(f"{kg.build_hash[:16]}-asserted", fill)
    return path


#: The asserted graphs of the dataset as the store holds them, in one graph (blank nodes kept apart per graph).
STORE_COPY_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


def store_copy(kg: KnowledgeGraph, executor: RemoteExecutor) -> tuple[Path, int]:
    """The store's copy of the asserted graphs (``serve --store``) in a shared on-disk store, and its size.

    Validation then runs against what the store holds, not against the
    service's own build; the copy is keyed by its content.
    """
    data = executor.triples(STORE_COPY_QUERY, [graph.value for graph in kg.asserted_graphs()])
    digest = hashlib.sha256(data).hexdigest()

    def fill(store: ox.Store) -> None:
        store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)

    path, description, _ = shared_store(f"{kg.build_hash[:16]}-store-{digest[:16]}", fill)
    return path, description.default_graph_triples


class BoundedValidator:
    """A pool of validation workers, each holding the shipped asserted graph (copied from *store_path*)."""

    def __init__(self, store_path: Path, *, workers: int, limits: Limits, isolate_network: bool = True) -> None:
        self.limits = limits
        settings = WorkerSettings(
            isolate_network=isolate_network,
            memory_limit=limits.memory_mb * MIB or None,
            in_memory=True,
            preload=PRELOAD,
        )
        self.executor = QueryExecutor(store_path, workers=workers, max_waiting=workers, settings=settings)

    def reserve(self) -> Reservation:
        """Hold an idle worker, or raise :class:`ValidationRefused` (503, busy) at once."""
        self.executor.start(wait=False)
        # wait only while no worker is alive (the pool starting, or replacing its only worker)
        wait = START_TIMEOUT if self.executor.status()["alive"] == 0 else 0.0
        try:
            return self.executor.reserve(wait)
        except ExecutorBusy as exc:
            raise ValidationRefused(503, f"the validator is busy ({exc}); try again shortly", retry_after=2) from exc

    def run(
        self, job: ValidationJob, reservation: Reservation | None = None
    ) -> tuple[ValidationOutcome, dict[str, Any]]:
        """Run *job* (on *reservation*'s worker, or the next idle one): its outcome and the worker's figures.

        The figures: ``submitted`` (triples per data document) and ``formats``.
        """
        try:
            if reservation is None:
                with self.reserve() as held:
                    answer = held.run(job, self.limits.timeout)
            else:
                answer = reservation.run(job, self.limits.timeout)
        except QueryTimeout as exc:
            raise ValidationRefused(
                503,
                f"{exc} at the time limit of {self.limits.timeout:g} s: the data is too large "
                "or the shapes too costly for this service",
                retry_after=2,
            ) from exc
        except WorkerLost as exc:
            raise ValidationRefused(413, f"{exc}; the limit is {self.limits.memory_mb} MiB") from exc
        return outcome_of(answer, self.limits), answer.extra

    def close(self) -> None:
        self.executor.close()


class InputRefused(RdfInputError):
    """Bad RDF reported by a worker, with its kind, line and column."""


def outcome_of(answer: Outcome, limits: Limits) -> ValidationOutcome:
    """The :class:`ValidationOutcome` a worker's answer stands for; its errors raised as the library raises them."""
    if answer.status == "input":
        extra = answer.extra
        raise InputRefused(
            extra["source"], extra["reason"], kind=extra["kind"], line=answer.line, column=answer.column
        )
    if answer.status == "memory":
        raise ValidationRefused(413, f"{answer.message}; the limit is {limits.memory_mb} MiB")
    if answer.status == "shapes":
        from ..validation import ShapesError

        raise ShapesError(answer.message)
    if answer.status != "ok":
        raise ValueError(answer.message)
    report = Graph()
    for triple in parse_rdf(answer.body, format="ntriples", source="report").triples():
        report.add(tuple(rdflib_term(t) for t in triple))  # type: ignore[arg-type]
    results = tuple(sorted(read_results(report), key=_sort_key))
    extra = answer.extra
    return ValidationOutcome(
        conforms=not results,
        results=results,
        report_graph=report,
        inference=extra["inference"],
        engine=extra["engine"],
        triples=extra["triples"],
        seconds=extra["seconds"],
        labels={URIRef(iri): label for iri, label in extra["labels"].items()},
    )
