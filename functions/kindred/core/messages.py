"""Step messages: what one pipeline step hands the next, as frozen, versioned values.

A message is the whole input of one step. It rides in a Cloud Task's body as JSON, and tasks
in flight outlive a deploy, so every message says its version (`v`) and is read only whole:
a field missing or of the wrong type refuses the message with a reason (`BadMessage`), never
half-reads it. Version 0, the plain payloads written before messages were versioned, has the
same fields with the delivery bookkeeping at the top level; it is read as version 1.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kindred.core.cost import Meter
from kindred.core.media import CollectOptions, MediaImage
from kindred.core.options import AnalysisOptions, options_from_stored
from kindred.core.pagination import PageState

VERSION = 1
READABLE = (0, 1)


class BadMessage(ValueError):
    """A task body that is not a whole message of a known step and version: it is refused."""


@dataclass(frozen=True)
class Delivery:
    """How a message reached its step: the windows it waited out, the task it first was."""

    waits: int = 0
    task_base: str | None = None


FIRST_DELIVERY = Delivery()
FIRST_PAGE = PageState()


@dataclass(frozen=True, kw_only=True)
class Message:
    STEP: ClassVar[str]

    analysis: str
    cost: Meter = field(default_factory=Meter)  # what the steps before it spent
    delivery: Delivery = FIRST_DELIVERY

    def to_dict(self) -> dict[str, Any]:
        body = {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"v": VERSION, "step": self.STEP, **body}

    def with_cost(self, cost: Meter) -> Message:
        return dataclasses.replace(self, cost=cost)


@dataclass(frozen=True, kw_only=True)
class UpstreamMessage(Message):
    """A step that makes one upstream call: it runs on the provider's queue."""

    provider: str


@dataclass(frozen=True, kw_only=True)
class PageFollowers(UpstreamMessage):
    """Read one page of the target's followers; start their group; go on to the next page."""

    STEP = "followers"
    target: str
    options: AnalysisOptions
    group: int
    page: PageState = FIRST_PAGE


@dataclass(frozen=True, kw_only=True)
class LookupFollows(Message):
    """Count a group's followers whose follows are stored and fresh (core.reuse); chain over
    the others. No upstream call: it runs on the pipeline queue."""

    STEP = "lookup"
    provider: str
    options: AnalysisOptions
    group: int
    followers: tuple[str, ...]
    skipped: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ReadFollows(UpstreamMessage):
    """Read one page of a follower's follows, in the chain over one group of followers."""

    STEP = "follows"
    options: AnalysisOptions
    group: int
    followers: tuple[str, ...]  # those still to read: the group's but the reused
    index: int = 0
    page: PageState = FIRST_PAGE
    tally: str = ""  # the carried counts, encoded (core.tally)
    parts: tuple[str, ...] = ()  # counts spilled to Cloud Storage
    counted: int = 0
    skipped: Mapping[str, int] = field(default_factory=dict)
    reused: int = 0  # the group's followers served from stored follows (core.reuse)
    listing: str | None = None  # this follower's follows so far, to store (core.reuse.carry)
    # The weighted score (core.weights): this follower's accounts, until its weight is known.
    pending: str = ""
    pending_parts: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Aggregate(Message):
    """Merge every group's counts and pick the candidates."""

    STEP = "aggregate"


@dataclass(frozen=True, kw_only=True)
class RankInterim(Message):
    """Rank the candidates over the followers read so far: an interim result (core.interim)."""

    STEP = "interim"
    reached: int  # the step of core.interim.STEPS (a round of the crawl) it was asked at


@dataclass(frozen=True, kw_only=True)
class FetchProfiles(UpstreamMessage):
    """Fetch one batch of the candidates' profiles."""

    STEP = "profiles"
    batch: int = 0


@dataclass(frozen=True, kw_only=True)
class Rank(Message):
    """Score the candidates with the profile batches fetched, and record the result."""

    STEP = "rank"
    batches: int = 0


# Fast mode (services/fast.py, core/sampling.py): a sample in rounds, candidates verified.


