"""The page a person sees for an analysis: its progress while it runs (reloading itself every few
seconds), what to do when it failed, and the similar accounts when it is done.

`render` takes the status or result JSON as it is and reads every field with `.get`, so a field
missing or null shows as a dash instead of failing the page. Everything from the upstream
(handles, names, picture URLs) is escaped; the page loads nothing but the account pictures.
"""

from __future__ import annotations

import math
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

REFRESH_SECONDS = 3
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
)
DASH = "\u2013"
SEPARATOR = " \u00b7 "


def render(report: dict[str, Any]) -> str:
    """The whole page for a status or result report."""
    status = report.get("status")
    if status == "done":
        body = _done(report)
    elif status == "failed":
        body = _failed(report)
    else:
        body = _running(report)
    refresh = "" if status in ("done", "failed") else _refresh_meta()
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"{refresh}<title>{_title(report)}</title><style>{STYLE}</style></head>"
        f"<body data-status='{_text(status)}'><main>{_header(report)}{body}"
        f"{_links(report)}</main></body></html>"
    )


def _refresh_meta() -> str:
    return f"<meta http-equiv=refresh content={REFRESH_SECONDS}>"


def _title(report: dict[str, Any]) -> str:
    name = _account_name(_dict(report.get("account")))
    prefix = "Accounts like" if report.get("status") == "done" else "Analysing"
    return f"{prefix} {_text(name or report.get('id'))} \u00b7 kindred"


def _header(report: dict[str, Any]) -> str:
    account = _dict(report.get("account"))
    name = _account_name(account) or report.get("id") or "an account"
    handle = account.get("handle")
    picture = _avatar(account.get("avatar"), 64, "avatar target")
    followers = account.get("followers_count")
    facts = [f"@{_text(handle)}"] if handle else []
    if followers is not None:
        facts.append(f"{_count(followers)} followers")
    if report.get("provider"):
        facts.append(f"on {_text(report['provider'])}")
    return (
        f"<header>{picture}<div><p class=kicker>Accounts most like</p>"
        f"<h1>{_text(name)}</h1><p class=muted>{SEPARATOR.join(facts)}</p></div></header>"
    )


def _running(report: dict[str, Any]) -> str:
    progress = _dict(report.get("progress"))
    share = _share(progress.get("share"))
    left = progress.get("estimated_seconds_left", report.get("estimated_seconds_left"))
    facts = (
        ("followers analysed", _of(progress.get("followers_analyzed"), _in_scope(report))),
        ("upstream calls", _of(progress.get("upstream_calls"), _expected_calls(progress))),
        ("time left", _seconds_left(left)),
        ("submitted", _clock(report.get("created_at"), "%H:%M:%S %Z")),
    )
    return (
        f"<section class=running><p class=stage>{_stage(report.get('status'))}</p>"
        f"<progress id=progress max=1 value={share:.4f}>{_percent(share)}</progress>"
        f"<p class=share><b>{_percent(share)}</b> done</p>{_facts(facts)}"
        f"<p class=reload>This page reloads itself every {REFRESH_SECONDS} seconds.</p></section>"
    )


def _failed(report: dict[str, Any]) -> str:
    error = _dict(report.get("error"))
    reason = error.get("reason") or "unknown"
    message = error.get("message") or "No more is known. Submit the analysis again."
    return (
        f"<section class=failed role=alert><h2>The analysis failed: {_words(reason)}</h2>"
        f"<p>{_text(message)}</p><p class=muted>Stopped at {_clock(report.get('updated_at'))}."
        "</p></section>"
    )


def _done(report: dict[str, Any]) -> str:
    similar = [_dict(row) for row in _list(report.get("similar"))]
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
        ("followers analysed", _of(report.get("followers_analyzed"), in_scope)),
        ("coverage", _percent(coverage)),
        ("time taken", _duration(began, report.get("finished_at"))),
        ("upstream calls", _count(_dict(report.get("cost")).get("upstream_calls"))),
    )
    skipped = _skipped(_dict(report.get("skipped")))
    return (
        f"{_facts(facts)}<p class=note>Finished {_clock(report.get('finished_at'))}.{skipped}</p>"
    )


def _skipped(skipped: dict[str, Any]) -> str:
    if not skipped:
        return ""
    parts = ", ".join(f"{_count(n)} {_words(reason)}" for reason, n in sorted(skipped.items()))
    return f" Followers skipped: {parts}."


def _score_note(report: dict[str, Any]) -> str:
    analysed = _count(report.get("followers_analyzed"))
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
        f"<div><span class=name>{_text(name)}</span>"
        f"<span class=handle>{_handle(row.get('handle'), provider, breaks=True)}</span>"
        "</div></div></td>"
        f"<td class=n>{_count(row.get('overlap'))}</td>"
        f"<td class=n>{_count(row.get('followers_count'))}</td>"
        f"<td class=n>{_score(score)}</td></tr>"
    )


