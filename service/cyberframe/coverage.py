"""Coverage and gap analysis: which framework elements does a set of ISO/IEC 27002:2022 controls cover?

The input is a Statement of Applicability (ISO/IEC 27001:2022 6.1.3 d): the
controls an organisation applies, each with a status. :func:`read_soa` reads
one from CSV or XLSX (tolerant of real spreadsheets' headers and id forms) and
reports every row it cannot use by line. :func:`analyse` walks the mapping
records of the chosen mapping sets from each subcategory of the TS 27103
framework (and of NIST CSF 2.0) to the controls, and says per function and
category how many subcategories are covered by an implemented control, by
partial or planned ones only, or not at all; which controls would close the
gaps (a greedy set cover); which SoA controls serve no subcategory; and the
controls' own cybersecurity-concept attribute (ISO/IEC 27002:2022 5.4) beside it.
Every covered cell names the mapping records that justify it.

``cyberframe.coverage(soa)`` (:func:`cyberframe.api.coverage`) is the public
entry: calling this module runs it (``cyberframe/_callable.py``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ._callable import make_callable
from .knowledge import KnowledgeGraph
from .mappings import MappingRecord, load_records
from .namespaces import ID
from .ordering import notation_key
from .resources import internal_query

#: The statuses a SoA row can have, strongest first.
STATUSES = ("implemented", "partial", "planned", "not-applicable")
#: The mapping sets that relate TS 27103 subcategories to ISO/IEC 27002:2022 controls, by the short name users pick.
FRAMEWORK_SETS = {
    "ts27103": "ts27103-iso27002-2022",
    "via-csf20": "ts27103-iso27002-2022-via-csf20",
}
#: NIST's own CSF 2.0 informative references to ISO/IEC 27001:2022 Annex A (= 27002:2022 controls).
CSF20_SET = "csf20-iso27001-2022"
EDITION_SET = "iso27002-2013-2022"
DEFAULT_SETS = ("ts27103",)

CONTROL_2022 = f"{ID}control/iso-iec-27002-2022/"
CONTROL_2013 = f"{ID}control/iso-iec-27002-2013/"
TS27103 = f"{ID}framework/ts27103"
CSF20 = f"{ID}framework/nist-csf-2-0"
STANDARD_2022 = f"{ID}standard/iso-iec-27002-2022"

#: Header names (lower case, letters and digits only) that hold the control id, the status, owner and notes.
ID_HEADERS = ("controlid", "control", "controlno", "controlnumber", "controlref", "ref", "reference", "id",
              "iso27002", "iso270022022", "annexa", "annexacontrol", "clause", "number", "no")
STATUS_HEADERS = ("status", "implementationstatus", "implemented", "state", "applicability", "implementation")
OWNER_HEADERS = ("owner", "controlowner", "responsible", "assignee")
NOTES_HEADERS = ("notes", "note", "comment", "comments", "justification", "remarks")

_STATUS_WORDS = {
    "implemented": "implemented", "yes": "implemented", "y": "implemented", "done": "implemented",
    "inplace": "implemented", "complete": "implemented", "completed": "implemented",
    "fullyimplemented": "implemented", "applied": "implemented", "operational": "implemented",
    "partial": "partial", "partially": "partial", "partiallyimplemented": "partial", "inprogress": "partial",
    "ongoing": "partial",
    "planned": "planned", "todo": "planned", "notyetimplemented": "planned", "notstarted": "planned",
    "scheduled": "planned", "notimplemented": "planned",
    "notapplicable": "not-applicable", "na": "not-applicable", "excluded": "not-applicable",
    "no": "not-applicable", "n": "not-applicable",
}
_PREFIX = re.compile(r"^(?:iso(?:/iec)?\s*(?:27002|27001)\s*(?::\s*(?P<year>20\d\d))?\s*)?(?:annex\s*)?(?:a\s*\.?\s*)?",
                     re.IGNORECASE)
_NUMBER = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{1,2}))?$")


class CoverageInputError(ValueError):
    """A SoA that cannot be read at all (empty, no id column, unreadable); 400 over HTTP, exit 2 in the CLI."""

    status = 400


@dataclass(frozen=True)
class Issue:
    """One thing said about the input: a row kept out, merged or translated."""

    kind: str  #: unknown-id, unknown-status, duplicate, conflict, edition-2013, no-id
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class Entry:
    """One control of the SoA after merging: its 2022 notation and status."""

    control: str
    status: str
    lines: tuple[int, ...]
    owner: str = ""
    notes: str = ""
    source_ids: tuple[str, ...] = ()


@dataclass
class Soa:
    """A Statement of Applicability as read: the usable entries and what was said about the rest."""

    entries: dict[str, Entry]
    issues: list[Issue] = field(default_factory=list)
    columns: tuple[str, ...] = ()

    def with_status(self, *statuses: str) -> set[str]:
        return {c for c, e in self.entries.items() if e.status in statuses}


# --- reading -------------------------------------------------------------------------------------------------

def _key(header: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header or "").lower())


def _column(headers: Sequence[str], names: Sequence[str]) -> int | None:
    keys = [_key(h) for h in headers]
    for name in names:
        if name in keys:
            return keys.index(name)
    for name in names:  # "Control ID (ISO 27002)" and the like
        for i, k in enumerate(keys):
            if len(name) > 3 and k.startswith(name):
                return i
    return None


def normalise_id(raw: str) -> tuple[str, str] | None:
    """``(edition, notation)`` of a control id as spreadsheets write it, or None.

    ``A.5.7``, ``5.7``, ``ISO 27002 5.7``, ``5.07`` -> ``("2022", "5.7")``; three-part ids such as
    ``A.12.6.1`` are ISO/IEC 27002:2013 (ISO/IEC 27001:2013 Annex A) numbers -> ``("2013", "12.6.1")``.
    """
    text = raw.strip().replace("\u00a0", " ")
    match = _PREFIX.match(text)
    year = match.group("year") if match else None
    rest = text[match.end():].strip().rstrip(".") if match else text
    rest = rest.split()[0] if rest.split() else ""
    number = _NUMBER.match(rest)
    if not number:
        return None
    parts = [str(int(p)) for p in number.groups() if p is not None]
    notation = ".".join(parts)
    if len(parts) == 3 or year == "2013":
        return ("2013", notation)
    return ("2022", notation)


def normalise_status(raw: str) -> str | None:
    """The SoA status word (:data:`STATUSES`) a cell means, or None; an empty cell is None."""
    return _STATUS_WORDS.get(_key(raw))


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def csv_rows(data: bytes) -> list[list[str]]:
    """The rows of a CSV file: BOM stripped, delimiter sniffed among comma, semicolon and tab."""
    text = _decode(data)
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    try:  # newline="" lets the reader see a carriage return inside a quoted field (RFC 4180 §2.6)
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise CoverageInputError(f"not a readable CSV file: {exc}") from exc


#: Bytes an XLSX workbook may hold once unzipped (its XML parts): a decompression bomb is refused unread.
XLSX_MAX_UNZIPPED = 32 << 20


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The rows of the first worksheet of an XLSX workbook with a recognisable id column (else the first)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise CoverageInputError(f"not a readable XLSX workbook: {exc}") from exc
    if unzipped > XLSX_MAX_UNZIPPED:
        raise CoverageInputError(
            f"the XLSX workbook unpacks to {unzipped} bytes, over the limit of {XLSX_MAX_UNZIPPED}; "
            "save the Statement of Applicability as CSV or trim the workbook"
        )
    sheets = []
    try:  # a read-only workbook parses each sheet while it is iterated, so a damaged sheet fails here too
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                sheets.append([["" if v is None else _cell(v) for v in row]
                               for row in sheet.iter_rows(values_only=True)])
        finally:
            book.close()
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and its own errors for a damaged file
        raise CoverageInputError(f"not a readable XLSX workbook: {exc}") from exc
    for rows in sheets:
        header = _header_row(rows)
        if header is not None:
            return rows
    return sheets[0] if sheets else []


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header_row(rows: list[list[str]]) -> int | None:
    """The index of the first of the first ten rows that names an id column."""
    for i, row in enumerate(rows[:10]):
        if _column(row, ID_HEADERS) is not None:
            return i
    return None


def read_rows(rows: list[list[str]], crosswalk: dict[str, tuple[str, ...]] | None = None,
              known: Iterable[str] | None = None) -> Soa:
    """A :class:`Soa` from table rows (a header row among the first ten, then one row per control).

    *known* is the set of ISO/IEC 27002:2022 notations, *crosswalk* maps 2013 notations to their 2022
    successors (ISO/IEC 27002:2022 Annex B, Table B.2); rows whose id neither knows are reported by line.
    """
    nonblank = [r for r in rows if any(c.strip() for c in r)]
    if not nonblank:
        raise CoverageInputError("the file is empty: no header row and no controls")
    start = _header_row(rows)
    if start is None:
        found = [c.strip() for c in nonblank[0] if c.strip()]
        raise CoverageInputError(
            "no column holds control ids; the columns found are: " + (", ".join(repr(c) for c in found) or "(none)")
            + "; name one 'control' or 'id'"
        )
    header = rows[start]
    id_col = _column(header, ID_HEADERS)
    assert id_col is not None
    status_col = _column(header, STATUS_HEADERS)
    owner_col = _column(header, OWNER_HEADERS)
    notes_col = _column(header, NOTES_HEADERS)
    known_set = set(known) if known is not None else None
    crosswalk = crosswalk or {}
    issues: list[Issue] = []
    seen: dict[str, list[tuple[int, str, str, str, str]]] = defaultdict(list)

    def cell(row: list[str], col: int | None) -> str:
        return row[col].strip() if col is not None and col < len(row) else ""

    for offset, row in enumerate(rows[start + 1:], start=start + 2):
        raw = cell(row, id_col)
        if not raw:
            if any(c.strip() for c in row):
                issues.append(Issue("no-id", "row has no control id; skipped", offset))
            continue
        parsed = normalise_id(raw)
        if status_col is None:
            status: str | None = "implemented"
        else:
            status = normalise_status(cell(row, status_col))
        if status is None:
            issues.append(Issue("unknown-status", f"{raw}: status {cell(row, status_col)!r} is not one of "
                                f"{', '.join(STATUSES)}; kept out of the totals", offset))
            continue
        targets: tuple[str, ...]
        if parsed is None:
            targets = ()
        elif parsed[0] == "2013":
            targets = crosswalk.get(parsed[1], ())
            if targets:
                issues.append(Issue("edition-2013", f"{raw} is ISO/IEC 27002:2013 {parsed[1]}; counted as "
                                    f"ISO/IEC 27002:2022 {', '.join(targets)} (Annex B)", offset))
        else:
            targets = (parsed[1],) if known_set is None or parsed[1] in known_set else ()
        if not targets:
            issues.append(Issue("unknown-id", f"{raw!r} is not an ISO/IEC 27002:2022 control (nor a 2013 one); "
                                "kept out of the totals", offset))
            continue
        for target in targets:
            seen[target].append((offset, status, cell(row, owner_col), cell(row, notes_col), raw))

    entries: dict[str, Entry] = {}
    for control, hits in seen.items():
        statuses = {h[1] for h in hits}
        lines = tuple(h[0] for h in hits)
        if len(hits) > 1 and len(statuses) == 1:
            issues.append(Issue("duplicate", f"{control} appears on lines {', '.join(map(str, lines))}; merged",
                                lines[1]))
        # the weakest status wins: a control is only as implemented as its least implemented row says
        chosen = max(statuses, key=STATUSES.index)
        if len(statuses) > 1:
            issues.append(Issue("conflict", f"{control} has conflicting statuses "
                                f"({', '.join(f'line {h[0]}: {h[1]}' for h in hits)}); counted as {chosen}",
                                lines[0]))
        entries[control] = Entry(
            control, chosen, lines,
            owner="; ".join(dict.fromkeys(h[2] for h in hits if h[2])),
            notes="; ".join(dict.fromkeys(h[3] for h in hits if h[3])),
            source_ids=tuple(dict.fromkeys(h[4] for h in hits)),
        )
    issues.sort(key=lambda i: (i.line or 0, i.kind))
    return Soa(entries, issues, tuple(c.strip() for c in header))


# --- the knowledge the analysis needs ------------------------------------------------------------------------

@dataclass(frozen=True)
class Element:
    iri: str
    notation: str
    label: str


@dataclass(frozen=True)
class Framework:
    """Functions, categories and subcategories of one framework, in reading order."""

    functions: tuple[Element, ...]
    categories: dict[str, tuple[Element, ...]]  #: function notation -> categories
    subcategories: dict[str, tuple[Element, ...]]  #: category notation -> subcategories


@dataclass(frozen=True)
class Knowledge:
    """What :func:`analyse` reads from the graph, read once per knowledge graph."""

    ts27103: Framework
    csf20: Framework
    controls: dict[str, Element]  #: ISO/IEC 27002:2022 notation -> control
    concepts: dict[str, tuple[str, ...]]  #: control notation -> cybersecurity-concept function notations
    records: dict[str, tuple[MappingRecord, ...]]  #: set name -> records (subject element -> control object)
    crosswalk: dict[str, tuple[str, ...]]  #: 2013 notation -> 2022 notations


def _framework(kg: KnowledgeGraph, scheme: str) -> Framework:
    rows = kg.select(internal_query("coverage-structure"),
                     substitutions={ox.Variable("scheme"): ox.NamedNode(scheme)})
    fns: dict[str, Element] = {}
    cats: dict[str, dict[str, Element]] = defaultdict(dict)
    subs: dict[str, dict[str, Element]] = defaultdict(dict)
    for row in rows:
        fn = Element(row["function"].value, row["fnotation"].value,
                     row["flabel"].value if row["flabel"] else row["fnotation"].value)
        cat = Element(row["category"].value, row["cnotation"].value,
                      row["clabel"].value if row["clabel"] else row["cnotation"].value)
        sub = Element(row["subcategory"].value, row["snotation"].value,
                      row["slabel"].value if row["slabel"] else row["snotation"].value)
        fns[fn.notation] = fn
        cats[fn.notation][cat.notation] = cat
        subs[cat.notation][sub.notation] = sub

    def ordered(items: Iterable[Element]) -> tuple[Element, ...]:
        return tuple(sorted(items, key=lambda e: notation_key(e.notation)))

    order = {"GV": 0, "ID": 1, "PR": 2, "DE": 3, "RS": 4, "RC": 5}
    functions = tuple(sorted(fns.values(), key=lambda e: (order.get(e.notation, 9), e.notation)))
    return Framework(
        functions,
        {f: ordered(c.values()) for f, c in cats.items()},
        {c: ordered(s.values()) for c, s in subs.items()},
    )


def knowledge(kg: KnowledgeGraph) -> Knowledge:
    """The frameworks, controls and mapping records of *kg* (read once per graph, then kept with it)."""
    return kg.derived("coverage", _read_knowledge)


def _read_knowledge(kg: KnowledgeGraph) -> Knowledge:
    controls: dict[str, Element] = {}
    concepts: dict[str, set[str]] = defaultdict(set)
    rows = kg.select(internal_query("coverage-controls"),
                     substitutions={ox.Variable("standard"): ox.NamedNode(STANDARD_2022)})
    for row in rows:
        notation = row["notation"].value
        controls[notation] = Element(row["control"].value, notation,
                                     row["label"].value if row["label"] else notation)
        if row["concept"] is not None:
            concepts[notation].add(row["concept"].value)
    wanted = {*FRAMEWORK_SETS.values(), CSF20_SET, EDITION_SET}
    by_set: dict[str, list[MappingRecord]] = defaultdict(list)
    for record in load_records(kg):
        if record.set_name in wanted and record.object.startswith(CONTROL_2022):
            by_set[record.set_name].append(record)
    crosswalk: dict[str, set[str]] = defaultdict(set)
    for record in by_set.pop(EDITION_SET, []):
        if record.subject.startswith(CONTROL_2013):
            crosswalk[record.subject.removeprefix(CONTROL_2013)].add(record.object.removeprefix(CONTROL_2022))
    return Knowledge(
        ts27103=_framework(kg, TS27103),
        csf20=_framework(kg, CSF20),
        controls=dict(sorted(controls.items(), key=lambda kv: notation_key(kv[0]))),
        concepts={c: tuple(sorted(v)) for c, v in concepts.items()},
        records={name: tuple(sorted(recs, key=lambda r: r.iri)) for name, recs in by_set.items()},
        crosswalk={k: tuple(sorted(v, key=notation_key)) for k, v in crosswalk.items()},
    )


RDF_EXTENSIONS = (".ttl", ".jsonld", ".json", ".nt", ".nq", ".trig", ".rdf", ".owl", ".n3")
PROFILE_SHAPES = ("OrganisationalProfileShape", "ControlImplementationShape")


def read_input(data: bytes, filename: str, kg: KnowledgeGraph, *, max_bytes: int | None = None,
               rdf_format: str | None = None) -> Soa:
    """A SoA from CSV, XLSX or an RDF organisational profile, by *rdf_format* or the file name's extension."""
    if rdf_format is None and filename.lower().endswith(RDF_EXTENSIONS):
        from .rdfio import guess_format

        rdf_format = "jsonld" if filename.lower().endswith(".json") else guess_format(filename)
    if rdf_format is not None:
        return read_profile(data, kg, format=rdf_format, source=filename, max_bytes=max_bytes)
    return read_soa(data, filename, kg)


