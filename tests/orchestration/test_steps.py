from lakebox.config.pipelines import STEP_KINDS
from lakebox.ground.reporter import CapturingReporter
from lakebox.orchestration.pipeline import parse_selectors
from lakebox.orchestration.report import RunReport
from lakebox.orchestration.steps import STEPS


def test_the_step_registry_follows_the_config_order_of_step_kinds():
    assert [step.name for step in STEPS.values()] == list(STEP_KINDS)


def test_every_step_kind_can_be_selected_by_its_name():
    assert [selector.kind for selector in parse_selectors(list(STEP_KINDS))] == list(STEP_KINDS)


def test_a_report_lists_its_outcomes_by_kind_and_fails_on_the_earliest_in_the_data_path():
    from lakebox.exploitation.builder import BuildResult
    from lakebox.landing.loader import LandingReport

    report = RunReport(
        "run", models=[BuildResult("totals", "failed", error="boom")], landing=[LandingReport("s")]
    )
    assert [m.model for m in report.models] == ["totals"]
    assert report.error == "build:totals: boom" and not report.ok
    report.add(report.outcomes[1].kind, LandingReport("t", error="down"))
    assert report.error == "land:t: down"


def test_a_failed_entity_comes_before_a_failed_model_whichever_ran_first():
    # as the report read before the step registry: entities, then models, within a build
    from lakebox.exploitation.builder import BuildResult
    from lakebox.integration.entities import EntityResult
    from lakebox.orchestration.steps.build import BUILT, RESOLVED

    report = RunReport("run")
    report.add(BUILT, BuildResult("totals", "failed", error="boom"))
    report.add(RESOLVED, EntityResult("customers", "failed", error="no key"))
    assert report.error == "entity:customers: no key"


def test_a_landing_error_with_no_message_still_fails_the_run():
    from lakebox.landing.loader import LandingReport

    assert RunReport("run", landing=[LandingReport("s", error="")]).error == "land:s: "


def test_a_capturing_reporter_keeps_what_it_is_told():
    reporter = CapturingReporter()
    reporter.progress("land", "sales", 1, 2)
    reporter.message("done")
    assert reporter.steps == [("land", "sales", 1, 2)] and reporter.messages == ["done"]


def test_a_run_reports_its_progress_stage_by_stage(make_project):
    from lakebox.orchestration.runner import run
    from tests.conftest import write_file

    lh = make_project({"sales": {"path": "in/*.csv"}})
    write_file(lh.project_dir / "in", "a.csv", "id,amount\n1,10\n")
    write_file(lh.project_dir / "models", "totals.sql", "SELECT sum(amount) FROM formatted.sales")
    reporter = CapturingReporter()

    run(lh, reporter=reporter)

    assert reporter.steps == [
        ("land", "sales", 1, 1),
        ("format", "sales", 1, 1),
        ("build", "totals", 1, 1),
    ]
