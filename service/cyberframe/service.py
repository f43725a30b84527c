"""``cyberframe.service.create_app``: the app factory (it lives in :mod:`cyberframe.web`; docs/architecture.md)."""

from __future__ import annotations

from .web import create_app

__all__ = ["create_app"]
