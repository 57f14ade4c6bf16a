"""The page a person sees for an analysis: its progress while it runs (reloading itself every few
seconds), what to do when it failed, and the similar accounts when it is done.

`render` takes the status or result JSON as it is and reads every field with `.get`, so a field
missing or null shows as a dash instead of failing the page. Everything from the upstream
(handles, names, picture URLs) is escaped; the page loads nothing but the account pictures.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from kindred.web import page
from kindred.web.page import (
    as_dict,
    as_list,
    clock,
    count,
    duration,
    of,
    percent,
    seconds_left,
    text,
    words,
)

POPULAR_SHOWN = 20  # the rest of the most-followed accounts is folded away
STAGES = {
    "queued": "Waiting for its turn: other analyses are crawling first.",
    "followers": "Listing the account's followers.",
    "follows": "Reading whom each follower follows.",
    "aggregating": "Counting the accounts the followers follow.",
    "profiles": "Looking up the profiles of the most-followed accounts.",
    "done": "Done.",
    "failed": "Failed.",
}
PROFILE_URLS = {"bluesky": "https://bsky.app/profile/{handle}"}  # providers with a public page
COSTS = (
    ("upstream_calls", "upstream calls"),
    ("tasks", "tasks"),
    ("firestore_writes", "Firestore writes"),
    ("firestore_reads", "Firestore reads"),
    ("storage_writes", "Storage writes"),
    ("storage_reads", "Storage reads"),
)


def render(report: dict[str, Any]) -> str:
    """The whole page for a status or result report."""
    status = report.get("status")
    body = page.body(report, {"done": _done, "failed": _failed, "running": _running})
    return page.document(_title(report), status, _header(report), body, _links(report))


def _title(report: dict[str, Any]) -> str:
    name = _account_name(as_dict(report.get("account")))
    prefix = "Accounts like" if report.get("status") == "done" else "Analysing"
    return f"{prefix} {text(name or report.get('id'))}"


def _header(report: dict[str, Any]) -> str:
    account = as_dict(report.get("account"))
    name = _account_name(account) or report.get("id") or "an account"
    handle = account.get("handle")
    picture = _avatar(account.get("avatar"), 64, "avatar target")
    followers = account.get("followers_count")
    facts = [f"@{text(handle)}"] if handle else []
    if followers is not None:
        facts.append(f"{count(followers)} followers")
    if report.get("provider"):
        facts.append(f"on {text(report['provider'])}")
    return page.header(picture, "Accounts most like", name, facts)


def _running(report: dict[str, Any]) -> str:
    progress = as_dict(report.get("progress"))
    left = progress.get("estimated_seconds_left", report.get("estimated_seconds_left"))
    facts: tuple[tuple[str, str], ...] = (
        ("followers analysed", of(progress.get("followers_analyzed"), _in_scope(report))),
        ("upstream calls", of(progress.get("upstream_calls"), _expected_calls(progress))),
        ("time left", seconds_left(left)),
        ("submitted", clock(report.get("created_at"), "%H:%M:%S %Z")),
    )
    fast = as_dict(progress.get("fast"))
    if fast:  # fast mode: what its last decision rested on
        facts = (
            ("round", count(fast.get("round"))),
            ("followers sampled", of(fast.get("followers_sampled"), _in_scope(report))),
            ("candidates verified", count(fast.get("candidates_verified"))),
            ("confidence so far", percent(fast.get("confidence"))),
            ("upstream calls, as planned so far", facts[1][1]),
            facts[-1],
        )
    stage = STAGES.get(str(report.get("status")), f"Status: {report.get('status')}.")
    return page.running(stage, progress.get("share"), facts) + _interim(report)


def _interim(report: dict[str, Any]) -> str:
    """The ranking so far (the status's `interim`), with what it rests on and how it moved."""
    shown = as_dict(report.get("interim"))
    rows = [as_dict(row) for row in as_list(shown.get("results"))]
    if not rows:
        return ""
    moved = as_dict(shown.get("moved"))
    since = (
        f" Since the interim before, {percent(moved.get('changed'))} of these accounts are new."
        if moved
        else ""
    )
    note = (
        f"<p class=note id=interim-note>Ranked over the {count(shown.get('followers'))} "
        f"followers read so far, in {count(shown.get('groups'))} groups "
        f"({percent(shown.get('basis'))} of the audience), by <i>overlap share</i>: the share "
        "of those followers who follow the account. The similarity score needs each "
        "account's own follower count, which comes with the profiles at the end, so this "
        f"order is the audience overlap alone, and names come at the end too.{since}</p>"
    )
    head = (
        "<thead><tr><th class=n>#</th><th>account</th><th class=n>overlap</th>"
        "<th class=n>share</th></tr></thead>"
    )
    body = "".join(
        f"<tr><td class=n>{rank}</td><td>{_account_id(row.get('id'), report.get('provider'))}</td>"
        f"<td class=n>{count(row.get('overlap'))}</td><td class=n>{_score(row.get('score'))}</td>"
        "</tr>"
        for rank, row in enumerate(rows, 1)
    )
    return (
        f"<section id=interim><h2>So far</h2>{note}<div class=scroll>"
        f"<table id=interim-table>{head}<tbody>{body}</tbody></table></div></section>"
    )


def _account_id(account: Any, provider: Any) -> str:
    """An account known by its id only (a DID), linked where the upstream has profile pages."""
    shown = f"<code>{text(account)}</code>"
    url = PROFILE_URLS.get(str(provider))
    if url is None or not account:
        return shown
    return f"<a href='{escape(url.format(handle=quote(str(account), safe=':')))}'>{shown}</a>"


def _failed(report: dict[str, Any]) -> str:
    error = as_dict(report.get("error"))
    reason = error.get("reason") or "unknown"
    message = error.get("message") or "No more is known. Submit the analysis again."
    return page.failed(f"The analysis failed: {words(reason)}", message, report.get("updated_at"))


def _done(report: dict[str, Any]) -> str:
    similar = [as_dict(row) for row in as_list(report.get("similar"))]
    return (
        f"{_summary(report)}<section><h2>Similar accounts</h2>{_score_note(report)}"
        f"{_similar_table(similar, report.get('provider'))}</section>"
        f"{_popular(report)}{_cost(report)}"
    )


def _summary(report: dict[str, Any]) -> str:
    in_scope = report.get("followers_in_scope", _in_scope(report))
    coverage = report.get("coverage")
    began = report.get("started_at") or report.get("created_at")
    facts = (
        ("followers analysed", of(report.get("followers_analyzed"), in_scope)),
        ("coverage", percent(coverage)),
        ("from stored follows", count(report.get("followers_reused"))),
        ("time taken", duration(began, report.get("finished_at"))),
        ("upstream calls", count(as_dict(report.get("cost")).get("upstream_calls"))),
    )
    skipped = _skipped(as_dict(report.get("skipped")))
    finished = clock(report.get("finished_at"))
    estimate = _estimate(report) if report.get("estimate") else ""
    return f"{page.facts(facts)}{estimate}<p class=note>Finished {finished}.{skipped}</p>"


def _estimate(report: dict[str, Any]) -> str:
    """What a fast analysis read, and how sure its answer is."""
    fast = as_dict(report.get("fast"))
    facts = (
        ("followers sampled", of(fast.get("followers_sampled"), report.get("followers_in_scope"))),
        ("candidates verified", of(fast.get("candidates_verified"), fast.get("candidates"))),
        ("read in part, out of reach", count(fast.get("candidates_bounded"))),
        ("confidence", percent(report.get("confidence"))),
        ("exact mode", f"about {count(fast.get('upstream_calls_exact'))} calls"),
    )
    return (
        f"<p class=note id=estimate><b>An estimate</b> (fast mode): the follows of a sample "
        f"of the followers, and the exact overlap of the candidates near the cut, read from "
        f"their own followers; expected to be {percent(report.get('confidence'))} the exact "
        f"answer. Overlaps marked ~ are the sample's estimates.</p>{page.facts(facts)}"
    )


def _skipped(skipped: dict[str, Any]) -> str:
    if not skipped:
        return ""
    parts = ", ".join(f"{count(n)} {words(reason)}" for reason, n in sorted(skipped.items()))
    return f" Followers skipped: {parts}."


def _score_note(report: dict[str, Any]) -> str:
    analysed = count(report.get("followers_analyzed"))
    if as_dict(report.get("options")).get("score") == "weighted":
        return (
            "<p class=note id=score-note>The score is a selectivity-weighted cosine: each of "
            f"the F = {analysed} analysed followers votes 1 / (the accounts it follows), and "
            "score = W / \u221a(N \u00d7 followers), where <i>W</i> sums the votes of the "
            "followers who follow that account and <i>N</i> the squared votes of all F; a "
            "follower who follows few accounts says more than one who follows thousands.</p>"
        )
    return (
        "<p class=note id=score-note>The score is the cosine similarity of the two follower sets: "
        "overlap / \u221a(F \u00d7 followers), where <i>overlap</i> is how many of the "
        f"F = {analysed} analysed followers also follow that account; 1 means the same audience, "
        "0 none in common.</p>"
    )


def _similar_table(similar: list[dict[str, Any]], provider: Any) -> str:
    if not similar:
        return "<p class=muted>No similar accounts were found.</p>"
    head = (
        "<thead><tr><th class=n>#</th><th>account</th><th class=n>overlap</th>"
        "<th class=n>followers</th><th class=n>score</th></tr></thead>"
    )
    rows = "".join(_similar_row(rank, row, provider) for rank, row in enumerate(similar, 1))
    return f"<div class=scroll><table id=similar>{head}<tbody>{rows}</tbody></table></div>"


def _similar_row(rank: int, row: dict[str, Any], provider: Any) -> str:
    name = row.get("display_name") or row.get("handle") or row.get("id")
    score = row.get("score")
    return (
        f"<tr><td class=n>{rank}</td><td><div class=who>{_avatar(row.get('avatar'), 36)}"
        f"<div><span class=name>{text(name)}</span>"
        f"<span class=handle>{_handle(row.get('handle'), provider, breaks=True)}</span>"
        "</div></div></td>"
        f"<td class=n>{'' if row.get('verified', True) else '~'}{count(row.get('overlap'))}</td>"
        f"<td class=n>{count(row.get('followers_count'))}</td>"
        f"<td class=n>{_score(score)}</td></tr>"
    )


def _score(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else page.DASH


def _popular(report: dict[str, Any]) -> str:
    popular = [as_dict(row) for row in as_list(report.get("popular"))]
    if not popular:
        return ""
    items = [_popular_item(row, report) for row in popular]
    shown = "".join(items[:POPULAR_SHOWN])
    rest = items[POPULAR_SHOWN:]
    more = (
        f"<details><summary>the other {len(rest):,}</summary>"
        f"<ol class=popular start={POPULAR_SHOWN + 1}>{''.join(rest)}</ol></details>"
        if rest
        else ""
    )
    return (
        "<section><h2>Most followed by the followers</h2><p class=note>The accounts the most "
        "analysed followers follow, with how many do, before scoring: big accounts that everyone "
        f"follows come first here and lower in the score.</p><ol class=popular>{shown}</ol>"
        f"{more}</section>"
    )


def _popular_item(row: dict[str, Any], report: dict[str, Any]) -> str:
    name = _handle(row.get("handle"), report.get("provider")) or text(row.get("id"))
    return (
        f"<li><span class=name>{name}</span><span class=n>{count(row.get('overlap'))}</span></li>"
    )


def _cost(report: dict[str, Any]) -> str:
    cost = as_dict(report.get("cost"))
    facts = tuple((label, count(cost.get(key))) for key, label in COSTS if key in cost)
    return f"<section><h2>What it cost</h2>{page.facts(facts)}</section>" if facts else ""


def _links(report: dict[str, Any]) -> str:
    analysis = quote(str(report.get("id") or ""), safe="")
    if not analysis:
        return ""
    return (
        f"<footer><a id=json-link href='/analyses/{analysis}/results?format=json'>result JSON</a>"
        f"<a id=status-link href='/analyses/{analysis}'>status JSON</a></footer>"
    )


def _handle(handle: Any, provider: Any, breaks: bool = False) -> str:
    """`@handle`, linked to the upstream's profile page where it has one; `breaks` lets a
    narrow column wrap it after its dots (u123.ego-twitter.test) rather than anywhere."""
    if not handle:
        return ""
    shown = f"@{text(handle)}"
    if breaks:
        shown = shown.replace(".", ".<wbr>")
    url = PROFILE_URLS.get(str(provider))
    if url is None:
        return shown
    return f"<a href='{escape(url.format(handle=quote(str(handle), safe='')))}'>{shown}</a>"


def _avatar(url: Any, size: int, css: str = "avatar") -> str:
    if not (isinstance(url, str) and url.startswith(("https://", "http://"))):
        return f"<span class='{css} none' style='width:{size}px;height:{size}px'></span>"
    return (
        f"<img class='{css}' src='{escape(url)}' alt='' width={size} height={size} "
        "referrerpolicy=no-referrer>"
    )


def _account_name(account: dict[str, Any]) -> str | None:
    return account.get("display_name") or account.get("handle")


def _in_scope(report: dict[str, Any]) -> Any:
    progress = as_dict(report.get("progress"))
    if progress.get("followers_in_scope") is not None:
        return progress["followers_in_scope"]
    return report.get("followers_in_scope")


def _expected_calls(progress: dict[str, Any]) -> Any:
    expected = progress.get("upstream_calls_expected")
    return f"~{count(expected)}" if isinstance(expected, int | float) else expected
