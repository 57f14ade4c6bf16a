"""Deploy kindred with `gcloud`: the bucket, the queues of queue.yaml, the functions, the crons.

`commands()` is a pure plan (a list of argv lists) so that the dry run prints exactly what a
real run executes and a test can check it against queue.yaml and the function catalog.
"""

from __future__ import annotations

import dataclasses
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kindred import config
from kindred_infra import paths, queue_config
from kindred_infra.catalog import FUNCTIONS, Function
from kindred_infra.queue_config import QueueSpec

RUNTIME = "python311"
SETTINGS = config.Settings()
API_KEYS_SECRET = "kindred-api-keys"  # Secret Manager: the comma-separated keys that may submit
# Secret Manager: the key every function signs the task bodies it enqueues with, and the tasks
# function checks them with (decision 0005); all four enqueue, so all four hold it.
TASKS_BODY_KEY_SECRET = "kindred-tasks-body-key"
# Secret Manager: the SMTP password (with --smtp-user), read by the tasks function, which sends
# the e-mail, as KINDRED_SMTP_PASSWORD. Create it once:
#   printf %s "$PASSWORD" | gcloud secrets create kindred-smtp-password --data-file=-
# and let the service account read it (roles/secretmanager.secretAccessor).
SMTP_PASSWORD_SECRET = "kindred-smtp-password"


@dataclass(frozen=True)
class MailTarget:
    """The SMTP server of a deployment; no host: it accepts no notify_email."""

    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str | None = None
    smtp_user: str | None = None
    mail_from: str | None = None


@dataclass(frozen=True)
class Target:
    project: str
    region: str
    bucket: str
    service_account: str  # the identity the functions run as and Cloud Tasks signs tokens for
    mail: MailTarget = MailTarget()

    def function_url(self, name: str) -> str:
        return f"https://{self.region}-{self.project}.cloudfunctions.net/{name}"

    def env(self, queues: Sequence[QueueSpec]) -> dict[str, str]:
        """The functions' variables (kindred.config's table); the rates are queue.yaml's."""
        rates = {spec.name: spec.rate for spec in queues}
        return config.to_env(
            project=self.project,
            location=self.region,
            bucket=self.bucket,
            tasks_url=self.function_url("tasks"),
            api_url=self.function_url("api"),
            service_account=self.service_account,
            bluesky_rate=rates.get(SETTINGS.upstream_queue("bluesky")),
            mastodon_rate=rates.get(SETTINGS.upstream_queue("mastodon")),
            mastodon_blobs_rate=rates.get(
                SETTINGS.upstream_queue(SETTINGS.blob_upstream("mastodon"))
            ),
            **dataclasses.asdict(self.mail),
        )


@dataclass(frozen=True)
class Command:
    """One gcloud call, and the call that replaces it when the resource already exists."""

    argv: tuple[str, ...]
    if_exists: tuple[str, ...] | None = None

    def render(self) -> str:
        line = shlex.join(self.argv)
        return f"{line} || {shlex.join(self.if_exists)}" if self.if_exists else line


def commands(
    target: Target, queues: Sequence[QueueSpec], functions: Sequence[Function] = FUNCTIONS
) -> list[Command]:
    """Every gcloud command of a deployment, in order; running them again updates in place."""
    plan = [_bucket(target), _lifecycle(target)]
    plan += [_queue(target, spec) for spec in queues]
    env = ",".join(f"{key}={value}" for key, value in target.env(queues).items())
    plan += [_function(target, function, env) for function in functions]
    plan += [_invoker(target, f) for f in functions if f.trigger != "http"]
    plan += [_cron(target, f) for f in functions if f.trigger == "cron"]
    return plan


def _bucket(target: Target) -> Command:
    name = f"gs://{target.bucket}"
    create = ("gcloud", "storage", "buckets", "create", name, f"--project={target.project}",
              f"--location={target.region}", "--uniform-bucket-level-access")  # fmt: skip
    return Command(create, ("gcloud", "storage", "buckets", "describe", name))


