"""The docs are tested: every CLI command, option and config key must be documented."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from pydantic import BaseModel

from lakebox.cli.app import app
from lakebox.config import ProjectConfig

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# The name of one entry of a dict-of-models field, as the docs spell it.
PLACEHOLDERS = {"sources": "<name>", "columns": "<column>"}
# Lists of settings models whose items the docs list key by key, as `access.masks[].mask`
# (the items of other lists are written in a shorthand, e.g. a pipeline's steps).
LISTED_ITEMS = {"access.masks", "access.row_filters"}


# -- the command line --------------------------------------------------------------------------


def _commands(command: object, path: tuple[str, ...]) -> Iterator[tuple[str, object]]:
    """Yield `("lakebox source add", command)` for every command and subcommand."""
    if path[1:]:
        yield " ".join(path), command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not getattr(sub, "hidden", False):
            yield from _commands(sub, (*path, name))


def _params(command: object, kind: str) -> list[typing.Any]:
    return [
        param
        for param in getattr(command, "params", [])
        if param.param_type_name == kind and not getattr(param, "hidden", False)
    ]


def _long_options(command: object) -> list[str]:
    names = (
        name
        for option in _params(command, "option")
        for name in (*option.opts, *option.secondary_opts)
    )
    return [name for name in names if name.startswith("--")]


COMMANDS = dict(_commands(typer.main.get_command(app), ("lakebox",)))


def _sections(text: str) -> dict[str, str]:
    """Return `## heading` (backticks removed) → the text up to the next `## ` heading."""
    sections: dict[str, str] = {}
    parts = re.split(r"^## +(.+?) *$", text, flags=re.MULTILINE)
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        sections[heading.replace("`", "").strip()] = body
    return sections


@pytest.fixture(scope="module")
def cli_sections() -> dict[str, str]:
    return _sections((DOCS / "cli.md").read_text(encoding="utf-8"))


def test_the_cli_has_commands() -> None:
    assert {"lakebox init", "lakebox run", "lakebox source add"} <= set(COMMANDS)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_has_a_section(path: str, cli_sections: dict[str, str]) -> None:
    assert path in cli_sections, f"docs/cli.md has no '## {path}' heading"


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_option_and_argument_is_in_its_section(
    path: str, cli_sections: dict[str, str]
) -> None:
    section = cli_sections.get(path, "")
    missing = [
        option
        for option in _long_options(COMMANDS[path])
        if not re.search(rf"`{re.escape(option)}[`\s]", section)
    ]
    missing += [
        argument.name.upper()
        for argument in _params(COMMANDS[path], "argument")
        if argument.name.upper() not in section
    ]
    assert not missing, f"docs/cli.md '## {path}' does not mention {', '.join(missing)}"


def test_no_section_documents_a_missing_command(cli_sections: dict[str, str]) -> None:
    stale = [heading for heading in cli_sections if heading.startswith("lakebox ")]
    assert sorted(set(stale) - set(COMMANDS)) == []


def test_the_index_links_every_command() -> None:
    intro = (DOCS / "cli.md").read_text(encoding="utf-8").split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| \[`(lakebox [a-z ]+)`\]\(#", intro, re.MULTILINE))
    top_level = {path for path in COMMANDS if len(path.split()) == 2}
    assert sorted(top_level - listed) == [], "docs/cli.md's command index does not list these"


def test_option_tables_list_only_real_options(cli_sections: dict[str, str]) -> None:
    wrong = []
    for path, command in COMMANDS.items():
        first_cells = re.findall(r"^\|([^|\n]*)\|", cli_sections.get(path, ""), re.MULTILINE)
        named = {name for cell in first_cells for name in re.findall(r"--[a-z][a-z0-9-]*", cell)}
        wrong += [f"{path} {name}" for name in sorted(named - set(_long_options(command)))]
    assert wrong == []


# -- the project file --------------------------------------------------------------------------


def _model_of(annotation: object) -> type[BaseModel] | None:
    """Return the settings model of an annotation, also inside `Model | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = [_model_of(argument) for argument in typing.get_args(annotation)]
        return next((model for model in found if model is not None), None)
    return None


def _config_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Yield the dotted path of every key, e.g. `sources.<name>.columns.<column>.unit`."""
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        yield path
        annotation = field.annotation
        nested = _model_of(annotation)
        if nested is not None:
            yield from _config_keys(nested, f"{path}.")
        elif typing.get_origin(annotation) is dict:
            entry = _model_of(typing.get_args(annotation)[1])
            if entry is not None:
                placeholder = PLACEHOLDERS.get(name, "<name>")
                yield f"{path}.{placeholder}"
                yield from _config_keys(entry, f"{path}.{placeholder}.")
        elif typing.get_origin(annotation) is list and path in LISTED_ITEMS:
            item = _model_of(typing.get_args(annotation)[0])
            if item is not None:
                yield from _config_keys(item, f"{path}[].")


CONFIG_KEYS = list(_config_keys(ProjectConfig))


@pytest.fixture(scope="module")
def configuration() -> str:
    return (DOCS / "configuration.md").read_text(encoding="utf-8")


def test_the_config_has_keys() -> None:
    assert {"storage.root", "sources.<name>.key"} <= set(CONFIG_KEYS)
    assert "sources.<name>.columns.<column>.unit_from" in CONFIG_KEYS
    assert {"access.roles.<name>.extends", "access.masks[].tag"} <= set(CONFIG_KEYS)
    assert "access.row_filters[].unfiltered_for" in CONFIG_KEYS


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_every_config_key_is_documented(key: str, configuration: str) -> None:
    assert f"`{key}`" in configuration, f"docs/configuration.md does not document `{key}`"


def test_no_documented_key_is_missing_from_the_config(configuration: str) -> None:
    top = "|".join(ProjectConfig.model_fields)
    documented = set(re.findall(rf"`((?:{top})\.[A-Za-z0-9_.<>\[\]]+)`", configuration))
    # the items of other lists are described in prose (`checks.<table>[].not_null`)
    documented = {key for key in documented if key.split("[]")[0] in (key, *LISTED_ITEMS)}
    assert sorted(documented - set(CONFIG_KEYS)) == []


# -- the README --------------------------------------------------------------------------------


def _shell_commands(markdown: str) -> list[str]:
    """Return the command lines of the fenced code blocks, in order, without comments."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    lines = (line.split(" #")[0].strip() for block in blocks for line in block.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_starts_with_make_demo_and_make_test() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _shell_commands(readme)[:2] == ["make demo", "make test"]


def test_readme_layout_names_every_module_and_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("src/lakebox/\n", 1)[1].split("```", 1)[0]
    named = set(re.findall(r"[a-z_]+\.py|[a-z_]+/", layout))
    source = ROOT / "src" / "lakebox"
    found = {p.name for p in source.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    found |= {f"{p.name}/" for p in source.iterdir() if (p / "__init__.py").exists()}
    assert sorted(found - named) == []


def test_readme_links_to_docs_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert links, "README.md links to no page of docs/"
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_every_check_setting_is_documented() -> None:
    from lakebox.config import CheckConfig

    text = (DOCS / "checks.md").read_text(encoding="utf-8")
    missing = []
    for name, field in CheckConfig.model_fields.items():
        if f"`{name}`" not in text:
            missing.append(name)
        nested = _model_of(field.annotation)
        for setting in nested.model_fields if nested else ():
            if f"`{setting}`" not in text:
                missing.append(f"{name}.{setting}")
    assert missing == []
