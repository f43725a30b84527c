"""The settings table: one row per setting, CLI flag > environment > default for every one of them.

Checked through the real command line (``cyberframe serve --print-settings``),
through the app factory, and against ``cyberframe serve --help`` and
docs/settings.md, which must both say what the table says.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from conftest import ROOT
from cyberframe.cli import main
from cyberframe.settings import Row, Settings, SettingsError, explain, markdown_table, rows

ROWS = rows()
FLAGGED = [row for row in ROWS if row.flag]


def two_values(row: Row) -> tuple[object, object]:
    """Two valid values for *row*, both different from its default and from each other."""
    if row.kind is bool:
        return (not row.default, not row.default)
    if row.kind in (int, float):
        low = row.minimum if row.minimum is not None else 0
        candidates = [row.kind(low + step) for step in (2, 3, 5, 7)]
        first, second = [value for value in candidates if value != row.default][:2]
        assert row.maximum is None or second <= row.maximum
        return first, second
    if row.name in SHAPED:
        return SHAPED[row.name]
    return (f"env-{row.name}", f"flag-{row.name}")


#: Text settings whose value has a form of its own (a URL, host names).
SHAPED = {
    "public_url": ("https://env.example", "https://flag.example/prefix"),
    "trusted_hosts": ("env.example", "flag.example,.example.net"),
}


def as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flag_arguments(row: Row, value: object) -> list[str]:
    assert row.flag is not None
    if row.kind is bool:
        on, _, off = row.flag.partition("/")
        return [on if value else off]
    return [row.flag, as_text(value)]


def print_settings(args: list[str], env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """What ``cyberframe serve --print-settings`` reports: setting -> (value, origin)."""
    result = CliRunner().invoke(main, ["serve", "--print-settings", *args], env=env)
    assert result.exit_code == 0, result.output
    report = {}
    for line in result.output.splitlines():
        name, value, origin = re.split(r"\s{2,}", line.strip())
        report[name] = (value, origin)
    return report


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CYBERFRAME_* setting variable of the developer's shell leaks into a test."""
    for row in ROWS:
        monkeypatch.delenv(row.env, raising=False)


def test_every_setting_has_a_documented_row():
    assert len({row.env for row in ROWS}) == len(ROWS)
    assert len({row.flag for row in FLAGGED}) == len(FLAGGED)
    for row in ROWS:
        assert row.env.startswith("CYBERFRAME_") and row.meaning.endswith("."), row.name


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_precedence_in_the_resolver(row: Row):
    env_value, flag_value = two_values(row)
    environ = {row.env: as_text(env_value)}
    assert getattr(Settings.resolve({}, {}), row.name) == row.default
    assert getattr(Settings.resolve({}, environ), row.name) == env_value
    assert getattr(Settings.resolve({row.name: flag_value}, environ), row.name) == flag_value
    assert getattr(Settings.resolve({row.name: None}, environ), row.name) == env_value  # None: not given


@pytest.mark.parametrize("row", FLAGGED, ids=lambda r: r.name)
def test_precedence_on_the_command_line(row: Row, clean_env):
    env_value, flag_value = two_values(row)
    default = print_settings([], {})[row.name]
    assert default == (row.default_text, "default")
    from_env = print_settings([], {row.env: as_text(env_value)})[row.name]
    assert from_env == (row.text(env_value), row.env)
    from_flag = print_settings(flag_arguments(row, flag_value), {row.env: as_text(env_value)})[row.name]
    assert from_flag == (row.text(flag_value), "flag")


def test_the_environment_reaches_the_app(kg, clean_env, monkeypatch: pytest.MonkeyPatch):
    """``CYBERFRAME_SPARQL_TIMEOUT=2`` is the limit the running app applies (and reports on /health)."""
    from cyberframe.service import create_app

    monkeypatch.setenv("CYBERFRAME_SPARQL_TIMEOUT", "2")
    monkeypatch.setenv("CYBERFRAME_SPARQL_MAX_ROWS", "7")
    app = create_app({"access_log": False, "workers": 1, "max_rows": 9}, knowledge_graph=kg)
    health = app.test_client().get("/health").get_json()
    assert health["timeout_seconds"] == 2.0
    assert health["max_rows"] == 9  # the caller's value wins over the environment


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CYBERFRAME_SPARQL_TIMEOUT", "abc", "CYBERFRAME_SPARQL_TIMEOUT='abc': expected a number"),
        ("CYBERFRAME_SPARQL_TIMEOUT", "0", "timeout from CYBERFRAME_SPARQL_TIMEOUT: 0.0 is below the minimum 0.1"),
        ("CYBERFRAME_PORT", "70000", "port from CYBERFRAME_PORT: 70000 is above the maximum 65535"),
        ("CYBERFRAME_SPARQL_ISOLATE_NETWORK", "maybe", "CYBERFRAME_SPARQL_ISOLATE_NETWORK='maybe': expected one of"),
    ],
)
def test_a_bad_environment_value_is_a_usage_error(variable: str, value: str, message: str, clean_env):
    result = CliRunner().invoke(main, ["serve", "--print-settings"], env={variable: value})
    assert result.exit_code == 2
    assert message in result.output
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.resolve(environ={variable: value})


