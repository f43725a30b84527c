"""cyberframe: the ISO/IEC TS 27103:2026 cybersecurity framework as a knowledge graph."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "validate"]

if TYPE_CHECKING:
    from .validation import validate


def __getattr__(name: str) -> Any:
    """Load ``cyberframe.validate`` on first use, so that ``import cyberframe`` stays cheap (PEP 562)."""
    if name == "validate":
        from .validation import validate

        return validate
    raise AttributeError(f"module 'cyberframe' has no attribute {name!r}")
