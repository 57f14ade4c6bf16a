"""`kindred pull`: an export's shards into a folder, resumed from where a crash left them and
checked against the manifest's sha256 (issue I, part 2).

It replaces the seed's `split`, `rsync --progress` and `cat`: each shard is a plain HTTP GET
of its manifest URL (the Storage emulator's locally, a V4 signed URL in the cloud, so no
Google credentials), written to `DIR/{name}.part` and renamed to `DIR/{name}` only once its
sha256 matches. A `.part` goes on from its last byte (`Range: bytes=N-`); a shard already
there and right costs nothing but the manifest read. The pure rules (what to do given the disk,
what an answer means, the summary) are plain functions; `pull` is the thin shell around them.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

CHUNK = 1 << 16  # bytes a read: what a kill can lose beyond the .part, at most
TIMEOUT = (10.0, 60.0)  # connect, and between two reads of the body
ATTEMPTS = 6  # tries of one shard's transfer across connection errors and 5xx
BACKOFF = 0.5  # seconds, doubled each try up to MAX_BACKOFF
MAX_BACKOFF = 15.0
EXPORT_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class PullError(RuntimeError):
    """The pull cannot go on (bad manifest, unreachable source) or a shard failed: the message
    names the shard or the field and says what to do."""


class Retryable(RuntimeError):
    """A passing failure of one transfer (5xx, 429): tried again, from the .part."""


TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    Retryable,
)


# ---- the pure part -------------------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
    name: str
    url: str
    size: int
    sha256: str


def read_shards(manifest: Any) -> list[Shard]:
    """The manifest's shardlist, each entry checked; a PullError names the field that is wrong."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("shardlist"), list):
        raise PullError("the manifest has no `shardlist` list: is it a kindred export manifest?")
    shards, names = [], set()
    for index, entry in enumerate(manifest["shardlist"]):
        where = f"shardlist[{index}]"
        if not isinstance(entry, dict):
            raise PullError(f"the manifest's {where} is not an object")
        name, url, size, digest = (entry.get(k) for k in ("name", "url", "filesize", "sha256"))
        if not isinstance(name, str) or not _plain_name(name) or name in names:
            raise PullError(f"the manifest's {where}.name {name!r} is not a new plain file name")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise PullError(f"the manifest's {where}.url is not an http(s) URL")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise PullError(f"the manifest's {where}.filesize is not a byte count")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise PullError(f"the manifest's {where}.sha256 is not a hex sha256")
        names.add(name)
        shards.append(Shard(name, url, size, digest))
    return shards


def _plain_name(name: str) -> bool:
    """A name that stays in DIR and is not one of the pull's own files."""
    return (
        bool(re.fullmatch(r"[A-Za-z0-9._-]{1,255}", name))
        and name not in (".", "..", "manifest.json")
        and not name.endswith(".part")
    )


class Source(Enum):
    URL = "url"
    FILE = "file"
    EXPORT = "export"


def source_kind(source: str, is_file: bool) -> Source:
    """SOURCE of `kindred pull`: a manifest URL, a manifest file, or an export id."""
    if source.startswith(("http://", "https://")):
        return Source.URL
    if is_file:
        return Source.FILE
    if EXPORT_ID.fullmatch(source):
        return Source.EXPORT
    raise PullError(
        f"{source[:80]!r} is not an export id, a manifest URL (http(s)://...) or a manifest file"
    )


class Step(Enum):
    VERIFY = "verify"  # DIR/{name} has the manifest's size: hash it, download only if it differs
    RESUME = "resume"  # DIR/{name}.part holds a head of the shard: go on from its last byte
    FETCH = "fetch"  # nothing usable: from the first byte


def plan(shard: Shard, done_size: int | None, part_size: int | None) -> tuple[Step, int]:
    """What to do for a shard given the sizes of DIR/{name} and DIR/{name}.part (None when
    absent), and the offset to start from."""
    if done_size == shard.size:
        return Step.VERIFY, shard.size
    if part_size is not None and 0 < part_size <= shard.size:
        return Step.RESUME, part_size
    return Step.FETCH, 0


def range_header(offset: int) -> dict[str, str]:
    return {"Range": f"bytes={offset}-"} if offset else {}


class Answer(Enum):
    APPEND = "append"  # 206 from our offset: add the body to the .part
    RESTART = "restart"  # 200: the server ignored Range and sent it all: rewrite the .part
    START_OVER = "start_over"  # 416, or a range not ours: drop the .part, ask from byte 0
    RETRY = "retry"  # 5xx, 429, 408: a passing failure
    FAIL = "fail"  # any other status: no retry mends it


