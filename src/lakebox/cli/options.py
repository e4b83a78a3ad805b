"""Options that many commands share: the project folder, quiet and JSON output, and how long to
wait for a running pipeline. Those of `lakebox serve` and `lakebox pg` are in
`serving_options`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ProjectOption = Annotated[Path, typer.Option("--project", "-p", help="The project folder.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON document for scripts.")]
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        metavar="SECONDS",
        help="If the pipeline is running elsewhere, wait this long for it (0: exit at once).",
    ),
]

TERMINATED_EXIT_CODE = 143  # 128 + SIGTERM, as a shell reports a process it ended
