"""Helpers for the web-page tests: a tiny HTML tree (html.parser) and a Flask app in the test process.

The tree is enough to ask what a page *shows*: ``find_all(doc, "tr", {"data-iri": None})``,
the text of an element, the links of a page. No third-party HTML library is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ID = "https://w3id.org/cyberframe/id/"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = None

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.attrs.get(name)
        return default if value is None else value

    @property
    def text(self) -> str:
        """The element's text, whitespace collapsed."""
        parts: list[str] = []

        def walk(node: Element | str) -> None:
            if isinstance(node, str):
                parts.append(node)
            else:
                for child in node.children:
                    walk(child)

        walk(self)
        return " ".join("".join(parts).split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), parent=self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, dict(attrs), parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse_html(text: str) -> Element:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root


def find_all(node: Element, tag: str | None = None, attrs: dict[str, str | None] | None = None) -> list[Element]:
    """Descendants with this tag (any if None) whose attributes match (a None value: present with any value)."""
    found: list[Element] = []
    for child in node.children:
        if isinstance(child, str):
            continue
        if (tag is None or child.tag == tag) and all(
            name in child.attrs and (value is None or child.attrs[name] == value)
            for name, value in (attrs or {}).items()
        ):
            found.append(child)
        found.extend(find_all(child, tag, attrs))
    return found


def find(node: Element, tag: str | None = None, attrs: dict[str, str | None] | None = None) -> Element:
    found = find_all(node, tag, attrs)
    assert found, f"no <{tag} {attrs}> in the page"
    return found[0]


def by_id(node: Element, ident: str) -> Element:
    return find(node, None, {"id": ident})


def links(node: Element) -> list[str]:
    return [a.get("href") or "" for a in find_all(node, "a", {"href": None})]


def data_iris(node: Element, tag: str | None = None) -> list[str]:
    return [e.get("data-iri") or "" for e in find_all(node, tag, {"data-iri": None})]


def split(cell: str) -> set[str]:
    return {value for value in cell.split(";") if value}
