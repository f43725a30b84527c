"""cyberframe: the ISO/IEC TS 27103:2026 cybersecurity framework as a knowledge graph."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
