"""w3id/.htaccess: every kind of cyberframe IRI redirects to a route of the service that answers it.

The test reads the RewriteCond/RewriteRule lines and applies them the way
Apache's mod_rewrite does in a per-directory context (Apache HTTP Server 2.4,
mod_rewrite: patterns match the path below ``cyberframe/``, conditions bind to
the rule that follows, ``E=`` sets a variable, ``R=303`` redirects, ``L``
stops). It then requests each target from the app (with the client's own
Accept, as a client following the redirect sends it) and checks 200 and the
media type asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT

HTACCESS = ROOT / "w3id" / ".htaccess"
BASE = "https://w3id.org/cyberframe/"
BASELINE = ROOT / "release" / "iri-baseline.txt"

ACCEPTS = {
    "text/html": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # a browser's
    "text/turtle": "text/turtle",
    "application/ld+json": "application/ld+json",
    "application/rdf+xml": "application/rdf+xml, application/xml;q=0.5",
}


@dataclass(frozen=True)
class Rule:
    conditions: tuple[tuple[str, str, frozenset[str]], ...]
    pattern: str
    substitution: str
    flags: tuple[str, ...]


def parse(path: Path) -> list[Rule]:
    rules: list[Rule] = []
    pending: list[tuple[str, str, frozenset[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words or words[0].startswith("#") or words[0] in ("Options", "RewriteEngine"):
            continue
        flags = words[3].strip("[]").split(",") if len(words) > 3 else []
        if words[0] == "RewriteCond":
            pending.append((words[1], words[2], frozenset(f.upper() for f in flags)))
        elif words[0] == "RewriteRule":
            rules.append(Rule(tuple(pending), words[1], words[2], tuple(flags)))
            pending = []
        else:
            raise AssertionError(f"unexpected directive in .htaccess: {line}")
    assert not pending, "a RewriteCond without its rule"
    return rules


def expand(text: str, env: dict[str, str], headers: dict[str, str], groups: tuple[str | None, ...]) -> str:
    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("ENV:"):
            return env.get(name[4:], "")
        assert name.startswith("HTTP_"), name
        return headers.get(name[5:].replace("_", "-").lower(), "")

    text = re.sub(r"%\{([^}]+)\}", variable, text)
    return re.sub(r"\$(\d)", lambda m: groups[int(m.group(1))] or "", text)


def rewrite(rules: list[Rule], path: str, accept: str) -> str | None:
    """The Location of the redirect the rules give *path* (below cyberframe/), or None."""
    env: dict[str, str] = {}
    headers = {"accept": accept}
    for rule in rules:
        match = re.search(rule.pattern, path)
        if match is None:
            continue
        groups = (match.group(0), *match.groups())
        ok = True
        for test, pattern, flags in rule.conditions:
            value = expand(test, env, headers, groups)
            negated = pattern.startswith("!")
            pattern = pattern.removeprefix("!")
            if pattern.startswith("="):
                ok = value == pattern[1:]
            else:
                ok = re.search(pattern, value, re.I if "NC" in flags else 0) is not None
            ok = ok != negated
            if not ok:
                break
        if not ok:
            continue
        for flag in rule.flags:
            if flag.startswith("E="):
                name, _, value = flag[2:].partition(":")
                env[name] = expand(value, env, headers, groups)
        if rule.substitution != "-":
            assert "R=303" in rule.flags and "L" in rule.flags, rule
            return expand(rule.substitution, env, headers, groups)
    return None


@pytest.fixture(scope="module")
def rules() -> list[Rule]:
    return parse(HTACCESS)


@pytest.fixture(scope="module")
def deployment(rules) -> str:
    (setting,) = [r for r in rules if any(f.startswith("E=CYBERFRAME:") for f in r.flags)]
    return next(f for f in setting.flags if f.startswith("E=CYBERFRAME:")).partition(":")[2]


@pytest.fixture(scope="module")
def client(kg):
    from cyberframe.service import create_app

    app = create_app({"access_log": False, "workers": 1}, knowledge_graph=kg)
    app.testing = True
    return app.test_client()


def samples() -> list[str]:
    """One IRI of every kind: each id/{kind}, each named graph, the ontology and its terms, shapes, VoID, context."""
    iris = [line for line in BASELINE.read_text(encoding="utf-8").splitlines() if line.startswith(BASE)]
    by_kind: dict[str, str] = {}
    for iri in iris:
        rest = iri[len(BASE) :]
        kind = "/".join(rest.split("/")[:2]) if rest.startswith(("id/", "graph/")) else rest.split("#")[0]
        by_kind.setdefault(kind, iri)
    kinds = {k for k in by_kind if k.startswith("id/")}
    assert len(kinds) >= 20, kinds
    extra = [BASE + "shapes#SubcategoryShape", BASE + "void#cyberframe", BASE + "context.jsonld", BASE]
    return sorted(by_kind.values()) + extra


@pytest.mark.slow
def test_every_iri_kind_resolves_in_every_format(rules, deployment, client):
    checked = 0
    for iri in samples():
        path = urlsplit(iri).path.removeprefix("/cyberframe/")  # the fragment never reaches the server
        for media, accept in ACCEPTS.items():
            location = rewrite(rules, path, accept)
            assert location is not None and location.startswith(deployment + "/"), (iri, location)
            target = location[len(deployment) :]
            answer = client.get(target, headers={"Accept": accept})
            assert answer.status_code == 200, (iri, media, target, answer.status_code)
            got = answer.mimetype
            if iri.endswith("context.jsonld"):
                expected = "application/ld+json"
            elif "/graph/" in iri or iri.endswith(("/skos-axioms", "/void#cyberframe")):
                expected = "text/turtle" if media == "text/html" else media  # RDF only
                if iri.endswith("#cyberframe"):
                    expected = "text/turtle"  # the VoID description is Turtle only
            elif iri == BASE:
                expected = media if media == "text/html" else "text/turtle"  # home page, else VoID
            else:
                expected = media
            assert got == expected, (iri, media, target, got)
            checked += 1
    assert checked >= 4 * 40


def test_the_deployment_is_set_in_one_place(rules, deployment):
    text = HTACCESS.read_text(encoding="utf-8")
    assert re.fullmatch(r"https://[a-z0-9.-]+(:\d+)?", deployment)
    assert text.count(deployment) == 1
    moved = parse_text(text.replace(deployment, "https://cf.test.invalid"))
    assert rewrite(moved, "id/function/DE", "text/turtle") == "https://cf.test.invalid/id/function/DE?format=turtle"


def test_the_committed_rules_are_the_export_for_the_canonical_deployment(deployment):
    """w3id/.htaccess is ``cyberframe export --format w3id`` (no --service-url: the canonical deployment)."""
    import cyberframe
    from cyberframe.exports.w3id import CANONICAL_DEPLOYMENT

    assert HTACCESS.read_bytes() == cyberframe.export("w3id")
    assert deployment == CANONICAL_DEPLOYMENT
    docs = (ROOT / "docs" / "releasing.md").read_text(encoding="utf-8")
    assert f"`{CANONICAL_DEPLOYMENT}`" in docs and "cyberframe export --format w3id --service-url" in docs


@pytest.mark.parametrize("url", ["https://kg.example.net", "https://kg.example.net:8443/", "http://10.0.0.7/cyberframe"])
def test_the_export_moves_every_rule_to_another_deployment(tmp_path, url):
    from click.testing import CliRunner

    from cyberframe.cli import main

    out = tmp_path / ".htaccess"
    done = CliRunner().invoke(main, ["export", "--format", "w3id", "--service-url", url, "-o", str(out), "-q"])
    assert done.exit_code == 0, done.output
    moved = parse(out)
    base = url.rstrip("/")
    committed = parse(HTACCESS)
    for iri in samples():
        path = urlsplit(iri).path.removeprefix("/cyberframe/")
        for accept in ACCEPTS.values():
            here, there = rewrite(committed, path, accept), rewrite(moved, path, accept)
            assert there is not None and there.startswith(base + "/"), (iri, there)
            assert there[len(base) :] == here[here.index("/", len("https://")) :]  # the same route on the new host


@pytest.mark.parametrize(
    "url",
    ["ftp://kg.example.net", "kg.example.net", "https://kg.example.net/?x=1", "https://kg.example.net/#top",
     "https://kg.example.net/a b", "https://kg.example.net/%{ENV:X}", "https://kg.example.net/]"],
)
def test_a_url_that_would_break_the_rules_is_refused(url):
    import cyberframe

    with pytest.raises(cyberframe.ExportError, match="--service-url for w3id"):
        cyberframe.export("w3id", service_url=url)


def parse_text(text: str) -> list[Rule]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".htaccess"
        path.write_text(text, encoding="utf-8")
        return parse(path)


def test_negotiation_order_and_unknown_paths(rules):
    assert rewrite(rules, "id/function/DE", "application/rdf+xml;q=0.5, text/turtle").endswith("?format=turtle")
    assert rewrite(rules, "id/function/DE", "*/*").endswith("?format=html")
    assert rewrite(rules, "ontology/0.1.0", "application/ld+json").endswith("/ontology?format=jsonld")
    assert rewrite(rules, "graph/framework", "text/html").endswith("/dump?graph=framework&format=turtle")
    assert rewrite(rules, "", "text/turtle").endswith("/.well-known/void")
    assert rewrite(rules, "", "text/html") == rewrite(rules, "id/x", "text/html").split("/id/")[0] + "/"
    assert rewrite(rules, "nothing/here", "text/html") is None  # w3id.org answers 404 itself
