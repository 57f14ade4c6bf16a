"""What every kindred page shares: the document around it, its style, the header, the facts,
the progress bar, and how numbers, times and upstream text are written (always escaped).

Each helper takes a value as a report holds it and writes a dash for one missing or of the
wrong type, so a page never fails on a field it lacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any

REFRESH_SECONDS = 3
DASH = "\u2013"
SEPARATOR = " \u00b7 "


def document(title: str, status: Any, header: str, body: str, footer: str) -> str:
    """The whole page; one still running reloads itself every REFRESH_SECONDS."""
    refresh = "" if status in ("done", "failed") else refresh_meta()
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"{refresh}<title>{title} \u00b7 kindred</title><style>{STYLE}</style></head>"
        f"<body data-status='{text(status)}'><main>{header}{body}{footer}</main></body></html>"
    )


def body(report: dict[str, Any], pages: dict[str, Callable[[dict[str, Any]], str]]) -> str:
    """The part of `pages` ("done", "failed", "running") for the report's status: running
    for any status not done or failed (the stages of a job still going)."""
    status = report.get("status")
    return pages[status if status in ("done", "failed") else "running"](report)


def header(picture: str, kicker: str, name: Any, facts: list[str]) -> str:
    return (
        f"<header>{picture}<div><p class=kicker>{kicker}</p>"
        f"<h1>{text(name)}</h1><p class=muted>{SEPARATOR.join(facts)}</p></div></header>"
    )


def running(stage: str, done: Any, shown: tuple[tuple[str, str], ...]) -> str:
    """The stage, a progress bar at `done` (a share), and the facts beneath it."""
    part = share(done)
    return (
        f"<section class=running><p class=stage>{text(stage)}</p>"
        f"<progress id=progress max=1 value={part:.4f}>{percent(part)}</progress>"
        f"<p class=share><b>{percent(part)}</b> done</p>{facts(shown)}"
        f"<p class=reload>This page reloads itself every {REFRESH_SECONDS} seconds.</p></section>"
    )


def failed(what: str, message: str, when: Any) -> str:
    """What failed (already escaped), what to do, and when it stopped."""
    return (
        f"<section class=failed role=alert><h2>{what}</h2>"
        f"<p>{text(message)}</p><p class=muted>Stopped at {clock(when)}.</p></section>"
    )


def size(value: Any) -> str:
    """Bytes as people read them: 980 B, 9.7 MB, 1.2 GB (powers of 1,000)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DASH
    if value < 1000:
        return f"{value:,.0f} B"
    value /= 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:,.1f} GB"


def refresh_meta() -> str:
    return f"<meta http-equiv=refresh content={REFRESH_SECONDS}>"


def facts(facts: tuple[tuple[str, str], ...]) -> str:
    items = "".join(f"<div><dt>{label}</dt><dd>{value}</dd></div>" for label, value in facts)
    return f"<dl class=facts>{items}</dl>"


def of(done: Any, total: Any) -> str:
    total_text = total if isinstance(total, str) else count(total)
    return f"{count(done)} <span class=muted>of {text(total_text)}</span>"


def percent(share: Any) -> str:
    """Rounded down, so that 100% means all of it (a coverage of 0.996 is 99%)."""
    if isinstance(share, bool) or not isinstance(share, int | float):
        return DASH
    return f"{math.floor(share * 100 + 1e-9)}%"


def share(value: Any) -> float:
    return min(max(float(value), 0.0), 1.0) if isinstance(value, int | float) else 0.0


def seconds_left(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or math.isnan(seconds):
        return "estimating\u2026"
    if seconds < 5:
        return "a few seconds"
    return f"about {span(seconds)}"


def duration(start: Any, end: Any) -> str:
    began, ended = moment(start), moment(end)
    if began is None or ended is None or ended < began:
        return DASH
    return span((ended - began).total_seconds())


def span(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    if minutes == 0:
        return f"{rest} s"
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def clock(value: Any, layout: str = "%Y-%m-%d %H:%M %Z") -> str:
    when = moment(value)
    return DASH if when is None else escape(when.strftime(layout).strip())


def moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def count(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DASH
    return f"{value:,.0f}"


def words(reason: Any) -> str:
    """A stable reason word (`upstream_error`) as words (upstream error)."""
    return text(str(reason).replace("_", " "))


def text(value: Any) -> str:
    return DASH if value is None else escape(str(value))


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
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
a{color:var(--accent)}.bad{color:var(--bad)}
code{font-size:.78rem;overflow-wrap:anywhere;color:var(--muted)}td.files{min-width:12rem}
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