def answer(status: int, content_range: str | None, offset: int, size: int) -> Answer:
    """What an HTTP answer to `GET` with `range_header(offset)` means for the .part."""
    if status == 206:
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", (content_range or "").strip())
        if match and int(match[1]) == offset and match[3] in (str(size), "*"):
            return Answer.APPEND
        return Answer.START_OVER
    if status == 200:
        return Answer.RESTART
    if status == 416:
        return Answer.START_OVER
    if status in (408, 429) or status >= 500:
        return Answer.RETRY
    return Answer.FAIL


def refusal(shard: Shard, status: int, expires: str | None) -> str:
    """Why a shard's URL refused it, and what to do."""
    hint = "check the manifest's URL"
    if status in (400, 401, 403):
        hint = (
            f"its signed URL may have expired (urls_expire: {expires}); "
            "pull again by export id for fresh URLs"
            if expires
            else "pull again by export id for fresh URLs"
        )
    elif status == 404:
        hint = "the export's objects are gone from the bucket; export the collection again"
    return f"HTTP {status} at its URL: {hint}"


@dataclass
class Outcome:
    """One shard's pull, as the summary counts it."""

    name: str
    size: int
    step: str = ""  # skipped | downloaded | resumed
    bytes_fetched: int = 0
    hashed: int = 0  # sha256 checks run
    mismatches: int = 0  # sha256 checks that failed (each followed by one fetch from byte 0)
    restarts: int = 0  # answers that forced the .part to start over (200 to a Range, 416)
    retries: int = 0  # transfers tried again after a connection error or a 5xx
    error: str = ""


@dataclass(frozen=True)
class Summary:
    folder: str
    shards: int
    bytes: int
    verified: int
    downloaded: int
    resumed: int
    skipped: int
    failed: int
    bytes_fetched: int
    sha256_checked: int
    bytes_checked: int
    mismatches: int
    restarts: int
    retries: int
    seconds: float
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(folder: Path, outcomes: Iterable[Outcome], seconds: float) -> Summary:
    done = list(outcomes)
    ok = [o for o in done if not o.error]
    return Summary(
        folder=str(folder),
        shards=len(done),
        bytes=sum(o.size for o in done),
        verified=len(ok),
        downloaded=sum(o.step == "downloaded" for o in ok),
        resumed=sum(o.step == "resumed" for o in ok),
        skipped=sum(o.step == "skipped" for o in ok),
        failed=len(done) - len(ok),
        bytes_fetched=sum(o.bytes_fetched for o in done),
        sha256_checked=sum(o.hashed for o in done),
        bytes_checked=sum(o.hashed * o.size for o in done),
        mismatches=sum(o.mismatches for o in done),
        restarts=sum(o.restarts for o in done),
        retries=sum(o.retries for o in done),
        seconds=round(seconds, 3),
        errors={o.name: o.error for o in done if o.error},
    )


def report(summary: Summary, size: Callable[[int], str]) -> list[str]:
    """What the pull checked, in words; `size` renders bytes."""
    rate = summary.bytes_fetched / summary.seconds if summary.seconds > 0 else 0.0
    lines = [
        f"{summary.verified} of {summary.shards} shards ({size(summary.bytes)}) in "
        f"{summary.folder}, each matching the manifest's sha256",
        f"  {summary.downloaded} downloaded, {summary.resumed} resumed from a .part, "
        f"{summary.skipped} already there (no download)",
        f"  {size(summary.bytes_fetched)} fetched in {summary.seconds:.1f} s "
        f"({size(int(rate))}/s); sha256 checked {summary.sha256_checked} times "
        f"over {size(summary.bytes_checked)}",
    ]
    again = [
        (summary.mismatches, "sha256 mismatch", "fetched again from the start"),
        (summary.restarts, "range not honoured", "started over"),
        (summary.retries, "connection error or 5xx", "retried from the .part"),
    ]
    lines += [f"  {n} {what}: {done}" for n, what, done in again if n]
    lines += [f"  FAILED {name}: {error}" for name, error in summary.errors.items()]
    return lines


# ---- the shell -----------------------------------------------------------------------------


