"""cyberframe as a Model Context Protocol server (docs/mcp.md): tools, resources and prompts for assistants.

:mod:`.tools` holds the tools (no SDK), :mod:`.content` the resources and
prompts, :mod:`.server` the glue to the official ``mcp`` SDK and the stdio
transport. ``cyberframe mcp`` runs it.
"""

from __future__ import annotations

from .tools import Toolbox, ToolError, ToolSpec

__all__ = ["ToolError", "ToolSpec", "Toolbox"]
