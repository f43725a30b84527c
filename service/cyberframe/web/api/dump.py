"""``/dump``: the whole dataset, by content negotiation (RDF 1.1 syntaxes).

N-Quads (the default), TriG and ``format=jsonld-dataset`` keep one named
graph per source file plus the inferred graph; Turtle, N-Triples, JSON-LD
(compacted with the published context) and RDF/XML hold their union. ``graph=NAME`` picks one named graph,
``inferred=false`` leaves the entailments out. Each representation is built
once per dataset version and then served from the answer cache.
``/.well-known/void`` is the dataset's VoID description (VoID §7.2), also
linked from the SPARQL service description.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ...api import export
from ...errors import ExportError, ProtocolError
from ...exports.dumps import RDF_SYNTAXES
from ...sparql.cache import Answer
from ...sparql.formats import JSONLD, NTRIPLES, RDFXML, TURTLE, Format
from ..negotiation import choose
from ..responses import respond
from ..state import state

bp = Blueprint("dump", __name__)

NQUADS = Format("nquads", "application/n-quads", keywords=("nq", "n-quads"))
TRIG = Format("trig", "application/trig", charset=True)
#: JSON-LD with named graphs: chosen by ``format=jsonld-dataset`` only; ``Accept: application/ld+json`` gets the union.
JSONLD_DATASET = Format("jsonld-dataset", "application/ld+json")
#: Offered formats, the default first, and the export syntax each one is.
DUMP_FORMATS: tuple[Format, ...] = (NQUADS, TRIG, TURTLE, NTRIPLES, JSONLD, JSONLD_DATASET, RDFXML)
_SYNTAX = {
    "nquads": "nq",
    "trig": "trig",
    "turtle": "ttl",
    "ntriples": "nt",
    "jsonld": "jsonld",
    "jsonld-dataset": "jsonld-dataset",
    "rdfxml": "rdfxml",
}
_BOOLEAN = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@bp.route("/dump")
def dump() -> Response:
    """The dataset (or one named graph) in the negotiated syntax, as an attachment."""
    kg = state().engine.dataset.kg
    fmt = choose(DUMP_FORMATS)
    graph = request.args.get("graph") or None
    inferred_arg = request.args.get("inferred", "true").lower()
    if inferred_arg not in _BOOLEAN:
        raise ProtocolError(400, f"inferred= takes true or false, got {inferred_arg!r}")
    inferred = _BOOLEAN[inferred_arg]
    syntax = RDF_SYNTAXES[_SYNTAX[fmt.key]]

    def build() -> Answer:
        try:
            body = export(syntax.name, graph=graph, inferred=inferred, knowledge_graph=kg)
        except ExportError as exc:
            raise ProtocolError(404 if graph else 400, str(exc)) from exc
        name = f"cyberframe{'-' + graph if graph else ''}{syntax.extension}"
        answer = Answer(200, body, fmt.content_type, {"Content-Disposition": f'attachment; filename="{name}"'})
        answer.gzipped()
        return answer

    return respond(("dump", fmt.key, graph, inferred), build, wait=60.0)


@bp.route("/.well-known/void")
def void() -> Response:
    """The VoID description of the dataset, in Turtle (VoID §7.2, well-known URI)."""
    kg = state().engine.dataset.kg
    root = request.root_url.rstrip("/")  # with the path prefix of a public_url
    return respond(
        ("void", root), lambda: Answer(200, export("void", service_url=root, knowledge_graph=kg), TURTLE.content_type)
    )
