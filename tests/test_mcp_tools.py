"""The MCP server in-process (fast lane): tool schemas from the catalogue, output caps, argument errors.

The SDK's own client talks to the server over its in-memory transport; no
query reaches a worker here (tests/test_mcp.py runs ``cyberframe mcp`` over
stdio and compares the answers with the HTTP routes').
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client

from cyberframe.mcp.server import Backend, build_server, open_backend
from cyberframe.mcp.tools import dumps, fit, plain
from cyberframe.named_queries import PARAMETER_TYPES, load_catalogue
from cyberframe.settings import Settings


@pytest.fixture(scope="module")
def backend(kg) -> Iterator[Backend]:
    opened = open_backend(Settings.resolve(), knowledge_graph=kg, max_output_bytes=4096)
    yield opened
    opened.close()


def session(backend: Backend, steps) -> Any:
    """Run *steps(client)* in one in-memory session of the SDK's client."""

    async def run() -> Any:
        async with Client(build_server(backend), mode="legacy") as client:
            return await steps(client)

    return anyio.run(run)


def test_every_parameter_type_becomes_a_schema_with_its_values(backend):
    catalogue = backend.toolbox.catalogue
    specs = {spec.name: spec for spec in backend.toolbox.specs()}
    seen = set()
    for query in load_catalogue().values():
        properties = specs[query.name].input_schema["properties"]
        for param in query.params:
            seen.add(param.type)
            schema = properties[param.name]
            if param.kind.values is None:
                assert schema["pattern"] == param.kind.pattern.pattern and "enum" not in schema
            else:
                assert sorted(schema["enum"]) == sorted(catalogue.allowed_values(param.type).values())
    assert seen == set(PARAMETER_TYPES)
    concepts = specs["controls-by-attributes"].input_schema["properties"]["concept"]["enum"]
    assert sorted(concepts) == ["Detect", "Identify", "Protect", "Recover", "Respond"]


def test_fit_cuts_to_the_byte_limit_and_says_so():
    rows = [{"n": i, "text": "é" * 50} for i in range(200)]
    payload = {"rows": rows, "count": 200, "truncated": False}
    cut = fit(payload, "rows", 2000)
    assert len(dumps(cut).encode()) <= 2000 and cut["truncated"] is True
    shown = len(cut["rows"])
    assert cut["rows"] == rows[:shown] and f"{shown} of 200 rows shown (output limit 2000 bytes)" in cut["note"]
    one_more = {**cut, "rows": rows[: shown + 1]}
    assert len(dumps(one_more).encode()) > 2000  # the largest prefix that fits
    assert fit(payload, "rows", 100_000) is payload


def test_terms_become_json_values():
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert plain({"type": "literal", "value": "42", "datatype": xsd + "integer"}) == 42
    assert plain({"type": "literal", "value": "0.5", "datatype": xsd + "decimal"}) == 0.5
    assert plain({"type": "literal", "value": "true", "datatype": xsd + "boolean"}) is True
    assert plain({"type": "literal", "value": "x", "xml:lang": "en"}) == "x"
    assert plain({"type": "bnode", "value": "b0"}) == "_:b0"
    assert plain({"type": "uri", "value": "https://w3id.org/cyberframe/id/function/DE"}).endswith("/DE")


def test_bad_arguments_are_tool_errors_naming_the_allowed_values(backend):
    async def steps(client: Client) -> list[Any]:
        return [
            await client.call_tool("function-structure", {"function": "GV"}),
            await client.call_tool("controls-by-attributes", {"concept": "Govern"}),
            await client.call_tool("csf11-to-csf20", {"subcategory": "DE.CM-99"}),
            await client.call_tool("search", {"text": "x"}),
        ]

    function, concept, subcategory, text = session(backend, steps)
    assert all(r.is_error for r in (function, concept, subcategory, text))
    assert "must be one of: DE, ID, PR, RC, RS; got 'GV'" in function.content[0].text
    assert "must be one of: Detect, Identify, Protect, Recover, Respond" in concept.content[0].text
    assert "takes one of: ID.AM-1, ID.AM-2" in subcategory.content[0].text
    assert "expects text of 2 to 100 characters" in text.content[0].text


def test_describe_is_capped_with_a_marker(backend):
    """The standard ISO/IEC 27002:2022 takes part in more mapping records than 4 KiB of JSON holds."""

    async def steps(client: Client) -> Any:
        return await client.call_tool("describe", {"entity": "https://w3id.org/cyberframe/id/standard/iso-iec-27002-2022"})

    result = session(backend, steps)
    payload = json.loads(result.content[0].text)
    assert len(result.content[0].text.encode()) <= 4096
    assert payload["truncated"] is True and len(payload["mappings"]) < payload["mapping_count"]
    assert "mapping records shown (output limit 4096 bytes)" in payload["note"]


def test_validate_counts_every_result_but_lists_a_bounded_report(backend):
    """1005 misspelt control IRIs: 1005 violations counted, at most 1000 results listed, the cut marked."""
    lines = ["PREFIX ctl: <https://w3id.org/cyberframe/id/control/iso-iec-27002-2022/>"]
    lines += [f"<https://example.org/soa> <https://example.org/implements> ctl:9.{n} ." for n in range(1005)]
    payload = backend.toolbox.call("validate", {"turtle": "\n".join(lines)})
    assert payload["conforms"] is False and payload["violations"] == 1005 and payload["submitted_triples"] == 1005
    listed = [r for group in payload["focus_nodes"] for r in group["results"]]
    assert 0 < len(listed) <= 1000 and payload["truncated"] is True
    assert {r["shape"] for r in listed} == {"https://w3id.org/cyberframe/shapes#IdentifierShape-type"}
    assert "focus nodes shown (output limit 4096 bytes)" in payload["note"]


def test_command_refuses_bad_limits_before_opening_anything():
    from click.testing import CliRunner

    from cyberframe.cli import main

    result = CliRunner().invoke(main, ["mcp", "--timeout", "0"])
    assert result.exit_code == 2 and "below the minimum 0.1" in result.output
    result = CliRunner().invoke(main, ["mcp", "--max-output-bytes", "10"])
    assert result.exit_code == 2 and "10 is not in the range x>=1024" in result.output
