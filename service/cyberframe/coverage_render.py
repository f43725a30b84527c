"""A coverage report (:mod:`cyberframe.coverage`) as a terminal table, CSV, JSON or a standalone HTML page.

The HTML page carries no script and no style sheet (it is served under a
content security policy that forbids inline ones): layout is plain HTML, the
heatmap an SVG whose colours are presentation attributes. Accessibility as for
the site's heatmaps (WCAG 2.1 1.1.1, 1.4.1): the SVG has a title and a
description, every cell writes its numbers, and the tables give them again.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from html import escape

from .coverage import FrameworkCoverage, Report

FORMATS = ("table", "csv", "json", "html")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "table": "text/plain; charset=utf-8",
}
#: Light to dark green by covered share, and a readable text colour on each.
SHADES = ("#f4f6f4", "#d9efd9", "#b3dfb3", "#7fc77f", "#4ca64c", "#2b7f2b", "#145214")
TEXT_ON = ("#1b2733", "#1b2733", "#1b2733", "#0b1620", "#ffffff", "#ffffff", "#ffffff")


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report in *fmt* (one of :data:`FORMATS`)."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return to_csv(report)
    if fmt == "html":
        return to_html(report)
    return to_text(report, color=color)


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return out


def _coverage_rows(cov: FrameworkCoverage) -> list[list[object]]:
    rows: list[list[object]] = []
    for fn in cov.functions:
        for t in (fn, *cov.categories[fn.notation]):
            name = t.notation if t is fn else "  " + t.notation
            rows.append([name, t.label, t.mappable, t.counts["covered"], _pct(t.share("covered")),
                         t.counts["partial"], t.counts["uncovered"], t.counts["unmappable"]])
    t = cov.total
    rows.append(["total", "", t.mappable, t.counts["covered"], _pct(t.share("covered")),
                 t.counts["partial"], t.counts["uncovered"], t.counts["unmappable"]])
    return rows


HEADERS = ["element", "name", "mappable", "covered", "share", "partial", "uncovered", "unmappable"]


def headline(report: Report) -> str:
    """One line: the framework's and CSF 2.0's covered shares, and the size of the greedy cover."""
    t, n = report.framework.total, report.csf20.total
    return (f"Covered: {t.counts['covered']} of {t.mappable} mappable subcategories ({_pct(t.share('covered'))}), "
            f"{t.counts['partial']} partial, {t.counts['uncovered']} uncovered, {t.counts['unmappable']} unmappable; "
            f"NIST CSF 2.0: {n.counts['covered']} of {n.mappable} ({_pct(n.share('covered'))}); "
            f"{len(report.cover)} controls close all {sum(len(c) for _, c in report.cover)} closable gaps")


def to_text(report: Report, *, color: bool = False) -> str:
    """A readable terminal report; gaps marked with ``!`` (and in red when *color*)."""
    def mark(text: str) -> str:
        return f"\x1b[31;1m{text}\x1b[0m" if color else text

    soa = report.soa
    lines = [f"Coverage of {len(soa.entries)} controls ("
             + ", ".join(f"{len(soa.with_status(s))} {s}" for s in ("implemented", "partial", "planned",
                                                                       "not-applicable"))
             + f") through {', '.join(report.sets)}", headline(report), ""]
    if soa.issues:
        lines.append("Input notes:")
        lines += [f"  line {i.line}: [{i.kind}] {i.message}" if i.line else f"  [{i.kind}] {i.message}"
                  for i in soa.issues]
        lines.append("")
    lines.append("ISO/IEC TS 27103 functions and categories (subcategories covered by an implemented control):")
    lines += _table(HEADERS, _coverage_rows(report.framework))
    lines += ["", "NIST CSF 2.0 through NIST's ISO/IEC 27001:2022 references:"]
    lines += _table(HEADERS, [r for r in _coverage_rows(report.csf20) if not str(r[0]).startswith("  ")])
    lines += ["", "Cybersecurity-concept attribute of the SoA's controls (ISO/IEC 27002:2022 5.4) beside the mapping:"]
    lines += _table(["function", "controls", "implemented", "partial", "planned", "share", "framework covered"],
                    [[c["function"], c["controls"], c["implemented"], c["partial"], c["planned"],
                      _pct(c["implemented_share"]), _pct(c["framework_covered_share"])] for c in report.concepts])
    lines += ["", f"Gaps ({len(report.gaps)} subcategories not covered by an implemented control):"]
    for g in report.gaps:
        lines.append(mark(f"  ! {g.subcategory} {g.label} [{g.state}]") + f"  would be covered by: "
                     f"{', '.join(g.candidates) or '(no control)'}")
    lines += ["", "Shortest list of controls that closes every gap (greedy cover):"]
    for control, closes in report.cover:
        lines.append(f"  {control} {report.controls[control].label}: closes {len(closes)} ({', '.join(closes)})")
    unmappable = [c.element.notation for cells in report.framework.cells.values() for c in cells
                  if c.state == "unmappable"]
    lines += ["", f"Unmappable (no chosen set maps them to a control): {', '.join(unmappable) or 'none'}"]
    lines.append(f"SoA controls serving no subcategory: {', '.join(report.unused) or 'none'}")
    if report.disagreements:
        lines.append(f"Mapping sets disagree on: {', '.join(report.disagreements)}")
    return "\n".join(lines) + "\n"


def to_csv(report: Report) -> str:
    """One row per subcategory of both frameworks: its state and the records that justify it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["framework", "function", "category", "subcategory", "state", "controls",
                     "covering_controls", "records", "disagreement"])
    for name, cov in (("ts27103", report.framework), ("csf20", report.csf20)):
        for fn in cov.functions:
            for cat in cov.categories[fn.notation]:
                for cell in cov.cells[cat.notation]:
                    writer.writerow([name, fn.notation, cat.notation, cell.element.notation, cell.state,
                                     ";".join(cell.controls),
                                     ";".join(f"{j.control}:{j.status}" for j in cell.justifications),
                                     ";".join(j.record for j in cell.justifications),
                                     "yes" if cell.disagreement else ""])
    return out.getvalue()


