"""SHACL validation of cyberframe data and of datasets that link to it (docs/architecture.md).

:func:`validate` checks the asserted knowledge graph (the ontology and the
data, never the inferred graph) together with any files a user gives, against
``ontology/shapes.ttl`` or other shapes, and returns a typed
:class:`ValidationOutcome`.

Entailment regimes. Each node shape of ours names in ``cfsh:regime`` the data
it assumes (see the shapes file): ``cfsh:AssertedData`` shapes always see the
asserted triples only; ``cfsh:EntailedData`` shapes, and shapes that say
nothing (a user's own), see the asserted triples plus the entailments asked
for with *inference*: ``"rdfs"`` (the RDFS closure) or ``"owlrl"`` (the OWL 2
RL closure, the same one the knowledge graph serves). With ``"none"`` every
shape sees the asserted triples. Inference is computed here, with owlrl, never
by the SHACL engine, and SHACL §3.2's data graph is that result.

Engines. pySHACL is the reference implementation. pyshacl-turbo (a Rust engine
with pySHACL's API) gives the same results about fifty times faster on our
SHACL-SPARQL constraints; ``engine="auto"`` uses it when it is installed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, RDF, RDFS, SH, SKOS, XSD
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath

from .namespaces import CFSH, bind_prefixes, curie
from .progress import Progress, quiet
from .rdfio import DEFAULT_MAX_BYTES, RdfDocument, read_rdf_file

if TYPE_CHECKING:
    from rdflib.term import Node

    from .knowledge import KnowledgeGraph

Inference = Literal["none", "rdfs", "owlrl"]
Engine = Literal["auto", "pyshacl", "turbo"]
INFERENCE_MODES: tuple[str, ...] = get_args(Inference)
ENGINES: tuple[str, ...] = get_args(Engine)

#: What :func:`validate` accepts as data: a file, a parsed document or an rdflib graph, or several.
DataSource = str | os.PathLike[str] | RdfDocument | Graph

#: A data graph on the validation path: its triples, in insertion order, each once.
Triples = dict[ox.Triple, None]

SEVERITY_ORDER = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}
_XSD_STRING = str(XSD.string)
_INFERRED_GRAPH = "inferred"


class ShapesError(ValueError):
    """The shapes graph is unusable: the engine refused it (SHACL §3.4.2, ill-formed shapes graphs)."""


@dataclass(frozen=True)
class ValidationResult:
    """One ``sh:ValidationResult`` of a report (SHACL §3.6.2)."""

    focus: Node
    """``sh:focusNode`` (§3.6.2.1)."""
    path: URIRef | Path | None
    """``sh:resultPath`` as an rdflib path (§3.6.2.2); None for a node-level result."""
    value: Node | None
    """``sh:value`` (§3.6.2.3)."""
    source_shape: Node
    """``sh:sourceShape`` (§3.6.2.4)."""
    severity: URIRef
    """``sh:resultSeverity``: sh:Violation, sh:Warning or sh:Info (§3.6.2.8)."""
    message: str
    """``sh:resultMessage`` (§3.6.2.7)."""
    constraint: URIRef | None = None
    """``sh:sourceConstraintComponent`` (§3.6.2.5)."""

    @property
    def severity_name(self) -> str:
        """``Violation``, ``Warning`` or ``Info``."""
        return str(self.severity).rsplit("#", 1)[-1]

    @property
    def path_text(self) -> str | None:
        """The path in SPARQL property path syntax, with cyberframe's prefixes."""
        return None if self.path is None else shorten_path(self.path)

    def key(self) -> tuple[Node, URIRef | Path | None, Node]:
        """``(focus, path, source shape)``: what a test names to pin a result down."""
        return self.focus, self.path, self.source_shape

    def to_dict(self, labels: Mapping[Node, str] | None = None) -> dict[str, Any]:
        """A JSON-ready dict: terms in the SPARQL 1.1 JSON results encoding, paths in SPARQL syntax."""
        labels = labels or {}
        return {
            "severity": self.severity_name,
            "focus": _node_text(self.focus),
            "focus_label": labels.get(self.focus),
            "path": None if self.path is None else _full_path(self.path),
            "value": None if self.value is None else json_term(self.value),
            "message": self.message,
            "shape": _node_text(self.source_shape),
            "constraint": None if self.constraint is None else str(self.constraint),
        }


