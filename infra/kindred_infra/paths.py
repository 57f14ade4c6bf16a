"""Where the repository, its bundled data and the local stack's state live."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
DEFAULT_GRAPH = DATA / "ego-twitter" / "twitter_combined.txt.gz"  # bundled: see its README
QUEUE_YAML = REPO / "queue.yaml"
FUNCTIONS_SOURCE = REPO / "functions"
FIRESTORE_EMULATOR_DIR = REPO / "infra" / "firestore-emulator"
# The bucket's lifecycle rules: stored follows lists (kindred.core.reuse) deleted at 30 days.
BUCKET_LIFECYCLE = REPO / "infra" / "bucket-lifecycle.json"
MAILDEV_DIR = REPO / "infra" / "maildev"  # the local stack's mail server (npm maildev, pinned)


def stack_home() -> Path:
    """The local stack's state folder: `.kindred/` in the repository unless KINDRED_HOME says."""
    return Path(os.environ.get("KINDRED_HOME", REPO / ".kindred")).resolve()