def load_manifest(source: str, from_api: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """The manifest of SOURCE: an export id (read through `from_api`), a URL or a file."""
    kind = source_kind(source, Path(source).is_file())
    if kind is Source.EXPORT:
        return from_api(source)
    if kind is Source.FILE:
        try:
            return json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise PullError(f"cannot read the manifest file {source}: {error}") from error
    try:
        response = requests.get(source, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise PullError(f"cannot reach the manifest at {source}: {error}") from error
    if response.status_code != 200:
        raise PullError(f"the manifest URL answered HTTP {response.status_code}: {source}")
    try:
        return response.json()
    except ValueError as error:
        raise PullError(f"the manifest at {source} is not JSON") from error


def pull(
    manifest: dict[str, Any],
    folder: Path,
    parallel: int = 4,
    on_bytes: Callable[[int], None] = lambda n: None,
    backoff: float = BACKOFF,
) -> Summary:
    """Every shard of the manifest into `folder`, `parallel` at once; DIR/manifest.json too."""
    shards = read_shards(manifest)
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(folder / "manifest.json", json.dumps(manifest, indent=2).encode())
    began = time.monotonic()
    expires = manifest.get("urls_expire")
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="pull") as pool:
        outcomes = list(
            pool.map(lambda s: _pull_shard(s, folder, on_bytes, backoff, expires), shards)
        )
    return summarize(folder, outcomes, time.monotonic() - began)


def already_there(manifest: dict[str, Any], folder: Path) -> int:
    """Bytes of the manifest's shards already in folder (whole or as a .part): the progress
    display's start."""
    total = 0
    for shard in read_shards(manifest):
        step, offset = plan(shard, _size(folder / shard.name), _size(_part(folder, shard)))
        total += offset if step is not Step.FETCH else 0
    return total


def _pull_shard(
    shard: Shard,
    folder: Path,
    on_bytes: Callable[[int], None],
    backoff: float,
    expires: str | None,
) -> Outcome:
    final, part = folder / shard.name, _part(folder, shard)
    outcome = Outcome(shard.name, shard.size)
    step, _ = plan(shard, _size(final), _size(part))
    try:
        if step is Step.VERIFY:
            outcome.hashed += 1
            if sha256_of(final) == shard.sha256:
                part.unlink(missing_ok=True)
                outcome.step = "skipped"
                return outcome
            outcome.mismatches += 1
            final.unlink()
            step = Step.FETCH
        if step is Step.FETCH:
            part.unlink(missing_ok=True)
        outcome.step = "resumed" if step is Step.RESUME else "downloaded"
        while True:
            _transfer(shard, part, outcome, on_bytes, backoff, expires)
            outcome.hashed += 1
            if sha256_of(part) == shard.sha256:
                part.replace(final)
                return outcome
            outcome.mismatches += 1
            part.unlink()
            if outcome.mismatches > 1:
                raise PullError(
                    "its sha256 differs from the manifest's again after a fetch from the start: "
                    "the object in the bucket is not the one the manifest describes; export again"
                )
    except PullError as error:
        outcome.error = str(error)
    except TRANSIENT as error:
        outcome.error = (
            f"gave up after {ATTEMPTS} tries ({type(error).__name__}: {error}); "
            "run the same pull again to resume from the .part"
        )
    except OSError as error:
        outcome.error = f"cannot write {part}: {error}"
    return outcome


def _transfer(
    shard: Shard,
    part: Path,
    outcome: Outcome,
    on_bytes: Callable[[int], None],
    backoff: float,
    expires: str | None,
) -> None:
    """Bring the .part to the shard's size, trying again (from the .part) on passing failures."""
    retrying = Retrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=backoff, max=MAX_BACKOFF),
        retry=retry_if_exception_type(TRANSIENT),
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            if attempt.retry_state.attempt_number > 1:
                outcome.retries += 1
            _one_request(shard, part, outcome, on_bytes, expires)


def _one_request(
    shard: Shard,
    part: Path,
    outcome: Outcome,
    on_bytes: Callable[[int], None],
    expires: str | None,
) -> None:
    """One GET from the .part's end (two when the server's answer makes it start over)."""
    for _ in range(2):
        offset = _size(part) or 0
        if offset > shard.size:
            part.unlink()
            offset = 0
        if offset == shard.size:
            return
        with requests.get(
            shard.url, headers=range_header(offset), stream=True, timeout=TIMEOUT
        ) as response:
            action = answer(
                response.status_code, response.headers.get("Content-Range"), offset, shard.size
            )
            if action is Answer.START_OVER:
                outcome.restarts += 1
                part.unlink(missing_ok=True)
                continue
            if action is Answer.RETRY:
                raise Retryable(f"HTTP {response.status_code}")
            if action is Answer.FAIL:
                raise PullError(refusal(shard, response.status_code, expires))
            if action is Answer.RESTART and offset:
                outcome.restarts += 1
            _write_body(response, part, action is Answer.APPEND, shard.size, outcome, on_bytes)
            return
    raise PullError("its URL kept answering a range other than the one asked for")


def _write_body(
    response: requests.Response,
    part: Path,
    append: bool,
    size: int,
    outcome: Outcome,
    on_bytes: Callable[[int], None],
) -> None:
    """The body onto the .part, unbuffered: what a kill leaves on disk is what came."""
    written = (_size(part) or 0) if append else 0
    with part.open("ab" if append else "wb", buffering=0) as out:
        for chunk in response.iter_content(CHUNK):
            if written + len(chunk) > size:
                raise PullError(f"its URL sent more than the manifest's {size:,} bytes")
            out.write(chunk)
            written += len(chunk)
            outcome.bytes_fetched += len(chunk)
            on_bytes(len(chunk))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _part(folder: Path, shard: Shard) -> Path:
    return folder / f"{shard.name}.part"


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
