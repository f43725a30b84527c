"""``cyberframe validate`` with good, bad, malformed, hostile and oversized files."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import RDF, SH

from cyberframe.cli import main
from cyberframe.commands import validate as command
from cyberframe.rdfio import FORMATS, RdfInputError, parse_rdf, read_rdf_file
from cyberframe.validation import ENGINES, INFERENCE_MODES

SHAPES_DIR = Path(__file__).resolve().parent / "shapes"
GOOD = SHAPES_DIR / "mappings-pass.ttl"
BAD = SHAPES_DIR / "clauses-xfail.ttl"


def invoke(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, ["validate", *args], input=input)


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP listener on 127.0.0.1; the list collects whatever any client sends (it must stay empty)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(1)
                try:
                    received.append(connection.recv(65536) or b"<connected>")
                except OSError:
                    received.append(b"<connected>")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", received
    time.sleep(0.3)  # give a late connection the time to arrive before the verdict
    stop.set()
    thread.join(2)
    server.close()


# --- good and bad files ---------------------------------------------------------------------------


def test_no_files_validates_the_shipped_graph(kg):
    result = invoke()
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("Conforms: no violations, no warnings (shipped graph")


def test_good_file_exits_0():
    result = invoke(str(GOOD))
    assert result.exit_code == 0, result.output
    assert "1 file with the shipped graph" in result.stdout


def test_bad_file_exits_1_with_a_report_grouped_by_focus_node():
    result = invoke(str(BAD))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "cfid:clause/iso-iec-27001-2022/7.6 (7.6 Clause 7.6)" in lines
    heading = lines.index("cfid:clause/iso-iec-27001-2022/7.6 (7.6 Clause 7.6)")
    group = "\n".join(lines[heading + 1 : heading + 7])
    assert "Violation  skos:broader" in group and "[cfsh:ClauseShape-broader, sh:MaxCountConstraintComponent]" in group
    assert "A clause has at most one skos:broader concept, its parent cf:Clause." in group
    # a SPARQL result's message names IRIs with prefixes, and its value with its label
    assert "value cfid:clause/iso-iec-27001-2022/8.2 (8.2 " in result.stdout
    assert lines[-1].startswith("Does not conform: 10 violations, 0 warnings, 0 infos on 5 focus nodes (1 file")


def test_json_is_a_flat_list_of_results():
    result = invoke(str(BAD), "--format", "json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and len(rows) == 10
    assert set(rows[0]) == {"severity", "focus", "focus_label", "path", "value", "message", "shape", "constraint"}
    eleven = [r for r in rows if r["focus"].endswith("/clause/iso-iec-27001-2022/11")]
    assert {r["shape"].rsplit("#", 1)[1] for r in eleven} == {"EnglishDefinitionShape", "Iso27001-2022ClauseShape-notation"}
    assert {"type": "literal", "value": "11"} in [r["value"] for r in eleven]


def test_turtle_is_the_standard_report():
    result = invoke(str(BAD), "--format", "turtle")
    assert result.exit_code == 1
    report = Graph().parse(data=result.stdout, format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert str(report.value(node, SH.conforms)) == "false"
    assert len(list(report.objects(node, SH.result))) == 10


def test_fail_on_and_custom_shapes(tmp_path):
    shapes = tmp_path / "warn.ttl"
    shapes.write_text("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        <https://example.org/AltLabels> a sh:NodeShape ;
            sh:targetNode <https://w3id.org/cyberframe/id/clause/iso-iec-27001-2022/9.3.3> ;
            sh:property [ sh:path skos:altLabel ; sh:maxCount 0 ; sh:severity sh:Warning ;
                          sh:message "No alternative labels, please." ] .
    """)
    data = SHAPES_DIR / "clauses-pass.ttl"
    relaxed = invoke(str(data), "--shapes", str(shapes))
    assert relaxed.exit_code == 0, relaxed.output
    assert "Does not conform: 0 violations, 1 warning, 0 infos on 1 focus node" in relaxed.stdout
    strict = invoke(str(data), "--shapes", str(shapes), "--fail-on", "warning")
    assert strict.exit_code == 1


@pytest.mark.slow  # an RDFS closure of the shipped graph: ~4 s
def test_inference_option(tmp_path):
    result = invoke(str(SHAPES_DIR / "regimes.ttl"), "--inference", "rdfs", "--format", "json")
    assert result.exit_code == 1
    assert {r["shape"].rsplit("#", 1)[1] for r in json.loads(result.stdout)} == {
        "SubcategoryShape-broader", "ConsistencyShape"}


def test_standard_input_needs_a_format():
    data = GOOD.read_bytes()
    assert invoke("-", input=data).exit_code == 2
    result = invoke("-", "--format-in", "turtle", input=data)
    assert result.exit_code == 0, result.output


# --- bad input: exit 2 with file, line and reason -------------------------------------------------

