"""The HTTP client of kindred's API, as the CLI uses it: submit, poll, read the result."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import tenacity


class ApiError(RuntimeError):
    """The API refused a request or could not be reached; the message says what to do."""


class ApiUnreachable(ApiError):
    """No answer came (refused, reset, timed out): a read may be tried again."""


# A poll outlives a busy or restarting API (a 30 s timeout under load, a stack restart): a job
# runs on in the cloud whether or not its watcher hears from it, so one lost read is no reason
# for `--wait` to give up on it.
def patience() -> tenacity.Retrying:
    """Six tries of a status read, 1, 2, 4, 8 and 16 s apart."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(ApiUnreachable),
        stop=tenacity.stop_after_attempt(6),
        wait=tenacity.wait_exponential(multiplier=1, max=20),
        reraise=True,
    )


@dataclass(frozen=True)
class KindredApi:
    base_url: str
    api_key: str = ""
    timeout: float = 30.0
    patience: Callable[[], tenacity.Retrying] = field(default=patience, repr=False)

    def submit(
        self, account: str, provider: str, options: dict[str, int | str], email: str | None = None
    ) -> dict[str, Any]:
        """An analysis; with `email`, its one message when it ends goes there."""
        body: dict[str, Any] = {"account": account, "provider": provider, "options": options}
        if email is not None:
            body["notify_email"] = email
        return self._call("POST", "/analyses", json=body)

    def status(self, analysis: str) -> dict[str, Any]:
        return self._call("GET", f"/analyses/{analysis}")

    def result(self, analysis: str) -> dict[str, Any]:
        return self._call("GET", f"/analyses/{analysis}/results")

    def submit_collection(
        self,
        accounts: list[str],
        provider: str,
        options: dict[str, int | bool],
        from_analysis: str | None = None,
        top: int | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """The accounts named, or (`from_analysis`) the `top` most similar of an analysis;
        with `email`, its one message when it ends goes there."""
        body: dict[str, Any] = {"accounts": accounts, "provider": provider, "options": options}
        if from_analysis is not None:
            body = {"from_analysis": from_analysis, "options": options}
            if top is not None:
                body["top"] = top
        if email is not None:
            body["notify_email"] = email
        return self._call("POST", "/collections", json=body)

    def collection(self, collection: str) -> dict[str, Any]:
        return self._call("GET", f"/collections/{collection}")

    def submit_export(self, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/collections/{collection}/exports", json=body)

    def export(self, export: str) -> dict[str, Any]:
        return self._call("GET", f"/exports/{export}")

    def manifest(self, export: str) -> dict[str, Any]:
        return self._call("GET", f"/exports/{export}/manifest")

    def wait_export(
        self,
        export: str,
        on_status: Callable[[dict[str, Any]], None],
        every: float = 1.0,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Poll until done; calls on_status with each status; returns the manifest."""
        return self._poll(
            "export", self.export, lambda done: self.manifest(export), export, on_status, every,
            timeout,
        )  # fmt: skip

    def wait(
        self,
        analysis: str,
        on_status: Callable[[dict[str, Any]], None],
        every: float = 1.0,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Poll until done (or failed); calls on_status with each status; returns the result."""
        return self._poll(
            "analysis", self.status, lambda done: self.result(analysis), analysis,
            on_status, every, timeout,
        )  # fmt: skip

    def wait_collection(
        self,
        collection: str,
        on_status: Callable[[dict[str, Any]], None],
        every: float = 1.0,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Poll until done; calls on_status with each status; returns the last (its result)."""
        return self._poll(
            "collection", self.collection, lambda done: done, collection, on_status, every, timeout
        )

    def _poll(
        self,
        kind: str,
        read: Callable[[str], dict[str, Any]],
        finish: Callable[[dict[str, Any]], dict[str, Any]],
        job: str,
        on_status: Callable[[dict[str, Any]], None],
        every: float,
        timeout: float | None,
    ) -> dict[str, Any]:
        """Read the job's status until done (then `finish` of it) or failed (an ApiError)."""
        began = time.monotonic()
        while True:
            report = self.patience()(read, job)
            on_status(report)
            if report["status"] == "done":
                return finish(report)
            if report["status"] == "failed":
                error = report.get("error") or {}
                raise ApiError(
                    f"{kind} {job} failed ({error.get('reason', 'unknown')}): "
                    f"{error.get('message', 'the logs say more: kindred logs function:tasks')}"
                )
            if timeout is not None and time.monotonic() - began > timeout:
                raise ApiError(f"{kind} {job} is still {report['status']} after {timeout:.0f} s")
            time.sleep(every)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = self.base_url.rstrip("/") + path
        try:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            response = requests.request(
                method, url, timeout=self.timeout, headers=headers, **kwargs
            )
        except requests.RequestException as error:
            raise ApiUnreachable(
                f"cannot reach the kindred API at {self.base_url} ({type(error).__name__}); "
                "is the stack up? (`kindred up`)"
            ) from error
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text[:200]}
        if response.status_code >= 400:
            status = f"HTTP {response.status_code} {body.get('error')}"
            raise ApiError(f"{body.get('message')} ({status})")
        return body
