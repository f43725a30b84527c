"""The public API stays put: every name of ``cyberframe.__all__`` with its signature, against tests/api-signatures.txt.

A public name that disappears or changes signature fails here. If the change
is meant, it needs a CHANGELOG entry (and, for a removal, a deprecation
first: docs/python-api.md, "Stability"); then regenerate the list with
``python tests/test_api_stability.py > tests/api-signatures.txt``.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

import cyberframe

LISTING = Path(__file__).with_name("api-signatures.txt")


def describe(name: str) -> list[str]:
    """One line per callable: ``name(signature)``; for a class, its constructor and public methods."""
    value = getattr(cyberframe, name)
    if name == "__version__":
        return ["__version__: str"]
    if inspect.isclass(value):
        bases = ", ".join(b.__name__ for b in value.__bases__)
        lines = [f"class {name}({bases})"]
        if dataclasses.is_dataclass(value):
            lines.append(f"{name}{inspect.signature(value)}")
        for attr, member in sorted(vars(value).items()):
            if attr.startswith("_") or (dataclasses.is_dataclass(value) and attr in value.__dataclass_fields__):
                continue
            if inspect.isfunction(member):
                lines.append(f"{name}.{attr}{inspect.signature(member)}")
            elif isinstance(member, property):
                lines.append(f"{name}.{attr}: property")
        return lines
    return [f"{name}{inspect.signature(value)}"]


def current() -> list[str]:
    return [line for name in sorted(cyberframe.__all__) for line in describe(name)]


def test_every_public_name_keeps_its_signature():
    recorded = LISTING.read_text(encoding="utf-8").splitlines()
    now = current()
    gone = [line for line in recorded if line not in now]
    assert not gone, "public API removed or changed (regenerate tests/api-signatures.txt only if meant):\n" + "\n".join(
        gone
    )
    new = [line for line in now if line not in recorded]
    assert not new, "public API added but not recorded in tests/api-signatures.txt:\n" + "\n".join(new)


def test_all_names_resolve_and_are_documented():
    text = (Path(__file__).resolve().parents[1] / "docs" / "python-api.md").read_text(encoding="utf-8")
    for name in cyberframe.__all__:
        assert getattr(cyberframe, name) is not None
        assert f"`{name}" in text or name == "__version__", f"{name} is not in docs/python-api.md"
    assert sorted(cyberframe.__all__) == sorted({*cyberframe._PUBLIC, "__version__"})


USER_SCRIPT = """
import cyberframe
import cyberframe.sparql.admission  # the engine's subpackage: cyberframe.sparql stays the function for mypy

result: cyberframe.Result = cyberframe.query("function-structure", function="DE")
codes: list[str] = [str(row["subcategory"]) for row in result]
csv_text: bytes = result.serialize("csv")
outcome: cyberframe.ValidationOutcome = cyberframe.validate(None, inference="rdfs")
body: bytes = cyberframe.export("ttl")
answer = cyberframe.sparql("ASK {}")
flag: bool | None = answer.boolean
label: str | None = cyberframe.describe("DE.CM-1").label
report: cyberframe.CoverageReport = cyberframe.coverage([["control", "status"], ["8.16", "implemented"]])
table: str = report.render("table")
try:
    cyberframe.coverage(b"")
except cyberframe.CoverageInputError as exc:
    print(exc)
"""


@pytest.mark.slow
def test_a_users_script_type_checks(tmp_path, monkeypatch):
    """py.typed ships and the public names carry types: mypy --strict accepts a typical script, and rejects a bad call."""
    from mypy import api

    service = Path(cyberframe.__file__).resolve().parents[1]
    assert (service / "cyberframe" / "py.typed").exists()
    monkeypatch.setenv("MYPYPATH", str(service))  # this checkout, whichever cyberframe is installed
    script = tmp_path / "user.py"
    script.write_text(USER_SCRIPT, encoding="utf-8")
    flags = ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), "--follow-imports=silent"]
    out, err, status = api.run([*flags, str(script)])
    assert status == 0, out + err
    for wrong in ("cyberframe.export(format=3)", "cyberframe.sparql(3)", "cyberframe.coverage(3)"):
        script.write_text(USER_SCRIPT + wrong + "\n", encoding="utf-8")
        out, _, status = api.run([*flags, str(script)])
        assert status == 1 and "incompatible type" in out, (wrong, out)


if __name__ == "__main__":
    print("\n".join(current()))
