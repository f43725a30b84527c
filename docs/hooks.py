"""MkDocs hook (mkdocs.yml): links from a page to repository files outside docs/ (``../bench/x.py``).

Such a link works on a repository browser but names no page of the site. The
hook checks that the file exists (a missing one fails the build, as a broken
link should) and writes it as its repository path in code, without a link.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_OUTSIDE = re.compile(r"\[([^\]]+)\]\(\.\./([^)#\s]+)(#[^)\s]*)?\)")


class OutsideLinkError(Exception):
    """A page links to a repository file that does not exist."""


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        text, target = match.group(1), match.group(2)
        if not (ROOT / target).exists():
            raise OutsideLinkError(f"{page.file.src_path}: link to ../{target}, which does not exist")
        return text if text.strip("`") == target else f"{text} (`{target}`)"

    return _OUTSIDE.sub(replace, markdown)
