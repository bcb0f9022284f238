"""docs/ says what the program does: its tables are the code's tables, its examples are runs.

The function table of docs/grammar.md is the registry (names, arities, aliases), its error
table is what the parser says; every example in docs/ whose command is shown is run here
in-process and must print what the page shows (numbers to 1e-6 relative, since finite
differences may differ in the last digits from one libm to another).
"""

from __future__ import annotations

import json
import math
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diffcli import verify
from diffcli.cli.app import COMMANDS, app
from diffcli.cli.errors import ExitStatus
from diffcli.expr import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, ExprError, parse
from diffcli.expr.tree import CONSTANTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GRAMMAR = (DOCS / "grammar.md").read_text(encoding="utf-8")
JSON_DOC = (DOCS / "json.md").read_text(encoding="utf-8")
EXIT_CODES = (DOCS / "exit-codes.md").read_text(encoding="utf-8")

CELL_SPLIT = re.compile(r"(?<!\\)\|")
CODE = re.compile(r"`([^`]+)`")


def table(text: str, heading: str) -> list[list[str]]:
    """The cells of the first table from `heading` on, without its header and rule rows."""
    rows: list[list[str]] = []
    for line in text[text.index(heading):].splitlines():
        if line.startswith("|"):
            rows.append([cell.strip().replace("\\|", "|") for cell in CELL_SPLIT.split(line)[1:-1]])
        elif rows:
            break
    return rows[2:]


def documented_functions() -> dict[str, list[str]]:
    """name -> its row of the function table."""
    return {CODE.findall(row[0])[0]: row for row in table(GRAMMAR, "## Functions")}


def arity_text(name: str) -> str:
    spec = FUNCTIONS[name]
    return str(spec.min_args) if spec.min_args == spec.max_args else (
        f"{spec.min_args} or {spec.max_args}")


def test_every_registry_function_is_documented_with_its_arity_and_aliases():
    rows = documented_functions()
    for spec in {spec.name: spec for spec in FUNCTIONS.values()}.values():
        assert spec.name in rows, f"docs/grammar.md has no row for {spec.name}"
        row = rows[spec.name]
        assert row[1] == arity_text(spec.name), spec.name
        assert sorted(CODE.findall(row[2])) == sorted(spec.aliases), spec.name


def test_every_documented_function_exists():
    for name in documented_functions():
        assert name in FUNCTIONS and FUNCTIONS[name].name == name, name


def test_constants_and_limits_are_documented_with_their_values():
    rows = table(GRAMMAR, "## Constants")
    assert {CODE.findall(row[0])[0]: row[1].split()[0] for row in rows} == {
        name: repr(value) for name, value in CONSTANTS.items()}
    limits = " ".join(" ".join(row) for row in table(GRAMMAR, "## Limits"))
    assert f"{MAX_LENGTH:,} characters" in limits
    assert f"{MAX_DEPTH:,} levels" in limits


def error_cases() -> list[tuple[str, str]]:
    """(text, documented message) from the table of rejected texts: the texts and the
    messages of a row pair up in order, or a single message belongs to the first text."""
    cases = []
    for row in table(GRAMMAR, "Everything outside this grammar is rejected"):
        texts, messages = CODE.findall(row[0]), CODE.findall(row[1])
        pairs = zip(texts, messages) if len(texts) == len(messages) else [(texts[0], messages[0])]
        cases += pairs
    return cases


@pytest.mark.parametrize(("text", "message"), error_cases())
def test_rejected_text_gets_the_documented_message(text, message):
    with pytest.raises(ExprError) as caught:
        parse(text)
    if message.endswith(" ..."):
        assert caught.value.message.startswith(message[: -len(" ...")])
    else:
        assert caught.value.message == message


def test_exit_statuses_are_the_ones_the_cli_uses():
    documented = {int(row[0]) for row in table(EXIT_CODES, "# Exit status")}
    assert documented == {status.value for status in ExitStatus}


