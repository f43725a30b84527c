"""The SPARQL engine (admission, execution, serialisation); calling the package runs :func:`cyberframe.api.sparql`.

``cyberframe.sparql`` is both this package and the public function of the
library face (docs/python-api.md, "One name, two roles"): the module's class is
made callable so that ``cyberframe.sparql("ASK {}")`` works whichever was
imported first.
"""

from __future__ import annotations

from .._callable import make_callable

make_callable(__name__)
