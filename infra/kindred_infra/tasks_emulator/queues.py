"""Queue values as Cloud Tasks keeps them: defaults for unset fields, limits, UpdateQueue masks.

Proto3 cannot tell 0 from "unset", so, like the real service, a 0 rate, burst, concurrency,
attempt count, backoff or doubling count means "pick the default".
"""

from __future__ import annotations

import math

from google.cloud import tasks_v2
from google.protobuf import field_mask_pb2

from . import names, times
from .backoff import RetryPolicy
from .errors import InvalidArgument

DEFAULT_RATE = 500.0
DEFAULT_CONCURRENT = 1000
DEFAULTS = RetryPolicy()  # 100 attempts, no age limit, 0.1 s .. 3600 s, 16 doublings
MAX_RATE, MAX_BURST, MAX_CONCURRENT = 500.0, 500, 5000
_MUTABLE = (
    "rate_limits",
    "retry_config",
    "http_target",
    "app_engine_routing_override",
    "stackdriver_logging_config",
)


def prepare_new(queue: tasks_v2.Queue, parent: str) -> tasks_v2.Queue:
    """The queue CreateQueue stores: validated, defaults filled, RUNNING; raises InvalidArgument."""
    names.parent(parent)
    names.queue(queue.name)
    if names.parent_of(queue.name) != parent:
        raise InvalidArgument(f"queue name {queue.name} is not under parent {parent}")
    fresh = tasks_v2.Queue(name=queue.name, state=tasks_v2.Queue.State.RUNNING)
    _copy_mutable(queue, fresh)
    return complete(fresh)


def apply_update(
    current: tasks_v2.Queue | None, update: tasks_v2.Queue, paths: list[str]
) -> tasks_v2.Queue:
    """UpdateQueue: copy the masked fields (all mutable ones if none) onto the queue, creating
    it when it does not exist, as Cloud Tasks does. Raises InvalidArgument."""
    names.queue(update.name)
    merged = tasks_v2.Queue(name=update.name, state=tasks_v2.Queue.State.RUNNING)
    if current is not None:
        merged = tasks_v2.Queue.deserialize(tasks_v2.Queue.serialize(current))
    if not paths:
        _copy_mutable(update, merged)
        return complete(merged)
    for path in paths:
        if path.split(".")[0] not in _MUTABLE:
            raise InvalidArgument(f"update_mask path {path!r} is not one of {list(_MUTABLE)}")
    mask = field_mask_pb2.FieldMask(paths=paths)
    if not mask.IsValidForDescriptor(tasks_v2.Queue.pb().DESCRIPTOR):
        raise InvalidArgument(f"update_mask {paths} names a field that Queue does not have")
    mask.MergeMessage(
        tasks_v2.Queue.pb(update), tasks_v2.Queue.pb(merged), replace_message_field=True
    )
    return complete(merged)


def complete(queue: tasks_v2.Queue) -> tasks_v2.Queue:
    """Fill unset limits with Cloud Tasks' defaults and check the ranges; raises InvalidArgument."""
    limits = tasks_v2.Queue.pb(queue).rate_limits
    limits.max_dispatches_per_second = limits.max_dispatches_per_second or DEFAULT_RATE
    limits.max_burst_size = limits.max_burst_size or default_burst(limits.max_dispatches_per_second)
    limits.max_concurrent_dispatches = limits.max_concurrent_dispatches or DEFAULT_CONCURRENT
    retry = tasks_v2.Queue.pb(queue).retry_config
    retry.max_attempts = retry.max_attempts or DEFAULTS.max_attempts
    retry.max_doublings = retry.max_doublings or DEFAULTS.max_doublings
    if not times.seconds(retry.min_backoff):
        times.set_duration(retry.min_backoff, DEFAULTS.min_backoff)
    if not times.seconds(retry.max_backoff):
        times.set_duration(retry.max_backoff, DEFAULTS.max_backoff)
    _check(queue)
    return queue


def default_burst(rate: float) -> int:
    """Cloud Tasks picks a burst "generally at least equal to max_dispatches_per_second"."""
    return max(1, min(MAX_BURST, math.ceil(rate)))


def policy(queue: tasks_v2.Queue) -> RetryPolicy:
    """The queue's retry settings as plain seconds, for the dispatcher."""
    retry = tasks_v2.Queue.pb(queue).retry_config
    return RetryPolicy(
        max_attempts=retry.max_attempts,
        max_retry_duration=times.seconds(retry.max_retry_duration),
        min_backoff=times.seconds(retry.min_backoff),
        max_backoff=times.seconds(retry.max_backoff),
        max_doublings=retry.max_doublings,
    )


def _copy_mutable(source: tasks_v2.Queue, target: tasks_v2.Queue) -> None:
    source_pb, target_pb = tasks_v2.Queue.pb(source), tasks_v2.Queue.pb(target)
    for field in _MUTABLE:
        target_pb.ClearField(field)
        if source_pb.HasField(field):
            getattr(target_pb, field).CopyFrom(getattr(source_pb, field))


def _check(queue: tasks_v2.Queue) -> None:
    limits, retry = queue.rate_limits, tasks_v2.Queue.pb(queue).retry_config
    where = f"queue {queue.name}"
    if not 0 < limits.max_dispatches_per_second <= MAX_RATE:
        raise InvalidArgument(
            f"{where}: max_dispatches_per_second {limits.max_dispatches_per_second:g}"
            f" is not in (0, {MAX_RATE:g}]"
        )
    if not 0 < limits.max_burst_size <= MAX_BURST:
        raise InvalidArgument(f"{where}: max_burst_size {limits.max_burst_size} is not in [1, 500]")
    if not 0 < limits.max_concurrent_dispatches <= MAX_CONCURRENT:
        raise InvalidArgument(
            f"{where}: max_concurrent_dispatches {limits.max_concurrent_dispatches}"
            f" is not in [1, {MAX_CONCURRENT}]"
        )
    if retry.max_attempts < -1:
        raise InvalidArgument(f"{where}: max_attempts {retry.max_attempts} is below -1")
    if retry.max_doublings < 0:
        raise InvalidArgument(f"{where}: max_doublings {retry.max_doublings} is negative")
    low, high = times.seconds(retry.min_backoff), times.seconds(retry.max_backoff)
    if low < 0 or high < low or times.seconds(retry.max_retry_duration) < 0:
        raise InvalidArgument(
            f"{where}: backoffs must satisfy 0 <= min_backoff ({low:g} s) <= max_backoff"
            f" ({high:g} s) and max_retry_duration >= 0"
        )
