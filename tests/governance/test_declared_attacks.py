"""A model's YAML file written to hurt (`models/<name>.yaml`): a Python tag, an alias bomb,
nesting deeper than the reader's recursion, text longer than a description may be — each an
error naming the file (a ModelError, which the doors show as the section's problem), never an
object built, a tree expanded or a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakebox.errors import ModelError
from lakebox.governance.declared import model_yaml, sql_comments


def bomb() -> str:
    """Return YAML whose aliases expand to 10^9 tags."""
    text = "columns:\n  c0: {tags: &t0 [a, a, a, a, a, a, a, a, a, a]}\n"
    for level in range(1, 9):
        items = ", ".join([f"*t{level - 1}"] * 10)
        text += f"  c{level}: {{tags: &t{level} [{items}]}}\n"
    return text + "description: *t8\n"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("description: !!python/object/apply:os.system ['touch {marker}']\n", "not valid YAML"),
        ("description: !!python/name:os.system\n", "not valid YAML"),
        (bomb(), "aliases expand this to more than 100,000 values"),
        ("description: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
        ("description: " + "x" * 5_000 + "\n", "at most 4000 characters"),
        ("columns: {c: {description: a, description: b}}\n", "given twice"),
    ],
)
def test_a_hostile_model_yaml_is_an_error_naming_the_file(tmp_path: Path, text, said) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "model.yaml"
    path.write_text(text.replace("{marker}", str(marker)))
    with pytest.raises(ModelError) as caught:
        model_yaml(path)
    assert said in caught.value.message and str(path) in caught.value.message
    assert not marker.exists()


def test_sql_that_cannot_be_split_into_tokens_describes_nothing() -> None:
    assert sql_comments("-- Sales.\nSELECT 'abc AS x -- never closed\n") == ("Sales.", {})