def shade(share: float) -> tuple[str, str]:
    """Fill and text colour for a covered share in [0, 1]."""
    step = min(len(SHADES) - 1, round(share * (len(SHADES) - 1)))
    return SHADES[step], TEXT_ON[step]


def heatmap_svg(cov: FrameworkCoverage, *, link: str = "#gaps-") -> str:
    """Functions (rows) x their categories (cells), shaded by the share of subcategories covered."""
    cell_w, cell_h, head = 92, 44, 118
    cols = max(len(cov.categories[f.notation]) for f in cov.functions)
    width, height = head + cols * cell_w + 4, len(cov.functions) * cell_h + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="hm-title hm-desc">',
        f'<title id="hm-title">Coverage of {escape(cov.name)} by function and category</title>',
        '<desc id="hm-desc">One row per function, one cell per category, darker when more of its subcategories '
        'are covered by an implemented control; each cell gives covered/mappable and links to its gaps.</desc>',
    ]
    for r, fn in enumerate(cov.functions):
        y = r * cell_h + 2
        parts.append(f'<text x="4" y="{y + cell_h / 2 + 4:.0f}" font-size="12" font-family="sans-serif">'
                     f'{escape(fn.notation)} {escape(fn.label[:12])}</text>')
        for c, cat in enumerate(cov.categories[fn.notation]):
            x = head + c * cell_w
            fill, ink = shade(cat.share("covered"))
            text = f"{cat.counts['covered']}/{cat.mappable}" if cat.mappable else "n/a"
            parts.append(
                f'<a href="{escape(link + cat.notation)}"><rect x="{x}" y="{y}" width="{cell_w - 4}" '
                f'height="{cell_h - 4}" fill="{fill}" stroke="#5f6b76" stroke-width="0.5">'
                f'<title>{escape(cat.notation)} {escape(cat.label)}: {cat.counts["covered"]} covered, '
                f'{cat.counts["partial"]} partial, {cat.counts["uncovered"]} uncovered, '
                f'{cat.counts["unmappable"]} unmappable</title></rect>'
                f'<text x="{x + 6}" y="{y + 16}" font-size="11" font-family="sans-serif" fill="{ink}">'
                f'{escape(cat.notation)}</text>'
                f'<text x="{x + 6}" y="{y + 32}" font-size="11" font-family="sans-serif" fill="{ink}">'
                f'{text}</text></a>'
            )
    parts.append("</svg>")
    return "".join(parts)


