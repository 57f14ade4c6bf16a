"""Deterministic names of an export's documents, objects and tasks (as `collection_names`
does for a collection): a repeated step finds its own earlier work."""

from __future__ import annotations

EXPORTS = "exports"


def export_doc(export: str) -> str:
    return f"{EXPORTS}/{export}"


def shards_collection(export: str) -> str:
    """One `create()` marker per finished shard: their count is the export's progress."""
    return f"{EXPORTS}/{export}/shards"


def shard_doc(export: str, shard: int) -> str:
    return f"{shards_collection(export)}/s{shard:06d}"


def prefix(export: str) -> str:
    return f"exports/{export}/"


def shard_blob(export: str, name: str) -> str:
    return f"{prefix(export)}{name}"


def manifest_blob(export: str) -> str:
    """Written last: its existence means the export is complete."""
    return f"{prefix(export)}manifest.json"


def plan_blob(export: str, shard: int) -> str:
    """The shard's plan (core.shards.Shard): its samples, the objects they are read from."""
    return f"{prefix(export)}_plan/{shard:06d}.json"


def plan_task(export: str) -> str:
    return f"{export}-plan"


def shard_task(export: str, shard: int) -> str:
    return f"{export}-shard{shard:06d}"


def finish_task(export: str) -> str:
    return f"{export}-finish"