@dataclass(frozen=True)
class ValidationOutcome:
    """What :func:`validate` found: the results, the report graph and how it was run."""

    conforms: bool
    """``sh:conforms`` (SHACL §3.6.1.1): true when there is no result of any severity."""
    results: tuple[ValidationResult, ...]
    report_graph: Graph
    """The ``sh:ValidationReport`` (SHACL §3.6.1), one report even when two regimes ran."""
    inference: str
    engine: str
    triples: int
    """Size of the asserted data graph that was validated."""
    seconds: float
    labels: Mapping[Node, str] = field(default_factory=dict)
    """Readable names (notation and label) of the focus nodes and IRI values."""

    def of_severity(self, severity: URIRef) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == severity)

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        return self.of_severity(SH.Violation)

    @property
    def warnings(self) -> tuple[ValidationResult, ...]:
        return self.of_severity(SH.Warning)

    @property
    def infos(self) -> tuple[ValidationResult, ...]:
        return self.of_severity(SH.Info)

    def fails(self, threshold: URIRef = SH.Violation) -> bool:
        """True if a result is at least as severe as *threshold* (sh:Violation, sh:Warning or sh:Info)."""
        limit = SEVERITY_ORDER[threshold]
        return any(SEVERITY_ORDER.get(r.severity, 0) <= limit for r in self.results)

    def to_dicts(self) -> list[dict[str, Any]]:
        """The results as a flat list of dicts (see :meth:`ValidationResult.to_dict`)."""
        return [r.to_dict(self.labels) for r in self.results]

    def report_turtle(self) -> str:
        """The report graph as Turtle."""
        return bind_prefixes(self.report_graph).serialize(format="turtle")


