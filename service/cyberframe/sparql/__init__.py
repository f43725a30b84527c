"""The SPARQL engine (admission, execution, serialisation); calling the package runs :func:`cyberframe.api.sparql`.

``cyberframe.sparql`` is both this package and the public function of the
library face (docs/python-api.md): the module's class is made callable so
that ``cyberframe.sparql("ASK {}")`` works whichever was imported first.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any


class _SparqlPackage(ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from ..api import sparql

        return sparql(*args, **kwargs)

    @property
    def __signature__(self) -> Any:
        from inspect import signature

        from ..api import sparql

        return signature(sparql)


sys.modules[__name__].__class__ = _SparqlPackage