def read_profile(data: bytes, kg: KnowledgeGraph, *, format: str = "turtle", source: str = "<profile>",
                 max_bytes: int | None = None) -> Soa:
    """A SoA from an RDF organisational profile, read with the safe reader and checked by its SHACL shapes.

    The profile's shapes (ontology/shapes.ttl) run on the document together with the type of every
    control of the graph; a violation is a :class:`CoverageInputError` naming the focus nodes.
    """
    from rdflib import RDF, Graph, URIRef

    from .namespaces import CF, CFSH
    from .rdfio import DEFAULT_MAX_BYTES, parse_rdf
    from .validation import load_shapes, rdflib_term, validate

    document = parse_rdf(data, format=format, source=source, max_bytes=max_bytes or DEFAULT_MAX_BYTES)
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in document.triples())
    know = knowledge(kg)
    shapes = load_shapes()
    subset = Graph()
    for s, p, o in shapes:
        if any(str(s).startswith(str(CFSH[name])) for name in PROFILE_SHAPES):
            subset.add((s, p, o))
    typed = Graph()
    for quad in document.triples():
        typed.add((rdflib_term(quad.subject), rdflib_term(quad.predicate), rdflib_term(quad.object)))
    for element in know.controls.values():
        typed.add((URIRef(element.iri), RDF.type, CF.Control))
    for old in know.crosswalk:
        typed.add((URIRef(CONTROL_2013 + old), RDF.type, CF.Control))
    outcome = validate(typed, shapes=subset, include_shipped=False)
    if outcome.violations:
        shown = "; ".join(f"{r.focus}: {r.message}" for r in outcome.violations[:5])
        raise CoverageInputError(f"{source}: the profile does not conform to its shapes ({len(outcome.violations)} "
                                 f"violations): {shown}")
    solutions = store.query(internal_query("coverage-profile"))
    assert isinstance(solutions, ox.QuerySolutions)
    rows = list(solutions)
    if not rows:
        raise CoverageInputError(f"{source}: no cf:OrganisationalProfile with a cf:implementation found "
                                 f"({len(document)} statements read)")
    table = [["control", "status", "notes"]]
    for row in rows:
        control = row["control"].value
        notation = (control.removeprefix(CONTROL_2022) if control.startswith(CONTROL_2022)
                    else "ISO 27002:2013 " + control.removeprefix(CONTROL_2013) if control.startswith(CONTROL_2013)
                    else control)
        table.append([notation, row["status"].value, row["comment"].value if row["comment"] else ""])
    soa = read_rows(table, know.crosswalk, know.controls)
    tiers = {row["tier"].value for row in rows if row["tier"] is not None}
    if tiers:
        soa.issues.insert(0, Issue("target-tier", f"target tier {', '.join(sorted(tiers))}"))
    return soa


