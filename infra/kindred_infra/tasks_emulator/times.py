"""Conversions between protobuf Timestamp/Duration and float seconds, the emulator's time unit."""

from __future__ import annotations

from google.protobuf import duration_pb2, timestamp_pb2


def seconds(value: timestamp_pb2.Timestamp | duration_pb2.Duration) -> float:
    """Seconds (since the epoch for a Timestamp) as a float."""
    return value.seconds + value.nanos / 1e9


def set_time(target: timestamp_pb2.Timestamp, when: float) -> None:
    target.FromNanoseconds(round(when * 1e9))


def set_duration(target: duration_pb2.Duration, length: float) -> None:
    target.FromNanoseconds(round(length * 1e9))