def report_body(report: Report) -> str:
    """The report as an HTML fragment: heatmap, tables, gaps per category with their candidates, notes."""
    soa = report.soa
    out = [f"<p>{len(soa.entries)} controls ("
           + ", ".join(f"{len(soa.with_status(s))} {s}" for s in ("implemented", "partial", "planned",
                                                                     "not-applicable"))
           + f") through the mapping sets {escape(', '.join(report.sets))}.</p>"]
    t = report.framework.total
    out.append(f"<p><strong>{t.counts['covered']} of {t.mappable}</strong> mappable subcategories "
               f"({_pct(t.share('covered'))}) are covered by an implemented control, {t.counts['partial']} "
               f"only by partial or planned ones, {t.counts['uncovered']} not at all; "
               f"{t.counts['unmappable']} are unmappable.</p>")
    out.append('<figure class="coverage-heatmap">' + heatmap_svg(report.framework) + "</figure>")
    if soa.issues:
        out.append("<h2>Input notes</h2><ul>")
        out += [f"<li>{'line ' + str(i.line) + ': ' if i.line else ''}[{escape(i.kind)}] {escape(i.message)}</li>"
                for i in soa.issues]
        out.append("</ul>")
    for title, cov in (("ISO/IEC TS 27103", report.framework), ("NIST CSF 2.0", report.csf20)):
        out.append(f"<h2>{escape(title)}</h2><table><thead><tr>"
                   + "".join(f"<th>{h}</th>" for h in HEADERS) + "</tr></thead><tbody>")
        for row in _coverage_rows(cov):
            out.append("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>")
        out.append("</tbody></table>")
    out.append("<h2>Gaps</h2>")
    for fn in report.framework.functions:
        for cat in report.framework.categories[fn.notation]:
            cells = [c for c in report.framework.cells[cat.notation] if c.state != "covered"]
            out.append(f'<h3 id="gaps-{escape(cat.notation)}">{escape(cat.notation)} {escape(cat.label)}</h3>')
            if not cells:
                out.append("<p>No gap.</p>")
                continue
            out.append("<ul>")
            for c in cells:
                would = ", ".join(x for x in c.controls if x not in soa.with_status("implemented"))
                out.append(f"<li>{escape(c.element.notation)} {escape(c.element.label)} — {c.state}"
                           + (f"; would be covered by {escape(would)}" if would else "") + "</li>")
            out.append("</ul>")
    out.append("<h2>Shortest list of controls closing every gap</h2><ol>")
    out += [f"<li>{escape(c)} {escape(report.controls[c].label)}: closes {escape(', '.join(closes))}</li>"
            for c, closes in report.cover]
    out.append("</ol>")
    out.append(f"<p>SoA controls serving no subcategory: {escape(', '.join(report.unused) or 'none')}.</p>")
    if report.disagreements:
        out.append(f"<p>Mapping sets disagree on: {escape(', '.join(report.disagreements))}.</p>")
    return "\n".join(out)


def to_html(report: Report) -> str:
    """A standalone HTML report (no script, no style)."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Coverage report</title></head>'
            "<body><h1>Coverage report</h1>\n" + report_body(report) + "\n</body></html>\n")
