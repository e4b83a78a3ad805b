"""The folders lakebox keeps its files in (storage.root, storage.temporal, engine.temp_directory,
engine.extension_directory) can never be the whole disk, a system folder or a folder holding
the project: the served engine may read every file below them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakebox import config
from lakebox.engine import DuckDBEngine
from lakebox.errors import ConfigError, EngineError
from lakebox.lakehouse import open_project

KEYS = [
    ("storage", "root"),
    ("storage", "temporal"),
    ("engine", "temp_directory"),
    ("engine", "extension_directory"),
]


def project(tmp_path: Path, section: str, key: str, value: str) -> Path:
    folder = tmp_path / "work" / "shop"
    folder.mkdir(parents=True)
    (folder / "lakebox.yaml").write_text(f"name: shop\n{section}:\n  {key}: '{value}'\n")
    return folder


@pytest.mark.parametrize(("section", "key"), KEYS)
@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("/", "'/' is the whole disk"),
        ("file:///", "'file:///' is the whole disk"),
        ("/etc", "'/etc' is a system folder"),
        ("/usr/", "'/usr/' is a system folder"),
        ("/proc/self", "'/proc/self' (/proc/"),  # a link: where it leads is refused too
        ("/etc/lakebox", "'/etc/lakebox' is inside the system folder /etc"),
        ("..", "'..' ("),
        ("../../..", "'../../..' ("),
    ],
)
def test_a_folder_that_reaches_past_the_project_is_a_config_error(
    tmp_path, section, key, value, said
):
    folder = project(tmp_path, section, key, value)
    with pytest.raises(ConfigError) as error:
        config.load(folder)
    message = str(error.value)
    assert message.startswith(f"{folder / 'lakebox.yaml'}:3: {section}.{key}: {said}")
    assert f"lakebox writes and deletes its own files below {section}.{key}" in message
    if value.startswith(".."):
        assert f"holds the project's folder {folder} and more" in message


def test_a_link_to_the_whole_disk_is_the_whole_disk(tmp_path):
    folder = project(tmp_path, "storage", "root", "everything")
    (folder / "everything").symlink_to("/")
    with pytest.raises(ConfigError) as error:
        config.load(folder)
    assert "storage.root: 'everything' (/) is the whole disk" in str(error.value)


@pytest.mark.parametrize(
    "value", ["data", "./data", ".", "../shop-data", "s3://bucket/shop", "{tmp}/elsewhere"]
)
def test_the_project_s_own_folders_are_accepted(tmp_path, value):
    folder = project(tmp_path, "storage", "root", value.format(tmp=tmp_path))
    assert config.load(folder).storage.root == value.format(tmp=tmp_path)


def test_a_lakehouse_on_the_whole_disk_never_opens(tmp_path):
    # it did open, and its served engine answered read_text('/etc/passwd')
    folder = project(tmp_path, "storage", "root", "/")
    with pytest.raises(ConfigError, match=r"storage\.root: '/' is the whole disk"):
        open_project(folder)


@pytest.mark.parametrize("places", [["/"], ["/srv/x", "//"], ["file:///"]])
def test_the_engine_refuses_a_sandbox_of_the_whole_disk(tmp_path, places):
    engine = DuckDBEngine(config.EngineConfig(), tmp_path)
    try:
        with pytest.raises(EngineError, match="would let SQL read the whole disk"):
            engine.lock_down(places)
        with pytest.raises(EngineError, match="would let SQL read the whole disk"):
            engine.confine([place.removeprefix("file://") for place in places])
        found = engine.execute("SELECT current_setting('enable_external_access')").fetchone()
        assert found is not None and found[0] in (True, "true")  # nothing was half set
    finally:
        engine.close()
