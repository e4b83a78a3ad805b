"""docs/access.md is tested: its `access:` examples are valid sections, its commands and
options exist, and its tables of built-in roles, abilities, masks and audit actions say what
the code does."""

from __future__ import annotations

import re
import shlex
import typing
from pathlib import Path

import pytest
import typer
import yaml

from lakebox import config
from lakebox.access.entry import ACTIONS
from lakebox.access.principal import BUILTIN
from lakebox.cli.app import app
from lakebox.config.access import ABILITIES, MaskKind

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "docs" / "access.md").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(app)


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", TEXT, re.MULTILINE | re.DOTALL)


def _table(first_header: str) -> dict[str, list[str]]:
    """Return the rows of the table whose first header cell is `first_header`: first cell
    (backticks removed) → the other cells."""
    lines = TEXT.split(f"| {first_header} |", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return {row[0].strip("`"): row[1:] for row in rows}


@pytest.mark.parametrize("block", [b for b in _blocks("yaml") if b.startswith("access:")])
def test_every_access_example_is_a_valid_section(block):
    parsed = config.parse(f"name: shop\n{block}", "docs/access.md")
    assert parsed.access is not None
    assert yaml.safe_load(block)["access"]


def _command_lines() -> list[list[str]]:
    lines = [line.split("  #")[0].strip() for block in _blocks("sh") for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("lakebox ")]


@pytest.mark.parametrize("words", _command_lines(), ids=" ".join)
def test_every_command_and_option_exists(words):
    command = COMMANDS
    rest = words[1:]
    while rest and getattr(command, "commands", {}).get(rest[0]) is not None:
        command = command.commands[rest[0]]
        rest = rest[1:]
    assert not getattr(command, "commands", None), f"{' '.join(words)} names no command"
    options = {name for param in command.params for name in param.opts}
    assert [word for word in rest if word.startswith("--") and word not in options] == []


def test_the_built_in_roles_table_says_what_they_read_and_may_do():
    table = _table("built-in role")
    assert list(table) == list(BUILTIN)
    for name, (reads, abilities) in table.items():
        role = BUILTIN[name]
        assert re.findall(r"`([a-z*]+)`", reads) == list(role.read)
        assert set(re.findall(r"`([a-z]+)`", abilities)) == set(role.can)


def test_the_tables_list_every_ability_mask_and_action():
    assert list(_table("ability")) == list(ABILITIES)
    assert list(_table("mask")) == list(typing.get_args(MaskKind))
    actions = _table("field")["action"][0]
    assert re.findall(r"`([a-z ]+)`", actions) == list(ACTIONS)
