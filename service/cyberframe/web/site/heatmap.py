"""Heatmaps of the framework's references to ISO/IEC 27002:2022, drawn as SVG on the server.

A cell counts the mapping records of the set ``ts27103-iso27002-2022`` (one
record per subcategory -> control reference) that connect its row and its
column. The pictures live at stable URLs:

* ``/heatmap/functions-themes.svg`` - the five functions x the four themes;
* ``/heatmap/categories-themes.svg`` - the 23 categories x the four themes;
* ``/heatmap/categories-controls.svg`` - the 23 categories x the 93 controls;
* ``/heatmap/function/{ID|PR|DE|RS|RC}.svg`` - one function's categories x the controls they reference.

Accessibility (WCAG 2.1 1.1.1, 1.4.1, 1.4.3): each SVG has ``role="img"``, a
``<title>`` and a ``<desc>``, text labels on both axes, the count written in
every cell large enough to hold it (colour is never the only carrier), a
``<title>`` per cell for pointer users, text colour chosen for contrast with
the fill, and the pages that show a picture also give its numbers as a table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import Blueprint, Response, abort, render_template
from markupsafe import Markup

from ...mappings import CONTROL_REFERENCES
from ...namespaces import CF
from ...ordering import notation_key
from ...sparql.cache import Answer
from .context import href, respond, site
from .graph_index import CONTROLS_2022, ID_NS, GraphIndex

bp = Blueprint("heatmap", __name__)

SVG_TYPE = "image/svg+xml; charset=utf-8"
#: A sequential blue scale (light to dark) and the text colour readable on each step (contrast >= 4.5:1).
PALETTE = ("#eef4fb", "#cfe0f3", "#a8c8e8", "#6fa3d6", "#3f7fc0", "#1f5fa3", "#0b3d7a")
TEXT_ON = ("#1b2733", "#1b2733", "#1b2733", "#0b1620", "#ffffff", "#ffffff", "#ffffff")
EMPTY_FILL = "#ffffff"
CHAR_WIDTH = 7.0  # px per character of 12 px text, for laying out labels
ROW_LABEL_CHARS = 44  #: a longer row label is cut (with "…") to fit; its <title> keeps it whole


@dataclass(frozen=True)
class Axis:
    """One row or column: its short label, its long name and the page it links to."""

    iri: str
    label: str
    title: str

    @property
    def key(self) -> str:
        return self.iri[len(ID_NS) :]


@dataclass
class Matrix:
    """Counts between two axes, and how to draw them."""

    slug: str
    title: str
    description: str
    row_heading: str
    col_heading: str
    rows: list[Axis]
    cols: list[Axis]
    counts: Counter
    cell: int = 40  #: cell height (and width, unless *cell_width* says otherwise), px
    rotate_columns: bool = False
    cell_width: int | None = None

    def count(self, row: Axis, col: Axis) -> int:
        return self.counts.get((row.iri, col.iri), 0)

    @property
    def maximum(self) -> int:
        return max(self.counts.values(), default=0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def row_total(self, row: Axis) -> int:
        return sum(self.count(row, c) for c in self.cols)

    def col_total(self, col: Axis) -> int:
        return sum(self.count(r, col) for r in self.rows)

    def step(self, value: int) -> int:
        """The palette step for *value* (1..7); 0 for an empty cell."""
        if value <= 0 or self.maximum <= 0:
            return 0
        return 1 + min(len(PALETTE) - 1, (value - 1) * len(PALETTE) // self.maximum)


@dataclass(frozen=True)
class ReferenceCell:
    record: str
    function: str
    category: str
    subcategory: str
    control: str
    theme: str


def reference_cells(index: GraphIndex) -> list[ReferenceCell]:
    """Every subcategory -> control mapping record with its function, category and the control's theme.

    Read from the index: its mapping records of the set ``ts27103-iso27002-2022``, its framework tree for
    each subcategory's category and function, and each control's ``cf:theme``.
    """
    places = {
        sub.iri: (function.iri, category.iri)
        for function in index.functions
        for category in function.children
        for sub in category.children
    }
    cells = []
    for record in index.records.values():
        if record.set_name != CONTROL_REFERENCES or record.subject not in places:
            continue
        function, category = places[record.subject]
        for theme in index.objects(record.object, str(CF.theme)):
            cells.append(ReferenceCell(record.iri, function, category, record.subject, record.object, theme))
    return sorted(cells, key=lambda c: (c.record, c.theme))


def _axis(index: GraphIndex, iri: str, *, short: bool = False) -> Axis:
    name = index.name(iri)
    label = name.notation or name.label or iri
    title = name.text or label
    return Axis(iri, label if short else title, title)


def _sorted_axes(index: GraphIndex, iris, *, short: bool = False) -> list[Axis]:
    return [_axis(index, i, short=short) for i in sorted(set(iris), key=index.sort_key)]


def _function_of(cell: ReferenceCell) -> str:
    return cell.function


def _category_of(cell: ReferenceCell) -> str:
    return cell.category


def build_matrices(index: GraphIndex) -> dict[str, Matrix]:
    """Every heatmap, by its slug (``functions-themes``, ``function/DE``, ...)."""
    cells = reference_cells(index)
    themes = _sorted_axes(index, {c.theme for c in cells} | set(_themes(index)))
    functions = [_axis(index, f.iri) for f in index.functions]
    categories = [_axis(index, c.iri) for f in index.functions for c in f.children]
    controls = _sorted_axes(index, _controls(index), short=True)
    out: dict[str, Matrix] = {}
    by_theme = (
        ("functions", "Functions", "Function", functions, _function_of, 46, "each function of ISO/IEC TS 27103"),
        ("categories", "Categories", "Category", categories, _category_of, 30, "each category"),
    )
    for slug, plural, heading, rows, row_of, cell, what in by_theme:
        out[f"{slug}-themes"] = Matrix(
            f"{slug}-themes",
            f"{plural} × ISO/IEC 27002:2022 themes",
            f"How many subcategory-to-control references connect {what} with each theme of ISO/IEC 27002:2022 "
            "(one per mapping record).",
            heading,
            "Theme",
            rows,
            themes,
            Counter((row_of(c), c.theme) for c in cells),
            cell=cell,
            cell_width=112,
        )
    out["categories-controls"] = Matrix(
        "categories-controls",
        "Categories × ISO/IEC 27002:2022 controls",
        "How many subcategories of each category reference each of the 93 controls of ISO/IEC 27002:2022; "
        "an empty column is a control no subcategory references.",
        "Category",
        "Control",
        [_axis(index, c.iri, short=True) for c in categories],
        controls,
        Counter((c.category, c.control) for c in cells),
        cell=16,
        rotate_columns=True,
    )
    for function in index.functions:
        mine = [c for c in cells if c.function == function.iri]
        out["function/" + function.notation] = Matrix(
            "function/" + function.notation,
            f"{function.notation} {function.label}: categories × controls",
            f"How many subcategories of each category of {function.label} reference each ISO/IEC 27002:2022 "
            "control that the function draws on.",
            "Category",
            "Control",
            [_axis(index, c.iri) for c in function.children],
            _sorted_axes(index, {c.control for c in mine}, short=True),
            Counter((c.category, c.control) for c in mine),
            cell=26,
            rotate_columns=True,
        )
    return out


def _themes(index: GraphIndex) -> list[str]:
    return [iri for iri in index.names if iri.startswith(ID_NS + "theme/")]


def _controls(index: GraphIndex) -> list[str]:
    return [iri for iri in index.names if iri.startswith(CONTROLS_2022)]


def matrices() -> dict[str, Matrix]:
    current = site()
    return current.memo("heatmaps", lambda: build_matrices(current.index))


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    left: int
    top: int
    cell: int  #: height
    cw: int  #: width


def layout(matrix: Matrix) -> Layout:
    label_chars = max((len(r.label) for r in matrix.rows), default=4)
    left = int(min(label_chars, ROW_LABEL_CHARS) * CHAR_WIDTH) + 24
    col_chars = max((len(c.label) for c in matrix.cols), default=4)
    top = int(col_chars * CHAR_WIDTH * 0.8) + 30 if matrix.rotate_columns else 44
    cell = matrix.cell
    cw = matrix.cell_width or cell
    width = max(left + cw * len(matrix.cols) + 24, 340)
    height = top + cell * len(matrix.rows) + 56
    return Layout(width, height, left, top, cell, cw)


def render_svg(matrix: Matrix, *, standalone: bool) -> str:
    """The SVG of *matrix* (``standalone`` adds the XML declaration and namespace for ``/heatmap/...svg``)."""
    return render_template(
        "heatmap.svg",
        m=matrix,
        box=layout(matrix),
        palette=PALETTE,
        text_on=TEXT_ON,
        empty_fill=EMPTY_FILL,
        standalone=standalone,
        uid="hm-" + matrix.slug.replace("/", "-"),
    )


def row_label(text: str) -> str:
    """A row label cut to fit the layout's left margin."""
    return text if len(text) <= ROW_LABEL_CHARS else text[: ROW_LABEL_CHARS - 1].rstrip() + "…"