def _score(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else DASH


def _popular(report: dict[str, Any]) -> str:
    popular = [_dict(row) for row in _list(report.get("popular"))]
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
    name = _handle(row.get("handle"), report.get("provider")) or _text(row.get("id"))
    return (
        f"<li><span class=name>{name}</span><span class=n>{_count(row.get('overlap'))}</span></li>"
    )


def _cost(report: dict[str, Any]) -> str:
    cost = _dict(report.get("cost"))
    facts = tuple((label, _count(cost.get(key))) for key, label in COSTS if key in cost)
    return f"<section><h2>What it cost</h2>{_facts(facts)}</section>" if facts else ""


def _links(report: dict[str, Any]) -> str:
    analysis = quote(str(report.get("id") or ""), safe="")
    if not analysis:
        return ""
    return (
        f"<footer><a id=json-link href='/analyses/{analysis}/results?format=json'>result JSON</a>"
        f"<a id=status-link href='/analyses/{analysis}'>status JSON</a></footer>"
    )


def _facts(facts: tuple[tuple[str, str], ...]) -> str:
    items = "".join(f"<div><dt>{label}</dt><dd>{value}</dd></div>" for label, value in facts)
    return f"<dl class=facts>{items}</dl>"


def _stage(status: Any) -> str:
    return _text(STAGES.get(str(status), f"Status: {status}."))


def _handle(handle: Any, provider: Any, breaks: bool = False) -> str:
    """`@handle`, linked to the upstream's profile page where it has one; `breaks` lets a
    narrow column wrap it after its dots (u123.ego-twitter.test) rather than anywhere."""
    if not handle:
        return ""
    text = f"@{_text(handle)}"
    if breaks:
        text = text.replace(".", ".<wbr>")
    url = PROFILE_URLS.get(str(provider))
    if url is None:
        return text
    return f"<a href='{escape(url.format(handle=quote(str(handle), safe='')))}'>{text}</a>"


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
    progress = _dict(report.get("progress"))
    if progress.get("followers_in_scope") is not None:
        return progress["followers_in_scope"]
    return report.get("followers_in_scope")


def _expected_calls(progress: dict[str, Any]) -> Any:
    expected = progress.get("upstream_calls_expected")
    return f"~{_count(expected)}" if isinstance(expected, int | float) else expected


def _of(done: Any, total: Any) -> str:
    total_text = total if isinstance(total, str) else _count(total)
    return f"{_count(done)} <span class=muted>of {_text(total_text)}</span>"


def _percent(share: Any) -> str:
    """Rounded down, so that 100% means all of it (a coverage of 0.996 is 99%)."""
    if isinstance(share, bool) or not isinstance(share, int | float):
        return DASH
    return f"{math.floor(share * 100 + 1e-9)}%"


def _share(value: Any) -> float:
    return min(max(float(value), 0.0), 1.0) if isinstance(value, int | float) else 0.0


def _seconds_left(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or math.isnan(seconds):
        return "estimating\u2026"
    if seconds < 5:
        return "a few seconds"
    return f"about {_span(seconds)}"


def _duration(start: Any, end: Any) -> str:
    began, ended = _time(start), _time(end)
    if began is None or ended is None or ended < began:
        return DASH
    return _span((ended - began).total_seconds())


def _span(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    if minutes == 0:
        return f"{rest} s"
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _clock(value: Any, layout: str = "%Y-%m-%d %H:%M %Z") -> str:
    moment = _time(value)
    return DASH if moment is None else escape(moment.strftime(layout).strip())


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _count(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DASH
    return f"{value:,.0f}"


def _words(reason: Any) -> str:
    """A stable reason word (`upstream_error`) as words (upstream error)."""
    return _text(str(reason).replace("_", " "))


def _text(value: Any) -> str:
    return DASH if value is None else escape(str(value))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


STYLE = """
:root{color-scheme:light dark;--fg:#1d2228;--muted:#5d6670;--line:#e3e6ea;--bg:#fff;
--card:#f5f7f9;--accent:#2f6fde;--bad:#b3261e}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ec;--muted:#9aa3ad;--line:#2c3238;
--bg:#14171a;--card:#1d2126;--accent:#7aa7ff;--bad:#ff8a80}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:56rem;margin:0 auto;padding:1.5rem 1rem 3rem}
header{display:flex;gap:1rem;align-items:center;margin-bottom:1.25rem}
h1{font-size:1.7rem;margin:0;line-height:1.2;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:2rem 0 .5rem}
.kicker{margin:0;font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.muted,.note{color:var(--muted)}.muted{margin:.2rem 0}.note{font-size:.9rem;margin:.3rem 0 .8rem}
.avatar,.target{border-radius:50%;flex:none;background:var(--card);display:inline-block}
.stage{font-size:1.2rem;font-weight:600;margin:.5rem 0}
progress{width:100%;height:1.1rem;accent-color:var(--accent)}
.share{margin:.3rem 0 1rem}.reload{color:var(--muted);margin:1rem 0 0}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.6rem;margin:0}
.facts div{background:var(--card);border-radius:.5rem;padding:.6rem .8rem}
dt{font-size:.8rem;color:var(--muted)}dd{margin:0;font-size:1.1rem;font-weight:600}
.failed{border-left:4px solid var(--bad);padding:.2rem 1rem;background:var(--card)}
.failed h2{color:var(--bad);margin-top:.6rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:.4rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
th{font-size:.8rem;color:var(--muted);font-weight:600}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.who{display:flex;gap:.6rem;align-items:center;min-width:0}
.name{display:block;font-weight:600;overflow-wrap:break-word}
.handle{display:block;color:var(--muted);font-size:.85rem;overflow-wrap:break-word}
a{color:var(--accent)}
.popular{columns:2 16rem;column-gap:2rem;padding-left:2.2rem;margin:0}
.popular li{break-inside:avoid;padding:.15rem 0;font-variant-numeric:tabular-nums}
.popular li span.name{display:inline;font-weight:400}
.popular li span.n{color:var(--muted);margin-left:.5rem}
details{margin-top:.5rem}summary{cursor:pointer;color:var(--accent);margin-bottom:.3rem}
footer{margin-top:2rem;display:flex;gap:1.5rem;flex-wrap:wrap}
@media (max-width:34rem){main{padding:1rem .6rem 2rem}h1{font-size:1.35rem}
th,td{padding:.35rem .15rem;font-size:.88rem}th{font-size:.72rem}.who{gap:.4rem}
.who .avatar{width:26px;height:26px}.handle{font-size:.78rem}td.n,th.n{padding-left:.45rem}}
"""
