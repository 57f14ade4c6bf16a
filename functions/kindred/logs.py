"""kindred's log: one JSON object per line on stdout, in Cloud Logging's structured shape.

Cloud Functions parses each stdout line that is a JSON object: `severity`, `message` and
`time` become the entry's own, `logging.googleapis.com/sourceLocation` its source, and every
other key stays in `jsonPayload` (`analysis`, `step`, `task`, `upstream_calls`, ...), where
Logs Explorer can filter on it. Locally the same lines land in `.kindred/logs/function-*.log`
and `kindred logs` shows them readably.

Fields are given as `extra`: `log.info("...", extra={"analysis": id, "step": "follows"})`.
Nothing happens at import: the entry points call `setup()`, which configures once.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from typing import Any

from kindred.core.timestamps import rfc3339

log = logging.getLogger("kindred")

# What every LogRecord carries; anything else on a record came in `extra` and is a field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_lock = threading.Lock()


class JsonFormatter(logging.Formatter):
    """A record as one line of Cloud Logging's structured JSON."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            # In the message, as Error Reporting looks for a stack trace there.
            message += "\n" + self.formatException(record.exc_info)
        entry: dict[str, Any] = {
            "severity": record.levelname,  # Python's names are Cloud Logging's for these levels
            "message": message,
            "time": rfc3339(record.created, "microseconds"),
        }
        entry |= {key: value for key, value in record.__dict__.items() if key not in _STANDARD}
        if record.levelno >= logging.WARNING:
            entry["logging.googleapis.com/sourceLocation"] = {
                "file": record.pathname,
                "line": str(record.lineno),
                "function": record.funcName,
            }
        return json.dumps(entry, default=str, ensure_ascii=False)


class _Stdout(logging.StreamHandler):
    """Writes to whatever `sys.stdout` is when a record comes (the framework or a test may swap
    it after set-up), and flushes each line, so none waits in a buffer."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def setup(level: int = logging.INFO) -> logging.Logger:
    """Send the `kindred` logger's records to stdout as JSON lines; the second call does nothing.

    The logger does not propagate: a root handler that functions-framework may install would
    otherwise print each line a second time, unstructured.
    """
    with _lock:
        if not any(isinstance(handler, _Stdout) for handler in log.handlers):
            handler = _Stdout()
            handler.setFormatter(JsonFormatter())
            log.addHandler(handler)
        log.setLevel(level)
        log.propagate = False
    return log
