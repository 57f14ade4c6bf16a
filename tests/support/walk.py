"""Deliver every queued task of a fake world, checking each step hands on only what the step
table says it may (services.pipeline.HANDS_ON); returns the kinds of message delivered."""

from __future__ import annotations

from kindred.core.messages import KINDS, Message
from kindred.services import pipeline
from support.fakes import World


def deliver_all(world: World) -> set[type[Message]]:
    seen = set()
    while world.queue.pending:
        _, step, body = world.queue.pending.popleft()
        before = len(world.queue.names)
        pipeline.deliver(world.deps(), step, body)
        created = len(world.queue.names) - before
        handed = {
            KINDS[s] for _, s, _ in list(world.queue.pending)[len(world.queue.pending) - created :]
        }
        assert handed <= set(pipeline.HANDS_ON[KINDS[step]]), (step, handed)
        seen.add(KINDS[step])
    return seen