@dataclass(frozen=True, kw_only=True)
class SampleFollowers(Message):
    """Read a chunk of the stored follower pages; start a follows chain (a group, as in the
    exact mode) over each hundred of those whose sample key lies between `low` and `high`."""

    STEP = "sample"
    provider: str  # the chains' provider: this step itself makes no upstream call
    options: AnalysisOptions
    round: int
    low: int  # the sample's share before this round, parts per million
    high: int  # and after it
    pages: int  # follower pages stored
    group: int  # the next group's number
    verified: int  # candidates verified before this round (its record says so)
    page: int = 0  # the next stored page to read
    carried: tuple[str, ...] = ()  # sampled followers not yet in a group


@dataclass(frozen=True, kw_only=True)
class Estimate(Message):
    """Once a round has ended: merge the sample's counts; the first time, pick the candidates."""

    STEP = "estimate"
    round: int
    final: bool = False  # the sweeper's: finish with what there is


@dataclass(frozen=True, kw_only=True)
class Decide(Message):
    """Weigh what has been read (core.sampling.decide): sample more, verify, or finish."""

    STEP = "decide"
    round: int
    final: bool = False
    batches: int = 0  # after the first round: the candidates' profile batches


@dataclass(frozen=True, kw_only=True)
class ReadCandidate(UpstreamMessage):
    """Read one page of a candidate's followers, to count exactly those who follow the target."""

    STEP = "candidate"
    candidate: str
    index: int  # its place among the candidates
    round: int
    cap: int  # followers to read at most: its profile's count and a page more
    followers: int = 0  # its profile's count: what is left unread is that less what was read
    stop_below: int = 0  # an overlap: stop once what was found and what is left cannot reach it
    page: PageState = FIRST_PAGE
    seen: str = ""  # the followers read so far, as hashes (services.fast)
    parts: tuple[str, ...] = ()  # hashes spilled to Cloud Storage


# Media collection (services/collect.py). `analysis` is the job's id: here the collection's.


@dataclass(frozen=True, kw_only=True)
class StartCollection(Message):
    """Start the feed chains of the next batch of the collection's accounts."""

    STEP = "collect"
    offset: int = 0


@dataclass(frozen=True, kw_only=True)
class ReadMedia(UpstreamMessage):
    """Read one page of an account's posts with media; hand on one FetchBlob per new image."""

    STEP = "media"
    account: str
    index: int  # the account's place in the collection's list
    options: CollectOptions
    page: PageState = FIRST_PAGE
    images: int = 0  # distinct images handed on so far
    seen: str = ""  # SEEN_CHARS-character tails of the CIDs handed on, concatenated
    did: str = ""
    skipped: Mapping[str, int] = field(default_factory=dict)
    pds: str = ""  # the account's PDS (its DID document's), once resolved; "" for `local`


@dataclass(frozen=True, kw_only=True)
class FetchBlob(UpstreamMessage):
    """Store one image unless it is stored already. `provider` is the blob host's budget
    (`local-blobs`): the step runs on that queue; `source` is the provider it comes from."""

    STEP = "blob"
    source: str
    index: int
    image: MediaImage
    pds: str = ""  # where getBlob goes: the account's PDS; "" is the provider's own URL


@dataclass(frozen=True, kw_only=True)
class CheckAccount(Message):
    """Once an account's feed is read: wait until each image it handed on has an outcome."""

    STEP = "mediacheck"
    source: str
    account: str
    index: int
    did: str
    handle: str
    images: int
    pages: int
    skipped: Mapping[str, int] = field(default_factory=dict)
    round: int = 0


# Dataset export (services/export.py). `analysis` is the job's id: here the export's.


@dataclass(frozen=True, kw_only=True)
class ExportMessage(Message):
    """A step of an export: it reads and writes Cloud Storage only, on the export queue."""


@dataclass(frozen=True, kw_only=True)
class PlanExport(ExportMessage):
    """List the collection's files, plan every shard (core.shards), start one WriteShard each."""

    STEP = "exportplan"


@dataclass(frozen=True, kw_only=True)
class WriteShard(ExportMessage):
    """Write one planned shard from the stored files, streaming; the shard is the unit a
    retry redoes, and a finished one (its marker) is never redone."""

    STEP = "shard"
    shard: int  # its place in the plan


