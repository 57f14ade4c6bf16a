"""The analysis pipeline: every step, the message it takes, and what it hands on.

    submit ──> PageFollowers ──> PageFollowers ...          one task per page of followers
                    │  └──> [followers record] ──> Aggregate   once every group is recorded
                    ├──> LookupFollows ─┐                   with max_age: stored follows first
                    └──> ReadFollows ──> ReadFollows ...    a group: one chain per page of them
                              │  └──> [checkpoint] ──> RankInterim ──> [interim]   at a step
                              └──> [group record] ──> Aggregate        of the crawl (progressive.py)
                                        └──> RankInterim     (a lookup serving all: at once)
    Aggregate ──> FetchProfiles ──> FetchProfiles ... ──> Rank ──> [result]
    sweeper ──> Aggregate | Rank | Estimate                 a stalled analysis, moved on

    fast mode (fast.py): PageFollowers keeps its pages ──> SampleFollowers ──> ReadFollows ...
        ──> Estimate ──> (FetchProfiles ...) ──> Decide ──> SampleFollowers | ReadCandidate ...
        ──> Estimate ──> Decide ... ──> [result]

    collect ──> StartCollection ──> ReadMedia ──> ReadMedia ...   media: a chain per account
                                        ├──> FetchBlob            one per image, blob queue
                                        └──> CheckAccount ──> [account record]  (collect.py)

    export ──> PlanExport ──> WriteShard x N ──> [shard marker] ──> FinishExport   (export.py)

    Rank | a failed analysis | a collection's last account ──> SendMail     with notify_email:
                    the job's one message, on the mail queue (notices.py, send_mail.py)

A step makes at most one upstream call; those that do run on the provider's queue, whose
rate is the upstream budget, export steps on the export queue, SendMail on the mail queue,
the others on the pipeline queue. Each step's code is in the module the table names; `send`
is how every step hands on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindred.core.messages import (
    Aggregate,
    CheckAccount,
    Decide,
    Estimate,
    FetchBlob,
    FetchProfiles,
    FinishExport,
    LookupFollows,
    Message,
    PageFollowers,
    PlanExport,
    Rank,
    RankInterim,
    ReadCandidate,
    ReadFollows,
    ReadMedia,
    SampleFollowers,
    SendMail,
    StartCollection,
    WriteShard,
    from_dict,
)
from kindred.services import (
    aggregate,
    collect,
    crawl,
    export,
    fast,
    progressive,
    rank,
    send_mail,
)
from kindred.services.deps import Deps

Step = Callable[[Deps, Any], None]

STEPS: dict[type[Message], Step] = {
    PageFollowers: crawl.followers_step,
    LookupFollows: crawl.lookup_step,
    ReadFollows: crawl.follows_step,
    RankInterim: progressive.interim_step,
    Aggregate: aggregate.aggregate_step,
    FetchProfiles: rank.profiles_step,
    Rank: rank.rank_step,
    SampleFollowers: fast.sample_step,
    Estimate: fast.estimate_step,
    Decide: fast.decide_step,
    ReadCandidate: fast.candidate_step,
    StartCollection: collect.start_step,
    ReadMedia: collect.media_step,
    FetchBlob: collect.fetch_step,
    CheckAccount: collect.check_step,
    PlanExport: export.plan_step,
    WriteShard: export.shard_step,
    FinishExport: export.finish_step,
    SendMail: send_mail.mail_step,
}

HANDS_ON: dict[type[Message], tuple[type[Message], ...]] = {
    # SendMail: the analysis failed
    PageFollowers: (
        PageFollowers,
        LookupFollows,
        ReadFollows,
        Aggregate,
        SampleFollowers,
        SendMail,
    ),
    LookupFollows: (ReadFollows, Aggregate, RankInterim),
    ReadFollows: (ReadFollows, Aggregate, RankInterim, Estimate),
    RankInterim: (),
    Aggregate: (FetchProfiles, Rank),
    FetchProfiles: (FetchProfiles, Rank, Decide),
    Rank: (SendMail,),
    SampleFollowers: (SampleFollowers, ReadFollows, Estimate),
    Estimate: (FetchProfiles, Decide),
    Decide: (SampleFollowers, ReadCandidate, Estimate, SendMail),  # SendMail: it ended
    ReadCandidate: (ReadCandidate, Estimate),
    StartCollection: (StartCollection, ReadMedia),
    ReadMedia: (ReadMedia, FetchBlob, CheckAccount, SendMail),  # SendMail: the last account
    FetchBlob: (),
    CheckAccount: (CheckAccount, SendMail),
    PlanExport: (WriteShard, FinishExport),
    WriteShard: (FinishExport,),
    FinishExport: (),
    SendMail: (),
}


def run(deps: Deps, message: Message) -> None:
    """Run the step the message is for; raises what the step raises (see `core.retry`)."""
    STEPS[type(message)](deps, message)


def deliver(deps: Deps, step: str, body: object) -> None:
    """A task body as Cloud Tasks delivers it to `step`; raises BadMessage if it is not one."""
    run(deps, from_dict(step, body))