def read_soa(data: bytes, filename: str, kg: KnowledgeGraph) -> Soa:
    """Read a SoA from CSV or XLSX bytes (the kind from *filename*'s extension or the bytes themselves)."""
    know = knowledge(kg)
    is_xlsx = filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04"
    rows = xlsx_rows(data) if is_xlsx else csv_rows(data)
    return read_rows(rows, know.crosswalk, know.controls)


# --- analysis ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Justification:
    """A mapping record that links a subcategory to a control of the SoA."""

    control: str
    status: str
    record: str
    mapping_set: str
    basis: str
    derivation: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"control": self.control, "status": self.status, "record": self.record,
                "mapping_set": self.mapping_set, "basis": self.basis, "derivation": list(self.derivation)}


@dataclass(frozen=True)
class Cell:
    """One subcategory's coverage: covered, partial (partial or planned only), uncovered or unmappable."""

    element: Element
    state: str
    controls: tuple[str, ...]  #: every control the chosen sets map it to
    justifications: tuple[Justification, ...]
    per_set: dict[str, str]  #: mapping-set short name -> state under that set alone
    disagreement: bool


STATES = ("covered", "partial", "uncovered", "unmappable")


@dataclass(frozen=True)
class Tally:
    """Counts of subcategories per state; shares are of the mappable ones."""

    notation: str
    label: str
    counts: dict[str, int]

    @property
    def mappable(self) -> int:
        return self.counts["covered"] + self.counts["partial"] + self.counts["uncovered"]

    def share(self, state: str) -> float:
        return round(self.counts[state] / self.mappable, 4) if self.mappable else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"notation": self.notation, "label": self.label, **self.counts, "mappable": self.mappable,
                **{f"{s}_share": self.share(s) for s in ("covered", "partial", "uncovered")}}


