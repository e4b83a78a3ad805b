"""The lock files: requirements.lock holds what lakebox needs to run and nothing for
development; requirements-dev.lock adds the extras at the very same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$", re.M)


def _name(requirement: str) -> str:
    """Return a requirement's normalised project name (PEP 503)."""
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    return {_name(name): version for name, version in PIN.findall(text)}


def _hashes(lock: str) -> dict[str, list[str]]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    blocks = re.split(r"^(?=[A-Za-z0-9])", text, flags=re.M)
    return {
        _name(block): re.findall(r"--hash=(sha256:[0-9a-f]+)", block)
        for block in blocks
        if PIN.match(block)
    }


RUNTIME = {_name(requirement) for requirement in PROJECT["dependencies"]}
EXTRAS = {
    _name(requirement)
    for extra in PROJECT["optional-dependencies"].values()
    for requirement in extra
}


def test_the_runtime_lock_pins_every_runtime_dependency() -> None:
    assert RUNTIME - set(_pins("requirements.lock")) == set()


def test_the_runtime_lock_holds_no_development_package() -> None:
    assert (EXTRAS - RUNTIME) & set(_pins("requirements.lock")) == set()
    assert {"pytest", "ruff", "playwright", "schemathesis", "hypothesis", "prophet"}.isdisjoint(
        _pins("requirements.lock")
    )


def test_the_development_lock_adds_the_extras_at_the_runtime_versions() -> None:
    runtime, development = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert EXTRAS - set(development) == set()
    assert {name: development.get(name) for name in runtime} == runtime
    assert {name: _hashes("requirements-dev.lock")[name] for name in runtime} == _hashes(
        "requirements.lock"
    )


def test_every_pin_has_hashes() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        hashes = _hashes(lock)
        assert set(hashes) == set(_pins(lock))
        assert [name for name, found in hashes.items() if not found] == [], lock
