"""The splink model of an entity: comparisons, blocking, training, prediction, clustering.

splink runs on a cursor of the lakehouse's DuckDB (same database, its own session), so it
reads the comparison table the entity prepared and leaves its links and clusters beside it.
Training is deterministic: u by random sampling with the entity's seed, m by expectation
maximisation on each blocking rule in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from lakebox.config import EntityConfig
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse

logger = logging.getLogger(__name__)
U_SAMPLE_PAIRS = 5e6
# The share of true matches the blocking rules are taken to find when the prior is
# estimated from them; the EM steps that follow correct most of a wrong guess.
BLOCKING_RECALL = 0.8


@dataclass
class Linkage:
    """Where splink left its output: the `links` and `clusters` tables of the workspace."""

    links: str
    clusters: str


def comparison(column: str, kind: str) -> object:
    """Return splink's comparison of `kind` on `column` (not for forename/surname pairs)."""
    import splink.comparison_library as cl

    makers: dict[str, Callable[[str], object]] = {
        "name": cl.NameComparison,
        # not splink's EmailComparison: its user-name level (the same user at another
        # provider) mostly matches namesakes, as user names are made of names
        "email": lambda name: cl.LevenshteinAtThresholds(name, [1, 2]),
        "date": lambda name: cl.DateOfBirthComparison(name, input_is_string=False),
        "fuzzy": lambda name: cl.JaroWinklerAtThresholds(name, [0.95, 0.88, 0.7]),
        "exact": cl.ExactMatch,
    }
    return makers[kind](column)


def comparisons(entity: EntityConfig) -> list[object]:
    """Return one splink comparison per compared column; a forename and surname pair is one
    comparison, which also scores the two written the other way round."""
    import splink.comparison_library as cl

    by_kind = {kind: column for column, kind in entity.compare.items()}
    found = [
        comparison(column, kind)
        for column, kind in entity.compare.items()
        if kind not in ("forename", "surname")
    ]
    if "forename" in by_kind:
        found.insert(0, cl.ForenameSurnameComparison(by_kind["forename"], by_kind["surname"]))
    return found


def settings(entity: EntityConfig) -> object:
    """Return splink's settings: one deduplication over every source's records at once
    (the same pairs as link-and-dedupe, with one id column)."""
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(entity),
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in entity.blocking],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def link(lh: Lakehouse, entity: EntityConfig, workspace: str, records: str) -> Linkage:
    """Train on table `records` of schema `workspace` (unique_id plus the compared
    columns), predict the pairs above the threshold and cluster them; return the tables
    written into `workspace`."""
    from splink import DuckDBAPI, Linker, block_on

    cursor = lh.engine.connection.cursor()
    try:
        api = DuckDBAPI(connection=cursor, output_schema=workspace)
        linker = Linker(api.register(records), settings(entity), log_level=None)
        rules = [block_on(*rule) for rule in entity.blocking]
        linker.training.estimate_probability_two_random_records_match(rules, BLOCKING_RECALL)
        linker.training.estimate_u_using_random_sampling(U_SAMPLE_PAIRS, seed=entity.seed)
        for rule in rules:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        predictions = linker.inference.predict(entity.threshold, warning_mode="never")
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, entity.threshold
        )
        return _keep(lh, workspace, predictions.physical_name, clusters.physical_name)
    finally:
        cursor.close()


def _keep(lh: Lakehouse, workspace: str, predictions: str, clusters: str) -> Linkage:
    """Copy what lakebox needs out of splink's tables before they are dropped."""
    schema = quote_identifier(workspace)
    lh.engine.execute(
        f"CREATE OR REPLACE TABLE {schema}.links AS SELECT unique_id_l, unique_id_r, "
        f"match_probability FROM {schema}.{quote_identifier(predictions)}"
    )
    lh.engine.execute(
        f"CREATE OR REPLACE TABLE {schema}.clusters AS SELECT unique_id, cluster_id "
        f"FROM {schema}.{quote_identifier(clusters)}"
    )
    return Linkage(f"{schema}.links", f"{schema}.clusters")