@dataclass(frozen=True)
class FrameworkCoverage:
    name: str
    functions: tuple[Tally, ...]
    categories: dict[str, tuple[Tally, ...]]
    cells: dict[str, tuple[Cell, ...]]  #: category notation -> its subcategories' cells
    total: Tally


@dataclass(frozen=True)
class Gap:
    """An uncovered or partly covered subcategory and the controls that would cover it."""

    subcategory: str
    label: str
    state: str
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """The coverage of one SoA (``cyberframe.CoverageReport``): per framework, the gaps, the controls
    that would close them, the SoA's controls that serve nothing; docs/coverage.md explains each part."""

    sets: tuple[str, ...]
    soa: Soa
    framework: FrameworkCoverage
    csf20: FrameworkCoverage
    gaps: tuple[Gap, ...]
    cover: tuple[tuple[str, tuple[str, ...]], ...]  #: greedy cover: (control, the gaps it closes)
    unused: tuple[str, ...]  #: SoA controls (not N/A) that no chosen record maps to a subcategory
    concepts: tuple[dict[str, Any], ...]  #: per function: SoA controls whose concept attribute is that function
    disagreements: tuple[str, ...]
    controls: dict[str, Element]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (docs/coverage.md describes each member)."""
        def framework(cov: FrameworkCoverage) -> dict[str, Any]:
            return {
                "total": cov.total.to_dict(),
                "functions": [
                    {**t.to_dict(), "categories": [
                        {**c.to_dict(), "subcategories": [
                            {"notation": cell.element.notation, "label": cell.element.label, "state": cell.state,
                             "controls": list(cell.controls), "per_set": cell.per_set,
                             "disagreement": cell.disagreement,
                             "justifications": [j.to_dict() for j in cell.justifications]}
                            for cell in cov.cells[c.notation]]}
                        for c in cov.categories[t.notation]]}
                    for t in cov.functions],
            }

        return {
            "mapping_sets": list(self.sets),
            "soa": {
                "controls": len(self.soa.entries),
                "by_status": {s: len(self.soa.with_status(s)) for s in STATUSES},
                "columns": list(self.soa.columns),
            },
            "issues": [i.to_dict() for i in self.soa.issues],
            "framework": framework(self.framework),
            "csf20": framework(self.csf20),
            "gaps": [{"subcategory": g.subcategory, "label": g.label, "state": g.state,
                      "candidates": list(g.candidates)} for g in self.gaps],
            "greedy_cover": [{"control": c, "title": self.controls[c].label, "closes": list(closes)}
                             for c, closes in self.cover],
            "unused_controls": [{"control": c, "title": self.controls[c].label} for c in self.unused],
            "cybersecurity_concepts": list(self.concepts),
            "disagreements": list(self.disagreements),
        }

    def render(self, format: str = "table", *, color: bool = False) -> str:
        """The report as ``cyberframe coverage --format`` writes it: ``table`` (for a terminal, ANSI
        colours with *color*), ``csv`` (one row per subcategory), ``json`` (:meth:`to_dict`) or a
        standalone ``html`` page."""
        from .coverage_render import FORMATS, render

        if format not in FORMATS:
            raise ValueError(f"a coverage report is rendered as one of {', '.join(FORMATS)}, not {format!r}")
        return render(self, format, color=color)


def _state(controls: Iterable[str], soa: Soa) -> str:
    statuses = {soa.entries[c].status for c in controls if c in soa.entries}
    if "implemented" in statuses:
        return "covered"
    if statuses & {"partial", "planned"}:
        return "partial"
    return "uncovered"


def _coverage(name: str, fw: Framework, sets: Mapping[str, Sequence[MappingRecord]], soa: Soa) -> FrameworkCoverage:
    """Cells and tallies of *fw* given records per set (subject = a subcategory of *fw*, object = a control)."""
    mapped: dict[str, dict[str, list[MappingRecord]]] = defaultdict(lambda: defaultdict(list))
    for set_key, records in sets.items():
        for r in records:
            mapped[r.subject][set_key].append(r)
    cells: dict[str, tuple[Cell, ...]] = {}
    categories: dict[str, tuple[Tally, ...]] = {}
    functions = []
    grand: dict[str, int] = dict.fromkeys(STATES, 0)
    for fn in fw.functions:
        fn_counts = dict.fromkeys(STATES, 0)
        tallies = []
        for cat in fw.categories.get(fn.notation, ()):
            counts = dict.fromkeys(STATES, 0)
            row = []
            for sub in fw.subcategories.get(cat.notation, ()):
                by_set = mapped.get(sub.iri, {})
                records = [r for recs in by_set.values() for r in recs]
                controls = tuple(sorted({r.object.removeprefix(CONTROL_2022) for r in records}, key=notation_key))
                state = _state(controls, soa) if controls else "unmappable"
                per_set = {k: _state({r.object.removeprefix(CONTROL_2022) for r in by_set.get(k, ())}, soa)
                           if by_set.get(k) else "unmappable" for k in sets}
                justifications = tuple(
                    Justification(c, soa.entries[c].status, r.iri, r.set_name, r.basis.notation, r.derivation)
                    for r in sorted(records, key=lambda r: (notation_key(r.object), r.iri))
                    if (c := r.object.removeprefix(CONTROL_2022)) in soa.entries
                    and soa.entries[c].status != "not-applicable"
                )
                row.append(Cell(sub, state, controls, justifications, per_set, len(set(per_set.values())) > 1))
                counts[state] += 1
            cells[cat.notation] = tuple(row)
            tallies.append(Tally(cat.notation, cat.label, counts))
            for s in STATES:
                fn_counts[s] += counts[s]
        categories[fn.notation] = tuple(tallies)
        functions.append(Tally(fn.notation, fn.label, fn_counts))
        for s in STATES:
            grand[s] += fn_counts[s]
    return FrameworkCoverage(name, tuple(functions), categories, cells, Tally("total", name, grand))


def greedy_cover(gaps: dict[str, set[str]]) -> list[tuple[str, tuple[str, ...]]]:
    """A short list of controls that closes every gap that can be closed (greedy set cover, Chvátal 1979).

    *gaps* maps a gap to the controls that would close it; each step takes the control closing most
    open gaps, ties broken by control number.
    """
    open_gaps = {g for g, cs in gaps.items() if cs}
    closes: dict[str, set[str]] = defaultdict(set)
    for g, cs in gaps.items():
        for c in cs:
            closes[c].add(g)
    chosen = []
    while open_gaps:
        best = min(closes, key=lambda c: (-len(closes[c] & open_gaps), notation_key(c)))
        done = closes[best] & open_gaps
        if not done:
            break
        chosen.append((best, tuple(sorted(done, key=notation_key))))
        open_gaps -= done
    return chosen


def analyse(kg: KnowledgeGraph, soa: Soa, sets: Sequence[str] = DEFAULT_SETS) -> Report:
    """The coverage report of *soa* through the mapping sets *sets* (keys of :data:`FRAMEWORK_SETS`)."""
    know = knowledge(kg)
    unknown = [s for s in sets if s not in FRAMEWORK_SETS]
    if unknown or not sets:
        raise CoverageInputError(f"unknown mapping set {', '.join(unknown) or '(none)'}; "
                                 f"choose from {', '.join(FRAMEWORK_SETS)}")
    chosen = {s: know.records.get(FRAMEWORK_SETS[s], ()) for s in dict.fromkeys(sets)}
    framework = _coverage("ISO/IEC TS 27103", know.ts27103, chosen, soa)
    csf20 = _coverage("NIST CSF 2.0", know.csf20, {"nist": know.records.get(CSF20_SET, ())}, soa)

    implemented = soa.with_status("implemented")
    gaps = []
    for fn in know.ts27103.functions:
        for cat in know.ts27103.categories.get(fn.notation, ()):
            for cell in framework.cells[cat.notation]:
                if cell.state in ("partial", "uncovered"):
                    candidates = tuple(c for c in cell.controls if c not in implemented)
                    gaps.append(Gap(cell.element.notation, cell.element.label, cell.state, candidates))
    cover = greedy_cover({g.subcategory: set(g.candidates) for g in gaps})

    serving = {r.object.removeprefix(CONTROL_2022) for recs in chosen.values() for r in recs}
    active = soa.with_status("implemented", "partial", "planned")
    unused = tuple(sorted(active - serving, key=notation_key))

    concepts = []
    for fn in know.ts27103.functions:
        members = [c for c, fns in know.concepts.items() if fn.notation in fns]
        row: dict[str, Any] = {"function": fn.notation, "label": fn.label, "controls": len(members)}
        for s in ("implemented", "partial", "planned"):
            row[s] = sum(1 for c in members if c in soa.entries and soa.entries[c].status == s)
        row["implemented_share"] = round(row["implemented"] / len(members), 4) if members else 0.0
        tally = next(t for t in framework.functions if t.notation == fn.notation)
        row["framework_covered_share"] = tally.share("covered")
        concepts.append(row)

    disagreements = tuple(cell.element.notation for cells in framework.cells.values() for cell in cells
                          if cell.disagreement)
    return Report(tuple(FRAMEWORK_SETS[s] for s in chosen), soa, framework, csf20, tuple(gaps),
                  tuple(cover), unused, tuple(concepts), disagreements, know.controls)


def soa_from_controls(entries: dict[str, str]) -> Soa:
    """A :class:`Soa` straight from ``{notation: status}`` (for programs and tests)."""
    return Soa({c: Entry(c, s, ()) for c, s in entries.items()})


make_callable(__name__)