def validate(
    data: DataSource | Iterable[DataSource] | None = None,
    *,
    inference: Inference = "none",
    shapes: DataSource | Iterable[DataSource] | None = None,
    engine: Engine = "auto",
    include_shipped: bool = True,
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> ValidationOutcome:
    """Validate *data* together with the shipped ontology and data (SHACL §3.4).

    *data* is None (the shipped graph alone), a file path, an
    :class:`~cyberframe.rdfio.RdfDocument`, an rdflib graph, or an iterable of
    them. Files are read with :func:`cyberframe.rdfio.read_rdf_file`, so
    *format* and *max_bytes* apply and bad input raises
    :class:`~cyberframe.rdfio.RdfInputError`. *shapes* defaults to
    ``ontology/shapes.ttl``. With ``include_shipped=False`` only *data* is
    validated. Raises :class:`ShapesError` when the engine rejects the shapes.
    """
    if inference not in INFERENCE_MODES:
        raise ValueError(f"inference must be one of {', '.join(INFERENCE_MODES)}, not {inference!r}")
    report = progress or quiet
    started = time.perf_counter()
    engine_name = _resolve_engine(engine)
    shapes_graph = load_shapes(shapes, max_bytes=max_bytes)
    documents = list(_documents(data, format=format, max_bytes=max_bytes))

    kg = None
    # a dict of triples, never a pyoxigraph store: the store keeps numbers by value ("4.0"^^xsd:decimal
    # comes back as "4"), and validation must see every term as written
    asserted: Triples = {}
    if include_shipped:
        from .knowledge import open_knowledge_graph

        kg = open_knowledge_graph(progress=report)
        asserted.update(dict.fromkeys(_asserted_triples(kg)))
    for document in documents:
        asserted.update(dict.fromkeys(document.triples()))

    passes: list[tuple[Graph, Triples]] = []
    if inference == "none":
        passes.append((shapes_graph, asserted))
    else:
        entailed = _entailed_store(asserted, inference, kg if not documents else None, report)
        asserted_shapes, entailed_shapes = split_by_regime(shapes_graph)
        passes += [(s, d) for s, d in ((asserted_shapes, asserted), (entailed_shapes, entailed)) if s is not None]

    reports = []
    for pass_shapes, pass_data in passes:
        report(f"validating {len(pass_data)} triples with {engine_name}")
        reports.append(_run_engine(engine_name, pass_data, pass_shapes))
    report_graph = merge_reports(reports)
    results = tuple(sorted(read_results(report_graph), key=_sort_key))
    return ValidationOutcome(
        conforms=not results,
        results=results,
        report_graph=report_graph,
        inference=inference,
        engine=engine_name,
        triples=len(asserted),
        seconds=round(time.perf_counter() - started, 3),
        labels=_labels(asserted, results),
    )


# --- shapes ------------------------------------------------------------------------------------


def load_shapes(
    shapes: DataSource | Iterable[DataSource] | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Graph:
    """The shapes graph (SHACL §3.1): ours by default, else the union of the given sources."""
    if shapes is None:
        from .resources import shapes_path

        shapes = shapes_path()
    graph = bind_prefixes(Graph())
    for document in _documents(shapes, format=None, max_bytes=max_bytes):
        for triple in document.triples():
            graph.add(tuple(rdflib_term(t) for t in triple))  # type: ignore[arg-type]
    return graph


def split_by_regime(shapes: Graph) -> tuple[Graph | None, Graph | None]:
    """Two copies of *shapes*: one for asserted data, one for entailed data (SHACL §2.1.6).

    In each copy the targeted node shapes of the other regime are deactivated.
    A copy with no active targeted shape is None.
    """
    targeted: set[Node] = set()
    for predicate in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
        targeted.update(shapes.subjects(predicate, None))
    targeted.update(s for s in shapes.subjects(RDF.type, SH.NodeShape) if (s, RDF.type, RDFS.Class) in shapes)
    asserted_only = {s for s in targeted if (s, CFSH.regime, CFSH.AssertedData) in shapes}
    copies: list[Graph | None] = []
    for off in (targeted - asserted_only, asserted_only):
        active = targeted - off
        if not any((s, SH.deactivated, RdfLiteral(True)) not in shapes for s in active):
            copies.append(None)
            continue
        copy = bind_prefixes(Graph())
        for triple in shapes:
            copy.add(triple)
        for shape in off:
            copy.set((shape, SH.deactivated, RdfLiteral(True)))
        copies.append(copy)
    return copies[0], copies[1]


# --- data --------------------------------------------------------------------------------------


def _documents(
    sources: DataSource | Iterable[DataSource] | None, *, format: str | None, max_bytes: int
) -> Iterator[RdfDocument]:
    if sources is None:
        return
    if isinstance(sources, (str, os.PathLike, RdfDocument, Graph)):
        sources = [sources]
    for source in sources:
        if isinstance(source, RdfDocument):
            yield source
        elif isinstance(source, Graph):
            yield _graph_document(source)
        elif isinstance(source, (str, os.PathLike)):
            yield read_rdf_file(source, format=format, max_bytes=max_bytes)
        else:
            raise TypeError(f"cannot validate a {type(source).__name__}: give a path, a Graph or an RdfDocument")


def _graph_document(graph: Graph) -> RdfDocument:
    triples = graph.triples((None, None, None))
    quads = tuple(ox.Quad(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in triples)  # type: ignore[arg-type]
    return RdfDocument(str(graph.identifier), "rdflib", quads)


def _asserted_triples(kg: KnowledgeGraph) -> Iterator[ox.Triple]:
    """Every triple of the source graphs (not the inferred one)."""
    for graph in kg.asserted_graphs():
        for quad in kg.store.quads_for_pattern(None, None, None, graph):
            yield ox.Triple(quad.subject, quad.predicate, quad.object)


def _entailed_store(asserted: Triples, inference: str, kg: KnowledgeGraph | None, progress: Progress) -> Triples:
    """The asserted triples plus their RDFS or OWL 2 RL closure.

    For the shipped graph alone the OWL 2 RL closure is the one the snapshot
    already holds (graph/inferred); otherwise it is computed, as the build does.
    """
    entailed = dict(asserted)
    if inference == "owlrl" and kg is not None:
        inferred = kg.store.quads_for_pattern(None, None, None, kg.graph_iri(_INFERRED_GRAPH))
        entailed.update(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in inferred))
        return entailed
    graph = to_rdflib_graph(asserted)
    if inference == "owlrl":
        from .inference import materialize

        progress("computing the OWL 2 RL closure (owlrl)")
        closure: Iterable[tuple[Node, Node, Node]] = materialize(graph)
    else:
        progress("computing the RDFS closure (owlrl)")
        closure = _rdfs_closure(graph)
    entailed.update(
        dict.fromkeys(
            ox.Triple(ox_term(s), ox_term(p), ox_term(o))  # type: ignore[arg-type]
            for s, p, o in closure
            if not isinstance(s, RdfLiteral) and isinstance(p, URIRef)
        )
    )
    return entailed


def _rdfs_closure(graph: Graph) -> Graph:
    """The triples the RDFS semantics adds to *graph* (RDF 1.1 Semantics §9), via owlrl."""
    import owlrl

    expanded = Graph()
    for triple in graph:
        expanded.add(triple)
    owlrl.DeductiveClosure(owlrl.RDFS_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        expanded
    )
    return expanded


# --- engines -----------------------------------------------------------------------------------


def turbo_available() -> bool:
    """Whether pyshacl-turbo can be imported."""
    import importlib.util

    return importlib.util.find_spec("pyshacl_turbo") is not None


def _resolve_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "auto":
        return "turbo" if turbo_available() else "pyshacl"
    if engine == "turbo" and not turbo_available():
        raise ValueError("engine 'turbo' needs the pyshacl-turbo package, which is not installed")
    return engine


def _run_engine(engine: str, data: Triples, shapes: Graph) -> Graph:
    """Validate *data* against *shapes* with SHACL-SPARQL and SHACL-AF targets enabled; return the report."""
    options: dict[str, Any] = {
        "shacl_graph": shapes,
        "advanced": True,
        "inference": "none",
        "do_owl_imports": False,
    }
    run: Callable[..., tuple[bool, Any, str]]
    if engine == "turbo":
        import pyshacl_turbo
        from pyshacl_turbo.errors import ReportableRuntimeError as TurboRefusal

        run = pyshacl_turbo.validate
        refusals: tuple[type[Exception], ...] = (TurboRefusal, pyshacl_turbo.ValidationFailure, ValueError)
        # N-Triples text for both graphs, read by the engine's own parser: every term reaches it exactly
        # as read, and both graphs the same way (a pyoxigraph store keeps numbers by value, and rdflib
        # graphs are read through their Python values, "1"^^xsd:boolean as true)
        shapes_triples = (ox.Triple(*(ox_term(t) for t in triple)) for triple in shapes)  # type: ignore[arg-type]
        data_graph: Any = ntriples(data)
        options.update(data_graph_format="nt", shacl_graph=ntriples(shapes_triples), shacl_graph_format="nt")
    else:
        import pyshacl
        from pyshacl.errors import ReportableRuntimeError

        run = pyshacl.validate
        refusals = (ReportableRuntimeError,)
        data_graph = to_rdflib_graph(data)
        options["_normalize_report_literals"] = False
    try:
        _, report, _ = run(data_graph, **options)
    except refusals as exc:
        raise ShapesError(f"the shapes graph is not usable: {exc}") from exc
    if not isinstance(report, Graph):
        raise ShapesError(f"the {engine} engine returned no report graph")
    return exact_graph(report)


# --- reports -----------------------------------------------------------------------------------


def merge_reports(reports: Iterable[Graph]) -> Graph:
    """One ``sh:ValidationReport`` holding the results of several (SHACL §3.6.1)."""
    merged = bind_prefixes(Graph())
    report_node = BNode()
    merged.add((report_node, RDF.type, SH.ValidationReport))
    any_result = False
    for report in reports:
        fresh: dict[BNode, BNode] = {}
        old_reports = set(report.subjects(RDF.type, SH.ValidationReport))

        def rename(node: Node, fresh: dict[BNode, BNode] = fresh) -> Node:
            return fresh.setdefault(node, BNode()) if isinstance(node, BNode) else node

        for s, p, o in report:
            if s in old_reports:
                if p == SH.result:
                    merged.add((report_node, SH.result, rename(o)))
                    any_result = True
                continue
            merged.add((rename(s), p, rename(o)))
    merged.add((report_node, SH.conforms, RdfLiteral(not any_result)))
    return merged


def read_results(report: Graph) -> Iterator[ValidationResult]:
    """The results of a report graph as :class:`ValidationResult` objects (SHACL §3.6.2)."""
    for node in report.objects(None, SH.result):
        messages = list(report.objects(node, SH.resultMessage))
        english = [m for m in messages if getattr(m, "language", None) in (None, "en")]
        message = str(english[0] if english else messages[0] if messages else "")
        path_node = report.value(node, SH.resultPath)
        value = report.value(node, SH.value)
        if isinstance(value, RdfLiteral) and value.datatype == XSD.string:
            value = RdfLiteral(str(value))  # RDF 1.1: a simple literal is an xsd:string
        yield ValidationResult(
            focus=report.value(node, SH.focusNode),  # type: ignore[arg-type]
            path=None if path_node is None else parse_path(report, path_node),
            value=value,
            source_shape=report.value(node, SH.sourceShape),  # type: ignore[arg-type]
            severity=report.value(node, SH.resultSeverity) or SH.Violation,  # type: ignore[arg-type]
            message=message,
            constraint=report.value(node, SH.sourceConstraintComponent),  # type: ignore[arg-type]
        )


def parse_path(graph: Graph, node: Node) -> URIRef | Path:
    """A SHACL property path (SHACL §2.3.1) as an rdflib path."""
    if isinstance(node, URIRef):
        return node
    if (node, RDF.first, None) in graph:
        return SequencePath(*(parse_path(graph, item) for item in Collection(graph, node)))
    if (inverse := graph.value(node, SH.inversePath)) is not None:
        return InvPath(parse_path(graph, inverse))
    if (alternatives := graph.value(node, SH.alternativePath)) is not None:
        return AlternativePath(*(parse_path(graph, item) for item in Collection(graph, alternatives)))
    modifiers: tuple[tuple[URIRef, Literal["*", "+", "?"]], ...] = (
        (SH.zeroOrMorePath, "*"),
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrOnePath, "?"),
    )
    for predicate, modifier in modifiers:
        if (inner := graph.value(node, predicate)) is not None:
            return MulPath(parse_path(graph, inner), modifier)
    raise ShapesError(f"not a SHACL property path: {node!r}")


def _sort_key(result: ValidationResult) -> tuple[str, ...]:
    return (
        str(result.focus),
        str(SEVERITY_ORDER.get(result.severity, 9)),
        str(result.source_shape),
        str(result.path or ""),
        str(result.value or ""),
        result.message,
    )


# --- terms and names ---------------------------------------------------------------------------


def rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    """The rdflib term for a pyoxigraph term (a plain xsd:string literal becomes a plain Literal)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return RdfLiteral(term.value)
        return RdfLiteral(term.value, datatype=URIRef(datatype), normalize=False)
    raise TypeError(f"RDF-star triple terms are not supported: {term!r}")


def exact_literal(term: RdfLiteral) -> RdfLiteral:
    """*term* as :func:`rdflib_term` gives it: an xsd:string is a plain literal, every lexical form as written."""
    if term.language or term.datatype is None:
        return term
    if term.datatype == XSD.string:
        return RdfLiteral(str(term))
    return RdfLiteral(str(term), datatype=term.datatype, normalize=False)


def exact_graph(graph: Graph) -> Graph:
    """*graph* with its literals in the one form the validation path uses (see :func:`rdflib_term`)."""
    if not any(isinstance(o, RdfLiteral) and o.datatype == XSD.string for o in graph.objects()):
        return graph
    out = bind_prefixes(Graph())
    for s, p, o in graph:
        out.add((s, p, exact_literal(o) if isinstance(o, RdfLiteral) else o))
    return out


def ox_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term for an rdflib term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, RdfLiteral):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def ntriples(triples: Iterable[ox.Triple]) -> str:
    """*triples* as N-Triples text (RDF 1.1 N-Triples: each term exactly as it is)."""
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")  # type: ignore[union-attr]


def to_rdflib_graph(store: Iterable[ox.Triple] | Iterable[ox.Quad]) -> Graph:
    """Every triple of *store* (triples, or quads with all graphs merged) in a new rdflib Graph, terms exact."""
    graph = bind_prefixes(Graph())
    cache: dict[Any, Node] = {}

    def term(t: Any) -> Node:
        converted = cache.get(t)
        if converted is None:
            converted = cache[t] = rdflib_term(t)
        return converted

    for triple in store:
        graph.add((term(triple.subject), term(triple.predicate), term(triple.object)))
    return graph


def shorten(node: Node) -> str:
    """An IRI with one of cyberframe's prefixes (``cfid:subcategory/ID.AM-1``), else ``<IRI>``; literals in N3."""
    if isinstance(node, URIRef):
        return curie(str(node)) or f"<{node}>"
    if isinstance(node, Path):
        return shorten_path(node)
    return node.n3()


def shorten_path(path: URIRef | Path) -> str:
    """A property path in SPARQL syntax with cyberframe's prefixes."""
    if isinstance(path, URIRef):
        return shorten(path)
    if isinstance(path, InvPath):
        return "^" + _group(path.arg)
    if isinstance(path, SequencePath):
        return "/".join(_group(p) for p in path.args)
    if isinstance(path, AlternativePath):
        return "|".join(_group(p) for p in path.args)
    if isinstance(path, MulPath):
        return _group(path.path) + path.mod
    return str(path)


def _group(path: URIRef | Path) -> str:
    text = shorten_path(path)
    return f"({text})" if isinstance(path, (SequencePath, AlternativePath)) else text


def _full_path(path: URIRef | Path) -> str:
    return str(path) if isinstance(path, URIRef) else path.n3()


def _node_text(node: Node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def json_term(node: Node) -> dict[str, str]:
    """A term in the SPARQL 1.1 Query Results JSON encoding (§3.2.2)."""
    if isinstance(node, URIRef):
        return {"type": "uri", "value": str(node)}
    if isinstance(node, BNode):
        return {"type": "bnode", "value": str(node)}
    term: dict[str, str] = {"type": "literal", "value": str(node)}
    if isinstance(node, RdfLiteral) and node.language:
        term["xml:lang"] = node.language
    elif isinstance(node, RdfLiteral) and node.datatype is not None:
        term["datatype"] = str(node.datatype)
    return term


_LABEL_PREDICATES = tuple(ox.NamedNode(str(p)) for p in (SKOS.prefLabel, RDFS.label, DCTERMS.title))
_NOTATION = ox.NamedNode(str(SKOS.notation))


def _labels(triples: Triples, results: Iterable[ValidationResult]) -> dict[Node, str]:
    """``notation label`` for each focus node and IRI value that the data names."""
    labels: dict[Node, str] = {}
    nodes = {r.focus for r in results} | {r.value for r in results if isinstance(r.value, URIRef)}
    wanted = {ox.NamedNode(str(node)) for node in nodes if isinstance(node, URIRef)}
    if not wanted:
        return labels
    found: dict[tuple[ox.NamedNode, ox.NamedNode], list[ox.Literal]] = {}
    for triple in triples:
        if triple.subject in wanted and isinstance(triple.object, ox.Literal):
            found.setdefault((triple.subject, triple.predicate), []).append(triple.object)  # type: ignore[arg-type]
    for subject in wanted:
        node = URIRef(subject.value)
        label = next(
            (
                literal.value
                for predicate in _LABEL_PREDICATES
                for literal in found.get((subject, predicate), ())
                if literal.language in (None, "", "en")
            ),
            None,
        )
        notation = next((literal.value for literal in found.get((subject, _NOTATION), ())), None)
        parts = [p for p in (notation, label) if p]
        if notation and label and label.startswith(notation):
            parts = [label]
        if parts:
            labels[node] = " ".join(parts)
    return labels

