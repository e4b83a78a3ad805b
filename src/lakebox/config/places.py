"""The folders lakebox.yaml names for lakebox's own files (`storage.root`, `storage.temporal`,
`engine.temp_directory`, `engine.extension_directory`): never the whole disk, a system
folder, a home folder or a folder holding the project's own folder.

A served engine may read every file below the storage root, the temporal and scratch folders
(`Lakehouse.project_places`), and lakebox writes and deletes files there; `storage.root: /`
would let users' SQL read `/etc/passwd`. A relative folder is taken from the project folder,
which `config.load` passes as the validation context `{"project_dir": …}`; links are followed,
so a link to `/` is `/`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationInfo

# Folders of the operating system that hold more than lakebox's files (Linux and macOS).
SYSTEM_FOLDERS = frozenset(
    [
        "/",
        *("/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32"),
        *("/lost+found", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap"),
        *("/srv", "/sys", "/tmp", "/usr", "/usr/local", "/var", "/var/lib", "/var/log"),
        *("/var/tmp", "/Applications", "/Library", "/System", "/Users", "/Volumes", "/private"),
        *("/private/etc", "/private/tmp", "/private/var"),
    ]
)
# Folders nothing of lakebox's may be below: kernel files, devices and the system's settings.
NEVER_BELOW = ("/proc", "/sys", "/dev", "/etc", "/boot", "/private/etc")


def project_folder(info: ValidationInfo) -> Path | None:
    """Return the project folder a validation was given as its context, if any."""
    context = info.context if isinstance(info.context, dict) else {}
    found = context.get("project_dir")
    return found if isinstance(found, Path) else None


def own_folder(value: str, key: str, project_dir: Path | None) -> str:
    """Return `value`, a folder or URI given as `key`, or raise ValueError (pydantic's error)
    when it is local and lies where lakebox's own files must not: see the module's doc."""
    local = _local(value)
    if local is None:
        return value  # s3://… and other stores: nothing of this machine is reachable
    folder = _resolved(local, project_dir)
    if folder is None:
        return value  # relative, with no project folder to place it in yet
    problem = _problem(folder, project_dir)
    if problem:
        shown = "" if Path(local) == folder else f" ({folder})"
        raise ValueError(
            f"{value!r}{shown} {problem}; lakebox writes and deletes its own files below "
            f"{key}, where a served engine may read them: give a folder of the project's "
            "own, e.g. data or /srv/lakebox/data"
        )
    return value


def _local(value: str) -> str | None:
    if value.startswith("file://"):
        return value.removeprefix("file://") or "/"
    return None if "://" in value else value


def _resolved(local: str, project_dir: Path | None) -> Path | None:
    path = Path(local)  # as Storage and Lakehouse take it (no ~ expansion)
    if not path.is_absolute():
        if project_dir is None:
            return None
        path = project_dir / path
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop: refused, as nothing can be kept there
        return Path("/")


def _problem(folder: Path, project_dir: Path | None) -> str | None:
    text = str(folder)
    if text in SYSTEM_FOLDERS:
        return "is the whole disk" if text == "/" else "is a system folder"
    below = next((top for top in NEVER_BELOW if folder.is_relative_to(top)), None)
    if below is not None:
        return f"is inside the system folder {below}"
    if folder == _home():
        return "is a home folder"
    if project_dir is not None and project_dir.resolve().parent.is_relative_to(folder):
        return f"holds the project's folder {project_dir.resolve()} and more"
    return None


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (OSError, RuntimeError, KeyError):  # no HOME and no password entry
        return None