def test_a_bad_flag_value_is_a_usage_error(clean_env):
    result = CliRunner().invoke(main, ["serve", "--print-settings", "--timeout", "0"])
    assert result.exit_code == 2 and "--timeout" in result.output


def test_unknown_or_mistyped_values_from_a_caller_are_refused():
    with pytest.raises(SettingsError, match="unknown setting timeuot"):
        Settings.resolve({"timeuot": 2}, {})
    with pytest.raises(SettingsError, match="max_rows from the command line: expected int"):
        Settings.resolve({"max_rows": "many"}, {})
    with pytest.raises(SettingsError, match="threads from the command line: 1 is below the minimum 2"):
        Settings.resolve({"threads": 1}, {})
    with pytest.raises(SettingsError, match="port from the command line: expected int, got True"):
        Settings.resolve({"port": True}, {})


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused(value: str):
    with pytest.raises(SettingsError, match=r"CYBERFRAME_SPARQL_TIMEOUT: .* is not a finite number"):
        Settings.resolve(environ={"CYBERFRAME_SPARQL_TIMEOUT": value})


def test_unknown_and_renamed_variables_are_refused_not_ignored(clean_env):
    """A variable of an earlier release would otherwise be dropped silently and its default used."""
    result = CliRunner().invoke(
        main, ["serve", "--print-settings"], env={"CYBERFRAME_SPARQL_CACHE_BYTES": "1048576", "CYBERFRAME_TIMEOUT": "2"}
    )
    assert result.exit_code == 2
    assert "CYBERFRAME_SPARQL_CACHE_BYTES (now CYBERFRAME_SPARQL_CACHE_MB)" in result.output
    assert "CYBERFRAME_TIMEOUT" in result.output
    assert Settings.resolve(environ={"CYBERFRAME_CACHE_DIR": "/tmp/x"}).timeout == 10.0  # the snapshot folder is known


def test_derived_values():
    settings = Settings.resolve({"threads": 10}, {})
    assert settings.waiting_limit == 6 and settings.worker_count >= 1
    assert Settings.resolve({"threads": 2}, {}).waiting_limit == 1
    assert Settings.resolve({"public_base": "https://example.org/cf"}, {}).base == "https://example.org/cf/"


def test_serve_help_lists_every_flag_with_its_variable_and_default(clean_env):
    text = " ".join(CliRunner().invoke(main, ["serve", "--help"], terminal_width=10_000).output.split())
    positions = []
    for row in FLAGGED:
        assert row.flag is not None
        shown = row.flag.replace("/", " / ")  # click shows a boolean pair as --on / --off
        entry = re.search(re.escape(shown) + r" [^\[]*\[default: ([^;]*); env: (\w+)\]", text)
        assert entry, row.name
        assert entry.groups() == (row.default_text, row.env), row.name
        positions.append(entry.start())
    assert positions == sorted(positions), "the help lists the flags in the table's order"


def test_docs_show_the_table():
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    table = page.split("<!-- settings-table -->\n", 1)[1].split("<!-- /settings-table -->", 1)[0]
    assert table == markdown_table(), (
        "docs/settings.md is out of date; paste the output of "
        "python -c 'from cyberframe.settings import markdown_table; print(markdown_table(), end=\"\")'"
    )


def test_explain_names_every_origin():
    origins = {row.name: origin for row, _, origin in explain({"port": 9000}, {"CYBERFRAME_THREADS": "8"})}
    assert origins["port"] == "flag" and origins["threads"] == "CYBERFRAME_THREADS" and origins["host"] == "default"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("public_url", "sparql.example.org"),
        ("public_url", "ftp://sparql.example.org"),
        ("public_url", "https://"),
        ("public_url", "https://sparql.example.org/?x=1"),
        ("public_url", "https://user:pw@sparql.example.org"),
        ("trusted_hosts", "sparql.example.org:443"),
        ("trusted_hosts", "a.example,,b.example"),
        ("trusted_hosts", "https://a.example"),
    ],
)
def test_public_url_and_trusted_hosts_are_checked(name: str, text: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.resolve({name: text}, {})
    with pytest.raises(SettingsError, match=f"CYBERFRAME_{name.upper()}"):
        Settings.resolve(None, {f"CYBERFRAME_{name.upper()}": text})


def test_trusted_host_list() -> None:
    settings = Settings.resolve({"trusted_hosts": " Sparql.Example.org, .example.net "}, {})
    assert settings.trusted_host_list == ["sparql.example.org", ".example.net"]
    assert Settings.resolve({}, {}).trusted_host_list is None