@dataclass(frozen=True, kw_only=True)
class FinishExport(ExportMessage):
    """Once every shard has its marker: write the manifest, mark the export done."""

    STEP = "exportfinish"


# The e-mail a job ends with (services/notices.py). `analysis` is the job's id.


@dataclass(frozen=True, kw_only=True)
class SendMail(Message):
    """Send the job's one message to its `notify_email`, on the mail queue; a failed send is
    retried by the queue, and never changes the job."""

    STEP = "mail"
    kind: str  # "analysis" or "collection"


KINDS: dict[str, type[Message]] = {
    kind.STEP: kind
    for kind in (
        PageFollowers, LookupFollows, ReadFollows, RankInterim, Aggregate, FetchProfiles, Rank,
        SampleFollowers, Estimate, Decide, ReadCandidate,
        StartCollection, ReadMedia, FetchBlob, CheckAccount,
        PlanExport, WriteShard, FinishExport, SendMail,
    )
}  # fmt: skip


def from_dict(step: str, raw: object) -> Message:
    """The message of `step` in a task body; raises BadMessage saying what is wrong."""
    kind = KINDS.get(step)
    if kind is None:
        raise BadMessage(f"no step {step[:40]!r}; known: {', '.join(KINDS)}")
    if not isinstance(raw, Mapping):
        raise BadMessage(f"a {step} task body must be a JSON object, not {type(raw).__name__}")
    version = raw.get("v", 0)
    if version not in READABLE:
        raise BadMessage(f"a {step} message of version {version!r}; this code reads {READABLE}")
    if raw.get("step", step) != step:
        raise BadMessage(f"a {raw.get('step')!r} message delivered to the {step} step")
    body = dict(raw)
    if version == 0:  # the delivery bookkeeping sat beside the payload's own keys
        body["delivery"] = {key: body.pop(key) for key in ("waits", "task_base") if key in body}
    hints = typing.get_type_hints(kind)
    values = {}
    for f in dataclasses.fields(kind):
        if f.name not in body:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise BadMessage(f"a {step} message without {f.name!r}")
            continue
        try:
            values[f.name] = _decode(hints[f.name], body[f.name])
        except (TypeError, ValueError, KeyError) as error:
            raise BadMessage(f"a {step} message whose {f.name!r} is wrong: {error}") from None
    return kind(**values)


def _encode(value: Any) -> Any:
    if isinstance(value, PageState | Meter):
        return value.to_dict() if isinstance(value, PageState) else value.as_dict()
    if isinstance(value, AnalysisOptions):
        return value.as_dict()
    if isinstance(value, Delivery | MediaImage | CollectOptions):
        return dataclasses.asdict(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _decode(hint: Any, value: Any) -> Any:
    if hint is PageState:
        return PageState.from_dict(_mapping(value))
    if hint is Meter:
        return Meter.from_dict(_mapping(value))
    if hint is AnalysisOptions:
        return options_from_stored(_mapping(value))
    if hint is Delivery:
        raw = _mapping(value)
        return Delivery(_integer(raw.get("waits", 0)), _optional_text(raw.get("task_base")))
    if hint in (MediaImage, CollectOptions):
        return _plain(hint, _mapping(value))
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, found {value!r:.80}")
        return value
    if hint == int | None:
        return None if value is None else _integer(value)
    if hint == str | None:
        return _optional_text(value)
    if hint == tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise TypeError(f"expected a list of strings, found {value!r:.80}")
        return tuple(value)
    if hint == Mapping[str, int]:
        return {_text(key): _integer(count) for key, count in _mapping(value).items()}
    if hint is int:
        return _integer(value)
    if hint is str:
        return _text(value)
    raise TypeError(f"no decoding for {hint}")  # a message field of a type not listed here


def _plain(kind: Any, raw: Mapping[str, Any]) -> Any:
    """A flat frozen dataclass of plain fields, each field decoded by its hint."""
    hints = typing.get_type_hints(kind)
    names = {f.name for f in dataclasses.fields(kind)}
    return kind(**{key: _decode(hints[key], item) for key, item in raw.items() if key in names})


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, found {value!r:.80}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, found {value!r:.80}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, found {value!r:.80}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)
