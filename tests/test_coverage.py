"""Coverage and gap analysis (cyberframe.coverage): every number recomputed here from tests/reference/.

The framework's references to ISO/IEC 27002:2022 are the derived table
csf11-to-iso27002-2022.csv over the structure of csf11-core.csv; NIST CSF 2.0
coverage uses NIST's Annex A references (csf20-to-iso27001-2022-nist.csv) over
csf20-core.csv; ISO/IEC 27002:2013 ids are translated with the predecessors
column of iso27002-2022-controls.csv (ISO/IEC 27002:2022 Annex B).
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import read_reference, split
from cyberframe.cli import main
from cyberframe.coverage import (
    CoverageInputError,
    analyse,
    greedy_cover,
    normalise_id,
    read_input,
    soa_from_controls,
)
from cyberframe.coverage_render import heatmap_svg, render

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "coverage"
CONTROLS = read_reference("iso27002-2022-controls.csv")
ALL = [row["id"] for row in CONTROLS]

#: What tests/data/coverage/soa-40.csv says, read by a person: control -> status after merging.
SOA_40 = {
    "5.1": "implemented", "5.2": "implemented", "5.3": "partial", "5.7": "planned", "5.9": "implemented",
    "5.10": "partial", "5.12": "not-applicable", "5.15": "implemented", "5.16": "implemented",
    "5.17": "partial", "5.19": "planned", "5.20": "implemented", "5.24": "implemented", "5.25": "implemented",
    "5.26": "partial", "5.29": "planned", "5.30": "planned", "5.31": "not-applicable", "6.1": "implemented",
    "6.3": "implemented", "7.1": "implemented", "7.2": "partial", "8.1": "implemented", "8.2": "implemented",
    "8.5": "planned", "8.7": "implemented", "8.8": "partial", "8.13": "implemented", "8.15": "implemented",
    "8.16": "planned", "8.20": "implemented", "8.24": "partial", "5.34": "implemented",
}
#: (line, kind) of every note the file deserves.
SOA_40_ISSUES = {
    (22, "duplicate"),  # 6.03 repeats 6.3 with the same status
    (29, "conflict"),  # A.8.8 implemented vs A.12.6.1 (-> 8.8) partial
    (30, "edition-2013"),  # A.12.6.1
    (36, "unknown-id"),  # A.8.99
    (37, "unknown-id"),  # Z-1
    (38, "unknown-status"),  # Maybe
    (39, "edition-2013"),  # A.9.2.3 -> 8.2
    (39, "duplicate"),  # A.9.2.3 (-> 8.2) repeats 8.2, both implemented
    (41, "no-id"),
}


def successors_2013() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for row in CONTROLS:
        for old in split(row["iso27002_2013_predecessors"]):
            out[old].add(row["id"])
    return out


def framework_reference() -> tuple[dict[str, dict[str, list[str]]], dict[str, set[str]]]:
    """function -> category -> subcategories, and subcategory -> controls, of the TS 27103 references."""
    tree: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in read_reference("csf11-core.csv"):
        tree[row["function_id"]][row["category_id"]].append(row["subcategory_id"])
    refs = {row["subcategory_id"]: split(row["iso27002_2022_controls"])
            for row in read_reference("csf11-to-iso27002-2022.csv")}
    return tree, refs


def csf20_reference() -> tuple[dict[str, dict[str, list[str]]], dict[str, set[str]]]:
    tree: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in read_reference("csf20-core.csv"):
        tree[row["function_id"]][row["category_id"]].append(row["subcategory_id"])
    refs = {row["csf20_subcategory"]: {a.removeprefix("A.") for a in split(row["iso27001_2022_annex_a"])}
            for row in read_reference("csf20-to-iso27001-2022-nist.csv")}
    return tree, refs


def expected(tree, refs, soa: dict[str, str]) -> dict[str, dict[str, int]]:
    """Counts per category and function, and the total, as the issue defines them."""
    out: dict[str, dict[str, int]] = {}
    total = dict.fromkeys(("covered", "partial", "uncovered", "unmappable"), 0)
    for fn, cats in tree.items():
        fn_counts = dict.fromkeys(total, 0)
        for cat, subs in cats.items():
            counts = dict.fromkeys(total, 0)
            for sub in subs:
                controls = refs.get(sub, set())
                statuses = {soa[c] for c in controls if c in soa}
                if not controls:
                    state = "unmappable"
                elif "implemented" in statuses:
                    state = "covered"
                elif statuses & {"partial", "planned"}:
                    state = "partial"
                else:
                    state = "uncovered"
                counts[state] += 1
            out[cat] = counts
            for k in counts:
                fn_counts[k] += counts[k]
        out[fn] = fn_counts
        for k in fn_counts:
            total[k] += fn_counts[k]
    out["total"] = total
    return out


def actual(cov) -> dict[str, dict[str, int]]:
    out = {"total": dict(cov.total.counts)}
    for fn in cov.functions:
        out[fn.notation] = dict(fn.counts)
        for cat in cov.categories[fn.notation]:
            out[cat.notation] = dict(cat.counts)
    return out


FIXTURES = {
    "all-93": dict.fromkeys(ALL, "implemented"),
    "none": dict.fromkeys(ALL, "not-applicable"),
    "technological": {r["id"]: "implemented" for r in CONTROLS if r["theme"] == "Technological"},
    "soa-40": SOA_40,
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_coverage_numbers_match_the_reference(kg, name: str):
    soa = FIXTURES[name]
    report = analyse(kg, soa_from_controls(soa))
    assert actual(report.framework) == expected(*framework_reference(), soa)
    assert actual(report.csf20) == expected(*csf20_reference(), soa)


def test_headline_numbers_of_all_and_none(kg):
    everything = analyse(kg, soa_from_controls(FIXTURES["all-93"]))
    _tree, refs = framework_reference()
    mapped = {s for s, cs in refs.items() if cs}
    assert everything.framework.total.counts["covered"] == len(mapped) == 95
    assert everything.framework.total.counts["unmappable"] == 108 - 95
    assert everything.gaps == () and everything.cover == ()
    nothing = analyse(kg, soa_from_controls(FIXTURES["none"]))
    assert nothing.framework.total.counts["uncovered"] == 95
    assert {c for c, _ in nothing.cover} <= set(ALL)
    # the greedy cover closes every gap that can be closed
    closed = {g for _, gs in nothing.cover for g in gs}
    assert closed == mapped


def test_messy_soa_is_read_as_a_person_reads_it(kg):
    soa = read_input((DATA / "soa-40.csv").read_bytes(), "soa-40.csv", kg)
    assert {c: e.status for c, e in soa.entries.items()} == SOA_40
    assert {(i.line, i.kind) for i in soa.issues} == SOA_40_ISSUES
    # the 2013 ids go where ISO/IEC 27002:2022 Annex B sends them
    assert successors_2013()["12.6.1"] == {"8.8"} and successors_2013()["9.2.3"] == {"8.2"}
    assert soa.columns[0] == "Control ID"
    report = analyse(kg, soa)
    assert actual(report.framework) == expected(*framework_reference(), SOA_40)


def test_xlsx_and_profile_read_like_the_csv(kg):
    csv_soa = read_input((ROOT / "examples" / "soa.csv").read_bytes(), "soa.csv", kg)
    xlsx_soa = read_input((ROOT / "examples" / "soa.xlsx").read_bytes(), "soa.xlsx", kg)
    profile = read_input((ROOT / "examples" / "profile.ttl").read_bytes(), "profile.ttl", kg)
    statuses = {c: e.status for c, e in csv_soa.entries.items()}
    assert len(statuses) == 13
    assert {c: e.status for c, e in xlsx_soa.entries.items()} == statuses
    assert {c: e.status for c, e in profile.entries.items()} == statuses
    assert [i.kind for i in profile.issues] == ["target-tier"]


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("A.5.7", ("2022", "5.7")), ("5.7", ("2022", "5.7")), ("ISO 27002 5.7", ("2022", "5.7")),
     ("5.07", ("2022", "5.7")), ("ISO/IEC 27002:2022 8.28", ("2022", "8.28")), ("A.12.6.1", ("2013", "12.6.1")),
     ("a.8.1.", ("2022", "8.1")), ("Annex A 5.23", ("2022", "5.23")), ("Z-1", None), ("", None), ("5", None)],
)
def test_control_ids_in_spreadsheet_forms(raw: str, parsed):
    assert normalise_id(raw) == parsed


@pytest.mark.parametrize(
    ("body", "says"),
    [(b"", "the file is empty"), (b"\xef\xbb\xbf\r\n;;\r\n", "the file is empty"),
     (b"Name;Owner\nfoo;bar\n", "columns found are: 'Name', 'Owner'"),
     # an image sent as the SoA: binary with a bare carriage return (found by schemathesis)
     (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "no column holds control ids"),
     (b"PK\x03\x04not really a workbook", "not a readable XLSX workbook")],
)
def test_unusable_input_is_a_clear_error(kg, body: bytes, says: str):
    with pytest.raises(CoverageInputError, match=says):
        read_input(body, "soa.csv", kg)


def test_a_carriage_return_inside_a_quoted_cell_is_text(kg):
    soa = read_input(b'control;status;notes\r\n5.1;implemented;"first line\rsecond line"\r\n', "soa.csv", kg)
    assert soa.entries["5.1"].status == "implemented"


def test_profile_that_breaks_its_shape_is_refused(kg):
    with pytest.raises(CoverageInputError, match="does not conform"):
        read_input((Path(__file__).parent / "shapes" / "profile-xfail.ttl").read_bytes(), "p.ttl", kg)


def test_covered_cells_name_their_records(kg):
    report = analyse(kg, soa_from_controls({"5.9": "implemented"}))
    cell = next(c for c in report.framework.cells["ID.AM"] if c.element.notation == "ID.AM-1")
    assert cell.state == "covered"
    (why,) = cell.justifications
    assert why.control == "5.9" and why.mapping_set == "ts27103-iso27002-2022" and why.basis == "derived"
    assert why.record.endswith("/ts27103-iso27002-2022/ID.AM-1--5.9")
    assert why.derivation  # the derivation chain of a derived record


def test_combined_sets_flag_disagreement(kg):
    soa = soa_from_controls(dict.fromkeys(ALL, "implemented"))
    combined = analyse(kg, soa, ("ts27103", "via-csf20"))
    alone = analyse(kg, soa, ("ts27103",))
    assert combined.framework.total.counts["unmappable"] <= alone.framework.total.counts["unmappable"]
    for cells in combined.framework.cells.values():
        for cell in cells:
            assert cell.disagreement == (len(set(cell.per_set.values())) > 1)
    assert combined.disagreements  # some subcategories only one route maps


def test_unused_controls_and_concepts(kg):
    _tree, refs = framework_reference()
    referenced = set().union(*refs.values())
    report = analyse(kg, soa_from_controls(FIXTURES["all-93"]))
    assert set(report.unused) == set(ALL) - referenced
    by_concept = {c["function"]: c for c in report.concepts}
    for fn in ("ID", "PR", "DE", "RS", "RC"):
        members = [r["id"] for r in CONTROLS if fn in {
            {"Identify": "ID", "Protect": "PR", "Detect": "DE", "Respond": "RS", "Recover": "RC"}[v]
            for v in split(r["cybersecurity_concepts"])}]
        assert by_concept[fn]["controls"] == by_concept[fn]["implemented"] == len(members)


def test_greedy_cover_is_greedy():
    gaps = {"a": {"1", "2"}, "b": {"2"}, "c": {"2", "3"}, "d": {"4"}, "e": set()}
    assert greedy_cover(gaps) == [("2", ("a", "b", "c")), ("4", ("d",))]


statuses = st.sampled_from(["implemented", "partial", "planned", "not-applicable"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(soa=st.dictionaries(st.sampled_from(ALL), statuses, max_size=40), extra=st.sampled_from(ALL))
def test_adding_an_implemented_control_never_lowers_coverage(kg, soa: dict[str, str], extra: str):
    before = analyse(kg, soa_from_controls(soa))
    after = analyse(kg, soa_from_controls({**soa, extra: "implemented"}))
    for old, new in ((before.framework, after.framework), (before.csf20, after.csf20)):
        assert new.total.counts["covered"] >= old.total.counts["covered"]
        for fn_old, fn_new in zip(old.functions, new.functions, strict=True):
            assert fn_new.counts["covered"] >= fn_old.counts["covered"]
            assert fn_new.counts["uncovered"] <= fn_old.counts["uncovered"]
    assert len(after.gaps) <= len(before.gaps)


def test_renderings(kg):
    report = analyse(kg, read_input((ROOT / "examples" / "soa.csv").read_bytes(), "soa.csv", kg))
    data = json.loads(render(report, "json"))
    assert data["framework"]["total"]["covered"] == report.framework.total.counts["covered"]
    rows = render(report, "csv").splitlines()
    assert len(rows) == 1 + 108 + 106
    html = render(report, "html")
    assert "<script" not in html and "<style" not in html and "style=" not in html
    svg = heatmap_svg(report.framework)
    assert svg.count("<rect") == 23 and 'href="#gaps-ID.AM"' in svg
    text = render(report, "table")
    assert "Gaps (" in text and "greedy cover" in text


def invoke(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, ["coverage", *args], input=input)


def test_cli_formats_and_output_file(kg, tmp_path: Path):
    result = invoke(str(ROOT / "examples" / "soa.csv"))
    assert result.exit_code == 0, result.output
    assert "ISO/IEC TS 27103" in result.output and "! " in result.output
    out = tmp_path / "report.json"
    result = invoke(str(ROOT / "examples" / "soa.xlsx"), "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["soa"]["controls"] == 13
    result = invoke("-", "--format", "csv", input=b"control\n5.9\n")
    assert result.exit_code == 0 and "ID.AM-1,covered" in result.output.replace(",ID.AM,", ",")


def test_cli_bad_input_exits_2(tmp_path: Path):
    bad = tmp_path / "soa.csv"
    bad.write_bytes(b"Name,Owner\nx,y\n")
    result = invoke(str(bad))
    assert result.exit_code == 2 and "columns found are: 'Name', 'Owner'" in result.output
    assert invoke(str(tmp_path / "missing.csv")).exit_code == 2


def test_csv_with_commas_and_no_status_column(kg):
    soa = read_input(io.BytesIO(b"id,title\n5.1,x\n5.2,y\n").getvalue(), "s.csv", kg)
    assert {c: e.status for c, e in soa.entries.items()} == {"5.1": "implemented", "5.2": "implemented"}


def test_readme_worked_example_is_what_the_cli_prints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ cyberframe coverage examples/soa.csv", 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines()[1:] if line and line != "…"]
    result = invoke(str(ROOT / "examples" / "soa.csv"))
    assert result.exit_code == 0
    assert shown and shown == result.output.splitlines()[: len(shown)]


def test_an_xlsx_decompression_bomb_is_refused_unread():
    """40 MiB of zeros zip to about 40 KiB: the workbook is refused from its directory, before any XML is read."""
    import zipfile

    from cyberframe.coverage import XLSX_MAX_UNZIPPED, CoverageInputError, xlsx_rows

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 << 20))
    assert len(buffer.getvalue()) < 1 << 20
    with pytest.raises(CoverageInputError, match=f"over the limit of {XLSX_MAX_UNZIPPED}"):
        xlsx_rows(buffer.getvalue())
