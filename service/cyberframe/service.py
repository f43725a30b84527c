"""``cyberframe.service.create_app``: the app factory named in DESIGN.md §4 (it lives in :mod:`cyberframe.web`)."""

from __future__ import annotations

from .web import create_app

__all__ = ["create_app"]
