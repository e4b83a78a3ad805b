"""`lakebox maintain` and the `maintain` step under the locks runs take: maintenance holds
the lock of every pipeline (`default` and each declared one), so it never commits while a
run commits, and a run waits while maintenance rewrites its tables.

A `maintain` step of a pipeline's run already holds that pipeline's lock; it takes the
others. Locks are taken in sorted order, as every locker does, each waiting at most
`maintenance.lock_wait` before the step fails naming the run that holds it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from lakebox.config.maintenance import MaintenanceConfig
from lakebox.config.pipelines import DEFAULT_PIPELINE, PipelineConfig, StepConfig
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.lakehouse import Lakehouse
from lakebox.maintenance.run import TableMaintenance, maintain
from lakebox.orchestration.lock import PipelineLock
from lakebox.orchestration.report import RunReport

# The run history's pipeline of `lakebox maintain` (a declared pipeline may also maintain).
MAINTAIN_PIPELINE = "maintain"


@contextmanager
def every_lock(lh: Lakehouse, wait: bool | float) -> Iterator[None]:
    """Within the block, hold the lock of every pipeline this thread does not hold yet."""
    names = sorted({DEFAULT_PIPELINE, MAINTAIN_PIPELINE, *lh.config.pipelines})
    with ExitStack() as locks:
        for name in names:
            lock = PipelineLock(lh, name, wait)
            if not lock.held_here:
                locks.enter_context(lock)
        yield


def maintain_locked(
    lh: Lakehouse,
    tables: list[str] | None = None,
    dry_run: bool = False,
    reporter: Reporter = NULL_REPORTER,
    config: MaintenanceConfig | None = None,
) -> list[TableMaintenance]:
    """Maintain `tables` (patterns; default: as `maintenance:` says) holding every lock."""
    config = config or lh.config.maintenance
    with every_lock(lh, config.lock_wait_seconds):
        return maintain(lh, config, tables, dry_run, reporter)


def run_maintenance(
    lh: Lakehouse,
    tables: list[str] | None = None,
    reporter: Reporter = NULL_REPORTER,
) -> RunReport:
    """Maintain `tables` as a run of pipeline `maintain`, recorded in the run history."""
    from lakebox.orchestration.pipeline import execute
    from lakebox.orchestration.steps.base import Unit

    step = StepConfig(kind="maintain", items=tables)
    config = lh.config.pipelines.get(MAINTAIN_PIPELINE) or PipelineConfig(steps=[step])
    wait = lh.config.maintenance.lock_wait_seconds
    return execute(
        lh,
        MAINTAIN_PIPELINE,
        config,
        [Unit(step)],
        reporter=reporter,
        wait=wait,
        command="maintain",
    )
