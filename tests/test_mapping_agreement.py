"""The mapping-agreement report (queries/mapping-agreement.rq), checked against a recomputation from the
vetted reference CSVs: the framework's derivation through ISO/IEC 27002:2013 predecessors
(csf11-to-iso27002-2022.csv), NIST's transition and cross-references (csf11-to-csf20.csv) and NIST's
CSF 2.0 references to ISO/IEC 27001:2022 (csf20-to-iso27001-2022-nist.csv)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pytest

from conftest import split

SEP = "; "


@dataclass(frozen=True)
class Expected:
    ts27103: frozenset[str]
    via_csf20: frozenset[str]
    cross_reference: frozenset[str]


def recompute(reference) -> dict[str, Expected]:
    """Each subcategory's targets by route; controls by number, clauses as ``clause N``."""
    clauses = {r["id"] for r in reference("iso27001-2022-clauses.csv")}
    nist: dict[str, set[str]] = {}
    for row in reference("csf20-to-iso27001-2022-nist.csv"):
        targets = {c.removeprefix("A.") for c in split(row["iso27001_2022_annex_a"])}
        targets |= {
            f"clause {n}" for n in (c.split("(", 1)[0] for c in split(row["iso27001_2022_clauses"])) if n in clauses
        }
        nist[row["csf20_subcategory"]] = targets
    ts = {
        r["subcategory_id"]: split(r["iso27002_2022_controls"])
        | {f"clause {c}" for c in split(r["iso27001_2022_clauses"])}
        for r in reference("csf11-to-iso27002-2022.csv")
    }

    def reached(elements: set[str]) -> frozenset[str]:
        return frozenset().union(*(nist.get(e, set()) for e in elements))

    return {
        r["subcategory_11"]: Expected(
            frozenset(ts[r["subcategory_11"]]),
            reached(split(r["subcategory_20"])),
            reached(split(r["csf20_elements_citing_11"])),
        )
        for r in reference("csf11-to-csf20.csv")
    }


@pytest.fixture(scope="module")
def report(kg):
    from cyberframe.named_queries import QueryCatalogue

    solutions = QueryCatalogue(kg).select("mapping-agreement")
    names = [v.value for v in solutions.variables]
    rows = [{n: (row[n].value if row[n] is not None else None) for n in names} for row in solutions]
    return {row["subcategory"]: row for row in rows}


def cells(value: str | None) -> set[str]:
    return set(value.split(SEP)) if value else set()


def test_every_subcategory_is_compared_exactly(report, reference):
    want = recompute(reference)
    assert set(report) == set(want) and len(report) == 108
    for code, exp in want.items():
        row = report[code]
        assert cells(row["ts27103"]) == exp.ts27103, code
        assert cells(row["viaCsf20"]) == exp.via_csf20, code
        assert cells(row["nistCrossReference"]) == exp.cross_reference, code
        both, either = exp.ts27103 & exp.via_csf20, exp.ts27103 | exp.via_csf20
        assert (int(row["overlap"]), int(row["union"])) == (len(both), len(either)), code
        if either:
            jaccard = (Decimal(len(both)) / Decimal(len(either))).quantize(Decimal("0.001"), ROUND_HALF_UP)
            assert Decimal(row["jaccard"]) == jaccard, code
        else:
            assert row["jaccard"] is None, code
        assert cells(row["onlyTs27103"]) == exp.ts27103 - exp.via_csf20, code
        assert cells(row["onlyViaCsf20"]) == exp.via_csf20 - exp.ts27103, code
        assert cells(row["nistViewsDiffer"]) == exp.via_csf20 ^ exp.cross_reference, code


def test_headline_numbers(report, reference):
    """The figures docs/mapping-agreement.md quotes, recomputed from the reference."""
    want = recompute(reference)
    compared = {c: e for c, e in want.items() if e.ts27103 | e.via_csf20}
    jaccards = [len(e.ts27103 & e.via_csf20) / len(e.ts27103 | e.via_csf20) for e in compared.values()]
    disagreements = sum(len(e.ts27103 ^ e.via_csf20) for e in want.values())
    assert (len(compared), round(sum(jaccards) / len(jaccards), 3), disagreements) == (108, 0.268, 477)
    assert sum(1 for e in compared.values() if e.ts27103 == e.via_csf20) == 6
    assert sum(1 for e in compared.values() if not e.ts27103 & e.via_csf20) == 34
    # NIST's two views reach different targets for three subcategories only (ID.GV-4's two CSF 2.0
    # elements, GV.RM-04 and GV.RM-03, carry the same references)
    assert {c: e.via_csf20 ^ e.cross_reference for c, e in want.items() if e.via_csf20 != e.cross_reference} == {
        "DE.AE-3": {"5.7"},
        "RS.AN-3": {"5.28"},
        "RC.CO-2": {"clause 7.4"},
    }
    report_compared = [r for r in report.values() if r["jaccard"] is not None]
    assert len(report_compared) == len(compared)


# --- the page ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(kg):
    from cyberframe.service import create_app

    app = create_app({"access_log": False, "workers": 1}, knowledge_graph=kg)
    app.testing = True
    return app.test_client()


def html(client, path: str):
    from pages_support import BROWSER_ACCEPT, parse_html

    response = client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200 and response.mimetype == "text/html", path
    return parse_html(response.get_data(as_text=True))


def test_the_page_lists_every_subcategory_and_every_disagreement(client, reference):
    from pages_support import find, find_all

    want = recompute(reference)
    doc = html(client, "/agreement")
    rows = find_all(find(doc, "tbody"), "tr")
    assert [r.attrs["data-subcategory"] for r in rows] == sorted(want, key=notation_key_of)
    for row in rows:
        exp = want[row.attrs["data-subcategory"]]
        cols = [c.text for c in find_all(row, "td")]
        assert cells(cols[5].replace(", ", SEP)) == exp.ts27103 - exp.via_csf20
        assert cells(cols[6].replace(", ", SEP)) == exp.via_csf20 - exp.ts27103
    figures = find(doc, "ul", {"class": "figures"}).text
    assert "108 of 108 subcategories" in figures and "477 targets reached by one route only" in figures
    assert "mean Jaccard index 0.268" in figures


def notation_key_of(code: str):
    from cyberframe.ordering import notation_key

    return notation_key(code)


@pytest.mark.parametrize(("control", "unreached"), [("8.10", True), ("5.23", True), ("8.16", False), ("5.35", False)])
def test_control_pages_say_when_no_published_route_reaches_them(client, control, unreached):
    from pages_support import find_all

    doc = html(client, f"/id/control/iso-iec-27002-2022/{control}")
    assert bool(find_all(doc, "section", {"class": "unreached"})) is unreached


def test_the_page_names_the_new_controls_no_route_reaches(client):
    from pages_support import find_all

    doc = html(client, "/agreement")
    paragraph = next(p for p in find_all(doc, "p") if p.text.startswith("Controls new in 2022 reached by neither"))
    assert [a.text for a in find_all(paragraph, "a")] == ["5.23", "5.30", "8.10", "8.11", "8.12", "8.23"]
