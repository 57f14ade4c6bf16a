"""The sweeper moves a stalled collection on: blob tasks lost (their images never get an
outcome) or a feed chain lost, the unfinished accounts' checks are forced once the collection
has made no progress for `stale_seconds`, and it ends `done`, saying what it missed."""

from __future__ import annotations

import pytest
from support.collection import DEACTIVATED, EMPTY
from support.fakes import World
from support.media_session import ServiceSession, graph_over, media_service

from kindred.core.media import CollectOptions
from kindred.core.messages import CheckAccount, FetchBlob, ReadMedia
from kindred.services import collect, pipeline
from kindred.services.sweep import sweep
from kindred_infra import paths
from kindred_infra.graph_server.graph import load_graph

pytestmark = pytest.mark.unit
NO_MEDIA = EMPTY
OVER_CAP = "u626373.ego-twitter.test"  # 36 images of its own: over a cap of 20
LOST = 5


@pytest.fixture(scope="module")
def service():
    return media_service(load_graph(paths.DEFAULT_GRAPH))


def run(world: World, lose) -> list[tuple[str, str, dict]]:
    """Deliver every task but those `lose` drops; the checks are kept back (waiting on their
    `at`, which the fake queue does not keep) and returned."""
    waiting = []
    while world.queue.pending:
        task = world.queue.pending.popleft()
        if task[1] == CheckAccount.STEP:
            waiting.append(task)
        elif not lose(task):
            pipeline.deliver(world.deps(), task[1], task[2])
    return waiting


def deliver(world: World, tasks) -> None:
    for _, step, body in tasks:
        pipeline.deliver(world.deps(), step, body)


def test_lost_blob_tasks_are_counted_missing_and_the_collection_ends(service):
    world = World([], graph=graph_over(ServiceSession(service)))
    collection = collect.submit(
        world.deps(), [NO_MEDIA, OVER_CAP, DEACTIVATED], "local", CollectOptions(20)
    )
    lost: list[str] = []

    def lose(task) -> bool:  # five of OVER_CAP's blob tasks vanish from the queue
        if task[1] == FetchBlob.STEP and task[2]["index"] == 1 and len(lost) < LOST:
            lost.append(task[2]["image"]["cid"])
            return True
        return False

    waiting = run(world, lose)
    assert len(lost) == LOST and collect.status(world.deps(), collection)["status"] == "running"
    assert sweep(world.deps()) == []  # not stale yet
    world.clock.time += world.settings.stale_seconds + 1
    assert sweep(world.deps()) == [collection]
    assert world.queue.pending  # the forced checks
    deliver(world, list(world.queue.pending))
    world.queue.pending.clear()

    result = collect.status(world.deps(), collection)
    assert result["status"] == "done"
    by_account = {a["account"]: a for a in result["accounts"]}
    over = by_account[OVER_CAP]
    assert (over["status"], over["images"], over["missing"]) == ("done", 20 - LOST, LOST)
    assert by_account[DEACTIVATED]["reason"] == "deactivated"  # its check, forced, as usual
    assert by_account[NO_MEDIA]["images"] == 0
    deliver(world, waiting)  # the checks that waited come at last: nothing counted twice
    assert collect.status(world.deps(), collection) == result
    world.clock.time += world.settings.stale_seconds + 1
    assert sweep(world.deps()) == []  # a done collection is left alone


def test_an_account_whose_feed_chain_was_lost_is_recorded_as_stalled(service):
    world = World([], graph=graph_over(ServiceSession(service)))
    collection = collect.submit(world.deps(), [NO_MEDIA, OVER_CAP], "local", CollectOptions(20))
    waiting = run(world, lambda task: task[1] == ReadMedia.STEP and task[2]["index"] == 1)
    assert waiting == []
    world.clock.time += world.settings.stale_seconds + 1
    assert sweep(world.deps()) == [collection]
    result = collect.status(world.deps(), collection)
    assert result["status"] == "done" and result["progress"]["accounts_failed"] == 1
    stalled = result["accounts"][1]
    assert (stalled["account"], stalled["status"], stalled["reason"]) == (
        OVER_CAP, "failed", "stalled",
    )  # fmt: skip
