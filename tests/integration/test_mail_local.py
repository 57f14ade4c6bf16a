"""On the running stack: an analysis with a notify_email ends with exactly one message in the
stack's mail server (npm maildev, read through its REST API) holding the result link, even
when its last step and its mail task are delivered again; with the mail server down, the send
is retried by the queue, the analysis is done regardless, and the message arrives once the
server is back."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from pathlib import Path

from google.cloud import tasks_v2
from google.protobuf import duration_pb2, field_mask_pb2
from support.api import call, finished
from support.stack import queue_path, step_entries, tasks_client

from kindred.adapters.clients import tasks_client as kindred_tasks_client
from kindred.adapters.cloud_tasks import CloudTaskQueue
from kindred.config import Settings
from kindred.core.cost import Meter
from kindred.core.messages import Rank, SendMail
from kindred_infra import stack
from kindred_infra.process import stop_pid
from kindred_infra.stack import state

ACCOUNT = "u6017542.ego-twitter.test"
SMALL = {"max_followers": 10, "max_follows_per_follower": 20, "top_candidates": 10, "results": 5}


def messages_to(env: dict, address: str) -> list[dict]:
    """Every message the mail server kept for `address` (maildev's `GET /email`)."""
    with urllib.request.urlopen(f"{env['KINDRED_MAIL_URL']}/email", timeout=10) as answer:
        kept = json.load(answer)
    return [m for m in kept if any(to["address"] == address for to in m["to"])]


def wait_for_messages(env: dict, address: str, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while not (found := messages_to(env, address)):
        assert time.monotonic() < deadline, f"no message for {address} in {timeout:.0f} s"
        time.sleep(0.25)
    return found


def analyse_with_mail(env: dict, address: str, options: dict) -> tuple[dict, dict]:
    key = {"Authorization": f"Bearer {env['KINDRED_API_KEY']}"}
    body = {"account": ACCOUNT, "options": options, "notify_email": address}
    status, submitted = call("POST", f"{env['KINDRED_API_URL']}/analyses", body, key)
    assert status == 202, submitted
    return submitted, finished(submitted, 60)


def the_functions_queue(env: dict) -> CloudTaskQueue:
    """The functions' own queue adapter, signing bodies with the stack's key, as they do."""
    settings = Settings.from_env(env)
    key = (Path(env["KINDRED_HOME"]) / "tasks_body_key").read_text().strip()
    parent = f"projects/{settings.project}/locations/{settings.location}"
    return CloudTaskQueue(kindred_tasks_client(settings), parent, settings.tasks_url, Meter(),
                          settings.service_account, key)  # fmt: skip


def test_one_message_with_the_result_link_however_often_the_last_steps_run(fast_stack):
    env, address = fast_stack, f"{uuid.uuid4().hex[:12]}@example.com"
    submitted, result = analyse_with_mail(env, address, SMALL)
    assert result["status"] == "done", result
    [message] = wait_for_messages(env, address)
    assert submitted["results_url"] in message["text"]
    assert f'href="{submitted["results_url"]}"' in message["html"]
    assert ACCOUNT in message["subject"] and "is done" in message["subject"]
    assert "100% of the followers in scope analysed" in message["text"]
    assert f"{result['cost']['upstream_calls']:,}" in message["text"]
    # The last step and the mail step delivered again, under new task names.
    job, queue = submitted["id"], the_functions_queue(env)
    assert queue.enqueue("pipeline", f"{job}-rank-replay", Rank(analysis=job, batches=1))
    for n in range(2):
        assert queue.enqueue(
            "mail", f"{job}-mail-replay{n}", SendMail(analysis=job, kind="analysis")
        )
    log = Path(env["KINDRED_HOME"]) / "logs" / "function-tasks.log"
    deadline = time.monotonic() + 15
    while True:
        steps = [entry["step"] for entry in step_entries(log, job)]
        if steps.count("mail") >= 3 and steps.count("rank") >= 2:
            break
        assert time.monotonic() < deadline, f"the last steps were not delivered again: {steps}"
        time.sleep(0.25)
    assert len(messages_to(env, address)) == 1


def test_a_send_to_a_mail_server_that_is_down_is_retried_and_the_analysis_is_done(fast_stack):
    env, address = fast_stack, f"{uuid.uuid4().hex[:12]}@example.com"
    home = Path(env["KINDRED_HOME"])
    [mail] = [part for part in state.load(home).parts if part.name == "mail"]
    with quick_retries(env, "mail"):
        stop_pid(mail.pid)
        try:
            submitted, result = analyse_with_mail(env, address, {**SMALL, "results": 4})
            assert result["status"] == "done", result  # the mail step does not hold it up
            log = home / "logs" / "function-tasks.log"
            deadline = time.monotonic() + 15
            while not any(e["step"] == "mail" and e["outcome"] == "retry"
                          for e in step_entries(log, submitted["id"])):  # fmt: skip
                assert time.monotonic() < deadline, "no failed send was retried"
                time.sleep(0.25)
        finally:
            stack.restart(home, "mail")
        [message] = wait_for_messages(env, address)
    assert submitted["results_url"] in message["text"]
    assert call("GET", submitted["status_url"])[1]["status"] == "done"


class quick_retries:
    """The queue's retries a second apart while the test runs (queue.yaml's wait 30 s), then
    as they were."""

    def __init__(self, env: dict, queue: str):
        self.client, self.name = tasks_client(env), queue_path(env, queue)

    def __enter__(self) -> None:
        self.before = self.client.get_queue(name=self.name).retry_config
        quick = tasks_v2.RetryConfig(
            max_attempts=self.before.max_attempts,
            min_backoff=duration_pb2.Duration(seconds=1),
            max_backoff=duration_pb2.Duration(seconds=1),
            max_doublings=0,
        )
        self._set(quick)

    def __exit__(self, *exc: object) -> None:
        self._set(self.before)

    def _set(self, retry: tasks_v2.RetryConfig) -> None:
        queue = tasks_v2.Queue(name=self.name, retry_config=retry)
        mask = field_mask_pb2.FieldMask(paths=["retry_config"])
        self.client.update_queue(queue=queue, update_mask=mask)
