"""The local stack as a user meets it: its `stack.env`, unmodified Google clients, plain HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

from support.receiver import receiving

from kindred.config import Settings
from kindred_infra.check import run_checks
from kindred_infra.stack.plan import tasks_signing_key
from kindred_infra.tasks_emulator import oidc

LARGEST = "u115485051.ego-twitter.test"


def test_every_part_answers_a_round_trip(local_stack, monkeypatch):
    for key, value in local_stack.items():
        monkeypatch.setenv(key, value)
    results = run_checks(Settings.from_env(os.environ))
    assert [(r.part, r.ok) for r in results] == [
        ("firestore", True),
        ("storage", True),
        ("tasks", True),
        ("graph", True),
        ("api", True),
        ("mail", True),
    ], [r.detail for r in results]


TASKS_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, uuid
    import grpc
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    channel = grpc.insecure_channel(os.environ["CLOUD_TASKS_EMULATOR_HOST"])
    client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    project, location = os.environ["GOOGLE_CLOUD_PROJECT"], os.environ["KINDRED_LOCATION"]
    parent = f"projects/{project}/locations/{location}"
    queue = client.create_queue(parent=parent, queue=tasks_v2.Queue(
        name=f"{parent}/queues/five-a-second-{uuid.uuid4().hex[:8]}",
        rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=5, max_burst_size=1),
    ))
    for i in range(25):
        client.create_task(parent=queue.name, task=tasks_v2.Task(
            name=f"{queue.name}/tasks/t{i}",
            http_request=tasks_v2.HttpRequest(url=sys.argv[1], body=f"t{i}".encode()),
        ))
    try:
        client.create_task(parent=queue.name, task=tasks_v2.Task(
            name=f"{queue.name}/tasks/t0", http_request=tasks_v2.HttpRequest(url=sys.argv[1])))
        print(json.dumps({"repeat": "accepted"}))
    except AlreadyExists:
        print(json.dumps({"repeat": "ALREADY_EXISTS"}))
    """
)


def test_a_script_with_only_the_tasks_client_gets_rate_and_dedup(local_stack):
    env = {"PATH": os.environ["PATH"], **local_stack}
    with receiving() as receiver:
        done = subprocess.run(
            [sys.executable, "-c", TASKS_SCRIPT, receiver.url("/rate")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"repeat": "ALREADY_EXISTS"}
        arrivals = receiver.wait_for("/rate", 25, timeout=20)
        time.sleep(0.5)  # long enough for a second delivery of any of them to show
        assert len(receiver.at("/rate")) == 25
    bodies = sorted(arrival.body for arrival in arrivals)
    assert bodies == sorted(f"t{i}".encode() for i in range(25))  # each once
    spread = arrivals[-1].at - arrivals[0].at
    assert 3.5 <= spread <= 8.0, f"25 tasks at 5/s arrived over {spread:.1f} s"


def test_paging_through_all_followers_of_the_largest_account(local_stack):
    base = local_stack["KINDRED_GRAPH_URL"] + "/xrpc/app.bsky.graph.getFollowers"
    seen: list[str] = []
    cursor = None
    while True:
        url = f"{base}?actor={LARGEST}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        with urllib.request.urlopen(url, timeout=10) as response:
            page = json.loads(response.read())
        seen += [follower["did"] for follower in page["followers"]]
        cursor = page.get("cursor")
        if not cursor:
            break
    assert len(seen) == 3383 == len(set(seen))


def forge(url: str, payload: dict, authorization: str | None) -> int:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST")
    request.add_header("content-type", "application/json")
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_task_handlers_refuse_requests_that_did_not_come_from_the_queue(local_stack, tmp_path):
    """Tokens a stranger signed, or the stack's own key signed for another audience or
    account, or long expired: each refused by the check the cloud runs, before any work."""
    stack_key = oidc.SigningKey.load(tasks_signing_key(Path(local_stack["KINDRED_HOME"])))
    stranger = oidc.SigningKey.load(oidc.ensure_key_file(tmp_path / "stranger.pem"))
    url = local_stack["KINDRED_TASKS_URL"] + "/followers"
    payload = {"analysis": "forged0000000000", "provider": "local", "target": "x", "group": 0}
    audience, email = local_stack["KINDRED_TASKS_URL"], local_stack["KINDRED_SERVICE_ACCOUNT"]
    now = time.time()
    before = graph_requests(local_stack)
    forged = [
        stranger.sign(audience, email, now),
        stack_key.sign("http://elsewhere.example/followers", email, now),
        stack_key.sign(audience, "evil@x.iam.gserviceaccount.com", now),
        stack_key.sign(audience, email, now - 7200),
    ]
    assert forge(url, payload, None) == 401
    assert [forge(url, payload, "Bearer " + token) for token in forged] == [401] * 4
    assert graph_requests(local_stack) == before  # no refused request reached the upstream


def test_the_functions_check_task_tokens_against_the_emulators_certificates(local_stack):
    certs_url = local_stack["KINDRED_GOOGLE_CERTS_URL"]
    with urllib.request.urlopen(certs_url, timeout=10) as response:
        certs = json.loads(response.read())
    stack_key = oidc.SigningKey.load(tasks_signing_key(Path(local_stack["KINDRED_HOME"])))
    assert certs == stack_key.certs()


def graph_requests(stack: dict) -> int:
    with urllib.request.urlopen(stack["KINDRED_GRAPH_URL"] + "/_stats", timeout=10) as response:
        return json.loads(response.read())["requests"]
