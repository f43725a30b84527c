"""``POST /coverage`` and the coverage page over real HTTP against ``cyberframe serve``."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest

from pages_support import BROWSER_ACCEPT, find, find_all, parse_html

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: examples/soa.csv through ts27103-iso27002-2022 (tests/test_coverage.py recomputes every figure from the reference)
HEADLINE = {"covered": 19, "partial": 10, "uncovered": 66, "unmappable": 13, "mappable": 95}


def _multipart(fields: list[tuple[str, str]], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(("name", "media"), [("soa.csv", "text/csv"), ("soa.xlsx", XLSX), ("profile.ttl", "text/turtle")])
def test_each_input_kind_gives_the_same_json_report(server, name: str, media: str):
    response = server.request("POST", "/coverage", (EXAMPLES / name).read_bytes(), {"Content-Type": media})
    assert response.status == 200, response.text
    assert response.header("Content-Type").startswith("application/json")
    total = response.json()["framework"]["total"]
    assert {k: total[k] for k in HEADLINE} == HEADLINE


def test_negotiated_csv_and_text(server):
    body = (EXAMPLES / "soa.csv").read_bytes()
    response = server.request("POST", "/coverage", body, {"Content-Type": "text/csv", "Accept": "text/csv"})
    assert response.status == 200 and response.header("Content-Type").startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 108 + 106
    assert sum(1 for r in rows if r["framework"] == "ts27103" and r["state"] == "covered") == HEADLINE["covered"]
    response = server.request("POST", "/coverage", body, {"Content-Type": "text/csv", "Accept": "text/plain"})
    assert response.status == 200 and "greedy cover" in response.text
    response = server.request("POST", "/coverage", body, {"Content-Type": "text/csv", "Accept": "image/png"})
    assert response.status == 406


def test_browser_form_gets_the_page_with_heatmap_and_downloads(server):
    data, content_type = _multipart([("sets", "ts27103"), ("sets", "via-csf20")],
                                    {"file": ("soa.xlsx", (EXAMPLES / "soa.xlsx").read_bytes())})
    response = server.request("POST", "/coverage", data, {"Content-Type": content_type, "Accept": BROWSER_ACCEPT})
    assert response.status == 200 and response.header("Content-Type").startswith("text/html")
    page = parse_html(response.text)
    svg = find(page, "svg", {"role": "img"})
    links = [a.attrs["href"] for a in find_all(svg, "a")]
    assert len(links) == 23 and "#gaps-ID.AM" in links
    for link in links:  # each cell leads to its gaps
        find(page, "h3", {"id": link.removeprefix("#")})
    downloads = {a.attrs["download"] for a in find_all(page, "a", {"download": None})}
    assert downloads == {"coverage.json", "coverage.csv", "coverage.html"}
    assert "<script>" not in response.text and " style=" not in response.text


def test_get_page_has_the_form(server):
    response = server.request("GET", "/coverage", headers={"Accept": BROWSER_ACCEPT})
    assert response.status == 200
    form = find(parse_html(response.text), "form", {"action": "/coverage"})
    assert find_all(form, "input", {"name": "file"}) and find_all(form, "textarea", {"name": "data"})


def test_download_is_an_attachment(server):
    body = (EXAMPLES / "soa.csv").read_bytes()
    response = server.request("POST", "/coverage?download=1", body, {"Content-Type": "text/csv", "Accept": "text/html"})
    assert response.status == 200
    assert response.header("Content-Disposition") == 'attachment; filename="coverage.html"'
    assert response.text.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("body", "media", "status", "says"),
    [
        (b"Name;Owner\nx;y\n", "text/csv", 400, "columns found are: 'Name', 'Owner'"),
        (b"", "text/csv", 400, "the file is empty"),
        (b"PK\x03\x04broken", XLSX, 400, "not a readable XLSX workbook"),
        (b"@prefix : <", "text/turtle", 400, "body.ttl:1"),
        (b"control\n5.1\n", "image/png", 415, "unsupported Content-Type"),
        (b"control\n" + b"5.1\n" * 300_000, "text/csv", 413, "large"),
    ],
)
def test_bad_input_is_refused_clearly(server, body: bytes, media: str, status: int, says: str):
    response = server.request("POST", "/coverage", body, {"Content-Type": media})
    assert response.status == status, response.text
    assert says in response.text


def test_openapi_lists_coverage(server):
    from openapi_spec_validator import validate

    document = server.get(path="/openapi.json").json()
    validate(document)
    assert "post" in document["paths"]["/coverage"]
