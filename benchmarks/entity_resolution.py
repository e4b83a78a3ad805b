"""Entity resolution benchmark: pairwise precision and recall against a known truth.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/entity_resolution.py                     # 5,000 people, seed 1
    .venv/bin/python benchmarks/entity_resolution.py --seed 2            # another data set
    .venv/bin/python benchmarks/entity_resolution.py --people 500 --threshold 0.8

`lakebox.integration.synthetic` writes two customer exports (a CRM and a web shop, each
with its own column names and noise) as CSV into a fresh project under benchmarks/out/; the
project declares them as sources and entity `customer` over their formatted tables; `run`
lands, formats and resolves them. The clusters in `exploitation.customer_clusters` are then
scored pair by pair against the generator's true person ids.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import time
from pathlib import Path

import yaml

import lakebox
from lakebox.integration import synthetic
from lakebox.orchestration.runner import run

OUT = Path(__file__).resolve().parent / "out" / "entity-resolution"
TARGET = 0.95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--threshold", type=float, default=0.9)
    options = parser.parse_args()
    logging.getLogger("splink").setLevel(logging.ERROR)  # its notes on training, not results

    started = time.monotonic()
    customers = synthetic.generate(options.people, options.seed)
    project = _project(customers, options.threshold)
    generated = time.monotonic() - started

    with lakebox.open(project) as lh:
        report = run(lh)
        [entity] = report.entities
        if entity.error:
            raise SystemExit(f"entity customer failed: {entity.error}")
        clusters = synthetic.resolved_clusters(lh)
    scores = synthetic.pairwise_scores(clusters, customers.truth)
    print(f"people {options.people}, seed {options.seed}, threshold {options.threshold}")
    print(f"records {entity.records} (crm {len(customers.crm)}, shop {len(customers.shop)})")
    print(f"true people {len(set(customers.truth.values()))}, clusters {entity.clusters}")
    print(f"links {entity.links}, true pairs {scores.true_pairs}, "
          f"predicted pairs {scores.predicted_pairs}, correct {scores.correct_pairs}")  # fmt: skip
    print(f"precision {scores.precision:.4f}  recall {scores.recall:.4f}  (target ≥ {TARGET})")
    print(f"seconds: generate + write CSV {generated:.1f}, run {report.seconds:.1f} "
          f"(of which entity resolution {entity.seconds:.1f})")  # fmt: skip


def _project(customers: synthetic.Customers, threshold: float) -> Path:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    customers.write_csv(OUT / "in")
    document = {
        "name": "entity-resolution",
        "sources": synthetic.sources("in"),
        "entities": {"customer": synthetic.entity(threshold)},
    }
    (OUT / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return OUT


if __name__ == "__main__":
    main()
