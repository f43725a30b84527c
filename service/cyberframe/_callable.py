"""Modules that are also public functions: ``cyberframe.sparql`` and ``cyberframe.coverage`` (docs/python-api.md).

``cyberframe.sparql`` is the SPARQL engine's package and ``cyberframe.coverage``
the coverage analysis module; both names are also functions of the library
face. Python binds a submodule to its package's attribute when it is imported,
so whichever is imported first would win; instead the module's class is made
callable: calling the module runs :mod:`cyberframe.api`'s function of the same
name, and :func:`inspect.signature` shows that function's signature. Type
checkers see the function (``cyberframe/__init__.py`` imports it for them).
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Any


class _CallableModule(ModuleType):
    """A module whose call is :mod:`cyberframe.api`'s function named like its last name."""

    def _function(self) -> Any:
        return getattr(import_module("cyberframe.api"), self.__name__.rsplit(".", 1)[-1])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._function()(*args, **kwargs)

    @property
    def __signature__(self) -> Any:
        from inspect import signature

        return signature(self._function())


def make_callable(name: str) -> None:
    """Make the module *name* (``cyberframe.sparql``, ``cyberframe.coverage``) callable as its api function."""
    sys.modules[name].__class__ = _CallableModule
