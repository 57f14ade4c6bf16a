"""On the running stack: the queue's own deliveries run (each body signed by the function that
enqueued it), while a genuine token captured from a delivery and replayed with another body
is refused before any work (decision 0005)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from google.cloud import tasks_v2
from support.api import analyse
from support.receiver import receiving
from support.stack import queue_path, tasks_client

from kindred.core import task_signature

ACCOUNT = "u6017542.ego-twitter.test"
SMALL = {"max_followers": 10, "max_follows_per_follower": 20, "top_candidates": 10, "results": 5}


def test_the_stacks_own_deliveries_are_signed_and_run(local_stack):
    result = analyse(local_stack, ACCOUNT, SMALL, timeout=120)
    assert result["status"] == "done" and result["similar"], result


def test_a_token_captured_from_a_delivery_replayed_with_another_body_is_refused(local_stack):
    tasks_url, home = local_stack["KINDRED_TASKS_URL"], Path(local_stack["KINDRED_HOME"])
    bearer = captured_token(local_stack, audience=tasks_url)
    key = (home / "tasks_body_key").read_text().strip()
    genuine = b'{"v":1,"step":"followers","analysis":"aaaaaaaaaaaaaaaaaaaaaa"}'
    signature = task_signature.sign(key, "followers", "t-1", genuine)
    before = graph_requests(local_stack)
    for n in range(20):
        forged = genuine.replace(b"aaaa", f"{n:04d}".encode())
        answer = post(f"{tasks_url}/followers", forged, bearer, "t-1", signature)
        assert answer == 401, n
    assert post(f"{tasks_url}/followers", genuine, bearer, "t-1", None) == 401  # unsigned
    assert post(f"{tasks_url}/followers", genuine, bearer, "t-2", signature) == 401  # renamed
    assert graph_requests(local_stack) == before  # no refused request reached the upstream
    # The control: the same token with the body it was signed for passes both checks (and
    # is then answered 200 as an unreadable message, which this made-up body is).
    assert post(f"{tasks_url}/followers", genuine, bearer, "t-1", signature) == 200


def captured_token(stack: dict, audience: str) -> str:
    """A token the emulator signed for the tasks function, caught by a receiver in its place."""
    client = tasks_client(stack)
    queue = client.create_queue(
        parent=queue_path(stack).rsplit("/queues/", 1)[0],
        queue=tasks_v2.Queue(name=queue_path(stack, "replay-capture")),
    )
    token = {"service_account_email": stack["KINDRED_SERVICE_ACCOUNT"], "audience": audience}
    with receiving() as receiver:
        client.create_task(
            parent=queue.name,
            task=tasks_v2.Task(http_request={"url": receiver.url("/capture"), "oidc_token": token}),
        )
        [arrival] = receiver.wait_for("/capture", 1)
    return arrival.headers["Authorization"].removeprefix("Bearer ")


def post(url: str, body: bytes, bearer: str, task: str, signature: str | None) -> int:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("content-type", "application/json")
    request.add_header("Authorization", f"Bearer {bearer}")
    request.add_header("X-CloudTasks-TaskName", task)
    if signature:
        request.add_header(task_signature.HEADER, signature)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def graph_requests(stack: dict) -> int:
    with urllib.request.urlopen(stack["KINDRED_GRAPH_URL"] + "/_stats", timeout=10) as response:
        return int(json.loads(response.read())["requests"])