def _lifecycle(target: Target) -> Command:
    """The bucket's lifecycle rules: stored follows lists are deleted 30 days after their
    last write, the longest `max_age` an analysis may ask for (infra/bucket-lifecycle.json)."""
    return Command(("gcloud", "storage", "buckets", "update", f"gs://{target.bucket}",
                    f"--project={target.project}",
                    f"--lifecycle-file={paths.BUCKET_LIFECYCLE}"))  # fmt: skip


def _queue(target: Target, spec: QueueSpec) -> Command:
    flags = [f"--project={target.project}", f"--location={target.region}",
             f"--max-dispatches-per-second={spec.rate:g}"]  # fmt: skip
    if spec.max_concurrent_requests is not None:
        flags.append(f"--max-concurrent-dispatches={spec.max_concurrent_requests}")
    retry = spec.retry
    for flag, value, unit in (
        ("--max-attempts", retry.task_retry_limit, ""),
        ("--max-retry-duration", retry.task_age_limit, "s"),
        ("--min-backoff", retry.min_backoff_seconds, "s"),
        ("--max-backoff", retry.max_backoff_seconds, "s"),
        ("--max-doublings", retry.max_doublings, ""),
    ):
        if value is not None:
            flags.append(f"{flag}={value:g}{unit}")
    queue = ("gcloud", "tasks", "queues")
    return Command((*queue, "create", spec.name, *flags), (*queue, "update", spec.name, *flags))


def _function(target: Target, function: Function, env: str) -> Command:
    access = (
        "--allow-unauthenticated" if function.trigger == "http" else "--no-allow-unauthenticated"
    )
    secrets = (
        [f"{config.ENV['api_keys']}={API_KEYS_SECRET}:latest"] if function.trigger == "http" else []
    )
    secrets.append(f"{config.ENV['tasks_body_key']}={TASKS_BODY_KEY_SECRET}:latest")
    if target.mail.smtp_user and function.name == "tasks":  # the mail step runs there, alone
        secrets.append(f"{config.ENV['smtp_password']}={SMTP_PASSWORD_SECRET}:latest")
    return Command(("gcloud", "functions", "deploy", function.name, "--gen2",
                    f"--project={target.project}", f"--region={target.region}",
                    f"--runtime={RUNTIME}", f"--source={paths.FUNCTIONS_SOURCE}",
                    f"--entry-point={function.target}", "--trigger-http", access,
                    f"--service-account={target.service_account}",
                    f"--set-env-vars={env}", f"--set-secrets={','.join(secrets)}"))  # fmt: skip


def _invoker(target: Target, function: Function) -> Command:
    """Private functions answer only the service account that Cloud Tasks and Scheduler sign as."""
    return Command(("gcloud", "functions", "add-invoker-policy-binding", function.name,
                    f"--project={target.project}", f"--region={target.region}",
                    f"--member=serviceAccount:{target.service_account}"))  # fmt: skip


def _cron(target: Target, function: Function) -> Command:
    job = ("gcloud", "scheduler", "jobs")
    flags = (f"kindred-{function.name}", f"--project={target.project}",
             f"--location={target.region}", f"--schedule={function.schedule}",
             f"--uri={target.function_url(function.name)}",
             f"--oidc-service-account-email={target.service_account}",
             "--http-method=POST")  # fmt: skip
    return Command((*job, "create", "http", *flags), (*job, "update", "http", *flags))


def render(plan: Sequence[Command]) -> str:
    return "\n".join(command.render() for command in plan)


def run(plan: Sequence[Command]) -> None:
    """Execute the plan, stopping at the first command that fails (gcloud says why)."""
    for command in plan:
        if subprocess.run(command.argv, check=False).returncode == 0:
            continue
        if command.if_exists is None:
            raise subprocess.CalledProcessError(1, command.argv)
        subprocess.run(command.if_exists, check=True)


def load_queues(path: Path = paths.QUEUE_YAML) -> list[QueueSpec]:
    return queue_config.load(path)