def test_check_statuses_are_the_ones_the_verifier_gives():
    documented = {CODE.findall(row[0])[0] for row in table(JSON_DOC, "| status | meaning |")}
    assert documented == {status.value for status in verify.Status}


# The examples: a ```sh block with one command, then the ```json (or ```ndjson) block it prints;
# or a ```text block of `$ diffcli ...` followed by stderr and then stdout, as a terminal shows.
JSON_EXAMPLE = re.compile(r"```sh\n([^\n]+)\n```\n\n```(json|ndjson)\n(.*?)```", re.DOTALL)
TEXT_EXAMPLE = re.compile(r"```text\n\$ (diffcli [^\n]+)\n(.*?)```", re.DOTALL)


def split_command(line: str) -> tuple[list[str], str | None]:
    """`[printf 'IN' |] diffcli ARGS` -> (ARGS, IN or None)."""
    feed, pipe, command = line.rpartition(" | ")
    stdin = shlex.split(feed)[1].replace("\\n", "\n") if pipe else None
    args = shlex.split(command)
    assert args[0] == "diffcli", line
    return args[1:], stdin


def run(line: str, monkeypatch) -> tuple[str, str]:
    monkeypatch.chdir(ROOT)  # gradcheck's FILE.py is relative to the repository
    args, stdin = split_command(line)
    result = CliRunner().invoke(app, args, input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.stdout, result.stderr


def same(shown, printed, where: str = "") -> None:
    """The documented JSON equals the printed one: same keys in the same order, same
    strings and booleans, numbers within 1e-6 relative."""
    if isinstance(shown, dict):
        assert isinstance(printed, dict) and list(shown) == list(printed), where
        for key in shown:
            same(shown[key], printed[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(printed, list) and len(shown) == len(printed), where
        for i, (a, b) in enumerate(zip(shown, printed)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(shown, float) and not isinstance(printed, bool):
        assert isinstance(printed, (int, float)), where
        assert math.isclose(shown, printed, rel_tol=1e-6, abs_tol=1e-9), (where, shown, printed)
    else:
        assert shown == printed and type(shown) is type(printed), (where, shown, printed)


def json_examples() -> list[tuple[str, str, str]]:
    return [(command, kind, body) for command, kind, body in JSON_EXAMPLE.findall(JSON_DOC)]


def test_every_command_with_json_output_has_a_json_example():
    import typer

    group = typer.main.get_command(app)
    with_json = {name for name in COMMANDS
                 if any("--json" in p.opts for p in group.commands[name].params)}
    assert with_json >= set(COMMANDS) - {"plot"}  # plot draws pictures, it has no JSON
    shown = {split_command(command)[0][0] for command, _, _ in json_examples()}
    assert shown == with_json


@pytest.mark.parametrize(("command", "kind", "body"), json_examples(),
                         ids=[command for command, _, _ in json_examples()])
def test_json_example_is_what_the_command_prints(command, kind, body, monkeypatch):
    stdout, _ = run(command, monkeypatch)
    if kind == "json":
        shown, printed = [json.loads(body)], [json.loads(stdout)]
    else:
        shown = [json.loads(line) for line in body.splitlines()]
        printed = [json.loads(line) for line in stdout.splitlines()]
    assert len(shown) == len(printed)
    for a, b in zip(shown, printed):
        same(a, b)


def text_examples() -> list[tuple[str, str]]:
    return [pair for page in (GRAMMAR, JSON_DOC) for pair in TEXT_EXAMPLE.findall(page)]


@pytest.mark.parametrize(("command", "output"), text_examples(),
                         ids=[command for command, _ in text_examples()])
def test_terminal_example_is_what_the_command_prints(command, output, monkeypatch):
    stdout, stderr = run(command, monkeypatch)
    assert (stderr + stdout).rstrip("\n") == output.rstrip("\n")