def plural(noun: str) -> str:
    """``category`` -> ``categories``, ``theme`` -> ``themes`` (the axes' headings)."""
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


def cell_href(row: Axis, col: Axis) -> str | None:
    """Where a cell leads: for a control column, the control's page at "Referenced by" (its records name the
    subcategories); for a theme column, the row's page (its subcategories with their references)."""
    if col.iri.startswith(CONTROLS_2022):
        target = href(col.iri)
        return target + "#referenced-title" if target else None
    return href(row.iri)


def inline_svg(slug: str) -> Markup:
    """The picture for embedding in a page (inline, so that its labels are links and its cells have tooltips)."""
    return Markup(render_svg(matrices()[slug], standalone=False))


def function_slugs() -> list[str]:
    return sorted((s for s in matrices() if s.startswith("function/")), key=lambda s: notation_key(s[9:]))


@bp.route("/heatmap/<name>.svg", methods=["GET"])
def picture(name: str) -> Response:
    """One of the framework-wide heatmaps as ``image/svg+xml``."""
    if "/" in name or name not in matrices():
        abort(404)
    return respond(lambda: Answer(200, render_svg(matrices()[name], standalone=True).encode("utf-8"), SVG_TYPE))


@bp.route("/heatmap/function/<code>.svg", methods=["GET"])
def function_picture(code: str) -> Response:
    """One function's categories x controls heatmap."""
    slug = "function/" + code.upper()
    if slug not in matrices():
        abort(404)
    return respond(lambda: Answer(200, render_svg(matrices()[slug], standalone=True).encode("utf-8"), SVG_TYPE))


bp.add_app_template_global(inline_svg, "inline_svg")
bp.add_app_template_global(cell_href, "cell_href")
bp.add_app_template_filter(row_label, "row_label")
bp.add_app_template_filter(plural, "plural")
bp.add_app_template_global(matrices, "heatmaps")
bp.add_app_template_global(function_slugs, "function_heatmaps")
