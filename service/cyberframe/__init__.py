"""cyberframe: the ISO/IEC TS 27103:2026 cybersecurity framework as a knowledge graph.

The public API (docs/python-api.md) is what ``__all__`` lists; each name is
imported on first use (PEP 562), so ``import cyberframe`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    "store": "api",
    "dataset": "api",
    "queries": "api",
    "query": "api",
    "sparql": "api",
    "describe": "api",
    "export": "api",
    "coverage": "api",
    "validate": "validation",
    "Result": "api",
    "Row": "api",
    "Description": "api",
    "NamedQuery": "named_queries",
    "ValidationOutcome": "validation",
    "ValidationResult": "validation",
    "QueryError": "api",
    "NamedQueryError": "named_queries",
    "UnknownQuery": "named_queries",
    "ParameterError": "named_queries",
    "UnknownEntity": "named_queries",
    "ExportError": "errors",
    "RdfInputError": "rdfio",
    "ShapesError": "validation",
    "CoverageReport": "coverage",
    "CoverageInputError": "coverage",
}
#: Public functions whose name is also a module's: the module itself is callable (``_callable.py``).
_CALLABLE_MODULES = frozenset({"sparql", "coverage"})

__all__ = [
    "CoverageInputError",
    "CoverageReport",
    "Description",
    "ExportError",
    "NamedQuery",
    "NamedQueryError",
    "ParameterError",
    "QueryError",
    "RdfInputError",
    "Result",
    "Row",
    "ShapesError",
    "UnknownEntity",
    "UnknownQuery",
    "ValidationOutcome",
    "ValidationResult",
    "__version__",
    "coverage",
    "dataset",
    "describe",
    "export",
    "queries",
    "query",
    "sparql",
    "store",
    "validate",
]

if TYPE_CHECKING:
    from .api import (
        Description,
        QueryError,
        Result,
        Row,
        coverage,
        dataset,
        describe,
        export,
        queries,
        query,
        sparql,
        store,
    )
    from .coverage import CoverageInputError
    from .coverage import Report as CoverageReport
    from .errors import ExportError
    from .named_queries import NamedQuery, NamedQueryError, ParameterError, UnknownEntity, UnknownQuery
    from .rdfio import RdfInputError
    from .validation import ShapesError, ValidationOutcome, ValidationResult, validate


def __getattr__(name: str) -> Any:
    """Load a public name of :data:`__all__` on first use (PEP 562)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'cyberframe' has no attribute {name!r}")
    from importlib import import_module

    if name in _CALLABLE_MODULES:  # the module cyberframe.sparql / .coverage, made callable: it runs api.<name>
        return import_module(f".{name}", __name__)
    value = getattr(import_module(f".{module}", __name__), "Report" if name == "CoverageReport" else name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
