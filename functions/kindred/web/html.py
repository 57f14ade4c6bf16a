"""A readable page of a result: the ranked accounts with avatar, name, handle, overlap, score."""

from __future__ import annotations

from html import escape
from typing import Any


def render(result: dict[str, Any]) -> str:
    account = result.get("account", {})
    title = f"Accounts most like {escape(str(account.get('handle', result.get('id'))))}"
    if result.get("status") != "done":
        body = f"<p>This analysis is <b>{escape(str(result.get('status')))}</b>. Reload later.</p>"
    else:
        body = _summary(result) + _table(result.get("similar", []))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{title}</title><style>{STYLE}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def _summary(result: dict[str, Any]) -> str:
    return (
        f"<p>{result['followers_analyzed']:,} followers analysed "
        f"(coverage {result['coverage']:.0%}); "
        f"{result['cost']['upstream_calls']:,} upstream calls.</p>"
    )


def _table(similar: list[dict[str, Any]]) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{rank}</td>"
        f"<td><img src='{escape(s.get('avatar') or '')}' alt='' width=32 height=32></td>"
        f"<td>{escape(s['display_name'] or s['handle'])}</td>"
        f"<td>@{escape(s['handle'])}</td>"
        f"<td class=n>{s['overlap']:,}</td>"
        f"<td class=n>{s['followers_count']:,}</td>"
        f"<td class=n>{s['score']:.4f}</td>"
        "</tr>"
        for rank, s in enumerate(similar, 1)
    )
    columns = ("#", "", "name", "handle", "overlap", "followers", "score")
    head = "<tr>" + "".join(f"<th>{column}</th>" for column in columns) + "</tr>"
    return f"<table>{head}{rows}</table>"


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}"
    "table{border-collapse:collapse;width:100%}"
    "td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd}"
    "th{text-align:left}.n{text-align:right;font-variant-numeric:tabular-nums}img{border-radius:50%}"
)
