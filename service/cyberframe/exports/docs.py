"""HTML documentation of the ontology, generated with pyLODE (OntPub profile) from the ``ontology`` graph.

:func:`render_ontology_html` runs pyLODE on the ontology graph of a built
knowledge graph. The page it produced for the shipped ontology is kept in the
package as ``static/ontology.html`` (the issue asks for a static file that the
service can send at ``/ontology`` without pyLODE installed); a test
regenerates it and fails, naming the command to refresh it, when the two
differ. pyLODE is an optional dependency (extra ``docs``); it reads nothing but
the graph it is given and fetches nothing.
"""

from __future__ import annotations

import logging
from importlib.resources import files
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..errors import ExportError
from ..knowledge import KnowledgeGraph
from ..namespaces import bind_prefixes
from ..progress import Progress, quiet
from ..rdfio import written

if TYPE_CHECKING:
    from rdflib import Graph

STATIC_NAME = "ontology.html"
REFRESH_COMMAND = "cyberframe export --format docs -o service/cyberframe/exports/static/ontology.html"


def ontology_graph(kg: KnowledgeGraph) -> Graph:
    """The ``ontology`` named graph of *kg* as an rdflib Graph with cyberframe's prefixes."""
    from rdflib import Graph

    triples = [q.triple for q in kg.store.quads_for_pattern(None, None, None, kg.graph_iri("ontology"))]
    data = written(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
    return bind_prefixes(Graph()).parse(data=data.decode("utf-8"), format="nt")


def _ontpub() -> type:
    """Import pyLODE's OntPub, undoing the ``logging.basicConfig(level=DEBUG)`` pyLODE runs on import."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from pylode import OntPub
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ExportError(
            f"the ontology documentation needs pyLODE ({exc}); install it with: pip install 'cyberframe[docs]'"
        ) from exc
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    return OntPub


def render_ontology_html(kg: KnowledgeGraph, progress: Progress = quiet) -> bytes:
    """pyLODE's OntPub page for the ontology of *kg* (UTF-8 HTML, CSS inlined, no remote assets)."""
    OntPub = _ontpub()
    progress("generating the ontology documentation with pyLODE")
    html = OntPub(ontology=ontology_graph(kg), sort_subjects=True).make_html()
    return html.encode("utf-8")


def shipped_ontology_html() -> bytes:
    """The documentation page shipped in the package (what ``GET /ontology`` sends to browsers)."""
    return files("cyberframe.exports").joinpath("static", STATIC_NAME).read_bytes()