MALFORMED = {
    "broken.ttl": (b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e \"open .\n", 3),
    "broken.nt": (b"<http://a.example/s> <http://a.example/p> <http://a.example/o> .\n<http://a.example/s> <http://a.example/p> .\n", 2),
    "broken.jsonld": (b'{\n  "@id": "http://a.example/s",\n  "http://a.example/p": [\n', 4),
    "broken.rdf": (b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
                   b'  <rdf:Description rdf:about="http://a.example/s">\n</rdf:RDF>\n', 4),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_exits_2_with_file_and_line(tmp_path, name):
    data, line = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(data)
    result = invoke(str(path))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith(f"error: {path}:{line}:"), message
    assert len(message.split(": ", 2)[-1]) > 5  # the parser's reason follows the position


def test_unknown_extension_and_explicit_format(tmp_path):
    path = tmp_path / "data.txt"
    shutil.copy(GOOD, path)
    refused = invoke(str(path))
    assert refused.exit_code == 2 and "cannot tell the RDF format" in refused.stderr
    assert invoke(str(path), "--format-in", "turtle").exit_code == 0


def test_missing_file_exits_2(tmp_path):
    result = invoke(str(tmp_path / "absent.ttl"))
    assert result.exit_code == 2 and "absent.ttl" in result.stderr


def test_oversize_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.ttl"
    path.write_bytes(b"# padding\n" * 200)
    result = invoke(str(path), "--max-size", "1K")
    assert result.exit_code == 2
    assert "2000 bytes is more than the limit of 1024 bytes" in result.stderr
    assert invoke(str(path), "--max-size", "lots").exit_code == 2


def test_usage_errors_exit_2():
    assert invoke("--inference", "owl").exit_code == 2
    assert invoke("--format", "xml").exit_code == 2


# --- hostile input --------------------------------------------------------------------------------


def test_xxe_is_refused_without_fetching(tmp_path, listener):
    url, received = listener
    path = tmp_path / "xxe.rdf"
    path.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY remote SYSTEM "{url}/secret">
  <!ENTITY local SYSTEM "file:///etc/passwd">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/s"><ex:p>&remote;&local;</ex:p></rdf:Description>
</rdf:RDF>
""")
    result = invoke(str(path))
    assert result.exit_code == 2
    assert "document type declaration or entities is refused" in result.stderr
    assert "root:" not in result.output
    assert received == []


def test_billion_laughs_is_refused_without_expansion(tmp_path):
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    path = tmp_path / "laughs.rdf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
                    '<rdf:Description rdf:about="http://example.org/s"><ex:p>&lol9;</ex:p></rdf:Description></rdf:RDF>\n')
    started = time.perf_counter()
    with pytest.raises(RdfInputError) as caught:
        read_rdf_file(path)
    assert caught.value.kind == "forbidden"
    assert time.perf_counter() - started < 1.0
    assert invoke(str(path)).exit_code == 2


@pytest.mark.parametrize("context", ["remote", "list", "import", "scoped"])
def test_jsonld_remote_context_is_refused_without_any_connection(tmp_path, listener, context):
    url, received = listener
    remote = f"{url}/context.jsonld"
    contexts = {
        "remote": remote,
        "list": [{"ex": "http://example.org/"}, remote],
        "import": {"@import": remote},
        "scoped": {"ex": "http://example.org/", "ex:p": {"@id": "ex:p", "@context": remote}},
    }
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps({"@context": contexts[context], "@id": "http://example.org/s", "ex:p": {"name": "x"}}))
    result = invoke(str(path))
    assert result.exit_code == 2, result.output
    assert "remote context" in result.stderr and remote in result.stderr
    assert received == []


def test_inline_jsonld_context_is_accepted(tmp_path):
    path = tmp_path / "inline.jsonld"
    path.write_text(json.dumps({
        "@context": {"skos": "http://www.w3.org/2004/02/skos/core#"},
        "@id": "https://w3id.org/cyberframe/id/clause/iso-iec-27001-2022/9.3.3",
        "skos:altLabel": {"@value": "Review results", "@language": "en"},
    }))
    result = invoke(str(path))
    assert result.exit_code == 0, result.output


def test_parse_rdf_for_the_http_route():
    """Bytes in memory (a request body) go through the same screening, with an HTTP status."""
    with pytest.raises(RdfInputError) as too_big:
        parse_rdf(b"<a> <b> <c> .", format="application/n-triples", max_bytes=4)
    assert too_big.value.status == 413
    with pytest.raises(RdfInputError) as unknown:
        parse_rdf(b"", format="text/csv")
    assert unknown.value.status == 415
    with pytest.raises(RdfInputError) as bad:
        parse_rdf(b"<http://a.example/s> <http://a.example/p> .", format="nt", source="body")
    assert bad.value.status == 400 and str(bad.value).startswith("body:1:")
    document = parse_rdf(b"<http://a.example/s> <http://a.example/p> <http://a.example/o> .", format="nt")
    assert len(document) == 1 and document.format == "ntriples"


def test_option_lists_match_the_library():
    assert set(command.INPUT_FORMATS) == set(FORMATS)
    assert command.INFERENCE_MODES == INFERENCE_MODES
    assert command.ENGINES == ENGINES


# --- the real command ------------------------------------------------------------------------------


@pytest.mark.slow
def test_real_subprocess(tmp_path):
    """The installed console script, as a user runs it: a bad file gives exit 1 and JSON on stdout."""
    script = Path(sys.executable).with_name("cyberframe")
    args = [str(script)] if script.exists() else [sys.executable, "-c", "from cyberframe.cli import main; main()"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([*args, "validate", str(BAD), "--format", "json"], capture_output=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert len(json.loads(done.stdout)) == 10
    done = subprocess.run([*args, "validate", str(tmp_path / "absent.nt")], capture_output=True, env=env, timeout=120)
    assert done.returncode == 2 and b"absent.nt" in done.stderr


def test_unusable_shapes_exit_2(tmp_path):
    shapes = tmp_path / "broken-shapes.ttl"
    shapes.write_text("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        <https://example.org/S> a sh:NodeShape ; sh:targetNode <https://example.org/x> ;
            sh:property [ sh:path "not a path" ; sh:minCount 1 ] .
    """)
    result = invoke("--shapes", str(shapes))
    assert result.exit_code == 2
    assert "the shapes graph is not usable" in result.stderr


def test_deeply_nested_jsonld_is_bad_input_not_a_crash(tmp_path):
    path = tmp_path / "deep.jsonld"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = invoke(str(path))
    assert result.exit_code == 2
    assert "nested too deeply" in result.stderr
