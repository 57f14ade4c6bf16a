"""The dry run of `kindred deploy` against queue.yaml and the function catalog."""

import json
import shlex

from click.testing import CliRunner

from kindred.core import names
from kindred.core.options import BOUNDS
from kindred_infra import deploy, paths, queue_config
from kindred_infra.catalog import FUNCTIONS, Function
from kindred_infra.cli import main


def dry_run_lines() -> list[str]:
    result = CliRunner().invoke(main, ["deploy", "--project", "p1", "--dry-run"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def flags(argv: list[str]) -> dict[str, str]:
    return dict(arg[2:].split("=", 1) for arg in argv if arg.startswith("--") and "=" in arg)


def test_every_queue_of_queue_yaml_is_created_or_updated_with_its_settings():
    specs = {spec.name: spec for spec in queue_config.load(paths.QUEUE_YAML)}
    lines = [line for line in dry_run_lines() if line.startswith("gcloud tasks queues create")]
    assert len(lines) == len(specs)
    for line in lines:
        create, update = (shlex.split(part) for part in line.split(" || "))
        spec = specs[create[4]]
        assert update[:5] == ["gcloud", "tasks", "queues", "update", spec.name]
        assert flags(create) == flags(update)
        assert float(flags(create)["max-dispatches-per-second"]) == spec.rate
        assert int(flags(create)["max-concurrent-dispatches"]) == spec.max_concurrent_requests
        assert int(flags(create)["max-attempts"]) == spec.retry.task_retry_limit
        assert flags(create)["min-backoff"] == f"{spec.retry.min_backoff_seconds:g}s"


def test_every_function_of_the_catalog_is_deployed_gen2_from_the_functions_folder():
    deployed = [shlex.split(line) for line in dry_run_lines() if "functions deploy" in line]
    assert [argv[3] for argv in deployed] == [function.name for function in FUNCTIONS]
    for argv, function in zip(deployed, FUNCTIONS, strict=True):
        assert "--gen2" in argv
        assert flags(argv)["source"] == str(paths.FUNCTIONS_SOURCE)
        assert flags(argv)["entry-point"] == function.target
        assert ("--allow-unauthenticated" in argv) == (function.trigger == "http")
        secrets = dict(item.split("=", 1) for item in flags(argv)["set-secrets"].split(","))
        assert ("KINDRED_API_KEYS" in secrets) == (function.trigger == "http")
        assert secrets["KINDRED_TASKS_BODY_KEY"] == f"{deploy.TASKS_BODY_KEY_SECRET}:latest"


def test_the_smtp_password_is_a_secret_of_the_tasks_function_alone():
    mail = ["--smtp-host", "smtp.example.org", "--smtp-user", "k"]
    result = CliRunner().invoke(main, ["deploy", "--project", "p1", "--dry-run", *mail])
    assert result.exit_code == 0, result.output
    deployed = [
        shlex.split(line) for line in result.output.splitlines() if "functions deploy" in line
    ]
    for argv in deployed:
        secrets = dict(item.split("=", 1) for item in flags(argv)["set-secrets"].split(","))
        has = secrets.get("KINDRED_SMTP_PASSWORD") == f"{deploy.SMTP_PASSWORD_SECRET}:latest"
        assert has == (argv[3] == "tasks"), argv[3]
        assert "KINDRED_SMTP_HOST=smtp.example.org" in flags(argv)["set-env-vars"]
        assert "KINDRED_SMTP_PASSWORD" not in flags(argv)["set-env-vars"]
    without = [line for line in dry_run_lines() if "functions deploy" in line]
    assert not any("SMTP" in line for line in without)  # no host given: no e-mail settings


def test_private_functions_answer_only_the_service_account():
    lines = [shlex.split(line) for line in dry_run_lines() if "add-invoker-policy-binding" in line]
    private = [function.name for function in FUNCTIONS if function.trigger != "http"]
    assert [argv[3] for argv in lines] == private
    for argv in lines:
        assert flags(argv)["member"] == "serviceAccount:kindred@p1.iam.gserviceaccount.com"


def test_cron_functions_get_a_scheduler_job():
    cron = Function("sweeper", "sweeper", "cron", schedule="*/5 * * * *")
    target = deploy.Target("p", "r", "b", "sa@p")
    plan = deploy.commands(target, [], functions=[cron])
    jobs = [command for command in plan if command.argv[:3] == ("gcloud", "scheduler", "jobs")]
    assert len(jobs) == 1
    assert "--schedule=*/5 * * * *" in jobs[0].argv
    assert jobs[0].if_exists and jobs[0].if_exists[3] == "update"


def test_the_bucket_deletes_stored_follows_lists_once_no_analysis_may_use_them():
    lines = [shlex.split(line) for line in dry_run_lines() if "buckets update" in line]
    assert len(lines) == 1 and flags(lines[0])["lifecycle-file"] == str(paths.BUCKET_LIFECYCLE)
    (rule,) = json.loads(paths.BUCKET_LIFECYCLE.read_text())["rule"]
    assert rule["action"] == {"type": "Delete"}
    assert rule["condition"]["matchesPrefix"] == [f"{names.FOLLOWS}/"]
    assert rule["condition"]["age"] * 86_400 == BOUNDS["max_age"][1]  # days, as GCS counts age
