"""The page a person sees for a media collection: its progress while it runs (reloading itself),
what to do when it failed, and once done what it stored, account by account, and where.

`render` takes `GET /collections/{id}`'s JSON as it is, reading every field with `.get` (a
missing one shows as a dash); handles, DIDs and reasons come from the upstream: all escaped.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from kindred.web import page
from kindred.web.page import as_dict, as_list, clock, count, duration, of, seconds_left, size, text

# Why an account failed, in plain words (the reasons of services.collect and core.retry).
REASONS = {
    "deactivated": "the account is deactivated",
    "suspended": "the account is suspended",
    "not_found": "no such account",
    "private": "the account is private",
    "blocked": "the account blocks viewers",
    "stalled": "its feed was not read to the end before the collection stalled",
    "upstream_error": "the upstream kept failing",
    "rate_limited": "the upstream kept refusing: over its rate limit",
    "cid_mismatch": "the bytes served did not match their CID",
}


def render(report: dict[str, Any]) -> str:
    """The whole page for a collection's status report."""
    status = report.get("status")
    body = page.body(report, {"done": _done, "failed": _failed, "running": _running})
    title = f"{'Collected' if status == 'done' else 'Collecting'} {_accounts_named(report)}"
    return page.document(title, status, _header(report), body, _links(report))


def _accounts_named(report: dict[str, Any]) -> str:
    total = as_dict(report.get("progress")).get("accounts_total")
    return f"the media of {count(total)} account{'' if total == 1 else 's'}"


def _header(report: dict[str, Any]) -> str:
    options = as_dict(report.get("options"))
    facts = [f"collection {text(report.get('id'))}"]
    if report.get("provider"):
        facts.append(f"on {text(report['provider'])}")
    if options.get("max_per_account") is not None:
        facts.append(f"at most {count(options['max_per_account'])} images an account")
    name = _accounts_named(report)
    return page.header("", "Media collection", name[0].upper() + name[1:], facts)


def _running(report: dict[str, Any]) -> str:
    progress = as_dict(report.get("progress"))
    reading = progress.get("accounts_reading")
    stage = (
        "Fetching the last images: every feed is read."
        if reading == 0 and progress.get("images_pending")
        else "Reading the accounts' feeds and fetching their images."
    )
    facts = (
        ("accounts ended", _accounts(progress)),
        ("images stored", _images(progress)),
        ("bytes stored", size(progress.get("bytes_stored"))),
        ("upstream calls", count(progress.get("upstream_calls"))),
        ("time left", seconds_left(progress.get("seconds_left"))),
        ("submitted", clock(report.get("created_at"), "%H:%M:%S %Z")),
    )
    return page.running(stage, progress.get("share"), facts)


def _accounts(progress: dict[str, Any]) -> str:
    done, failed = progress.get("accounts_done"), progress.get("accounts_failed")
    ended = done + failed if isinstance(done, int) and isinstance(failed, int) else None
    failures = f" <span class=muted>({count(failed)} failed)</span>"
    return f"{of(ended, progress.get('accounts_total'))}{failures}"


def _images(progress: dict[str, Any]) -> str:
    pending = progress.get("images_pending")
    more = f" <span class=muted>({count(pending)} to fetch)</span>" if pending else ""
    return f"{count(progress.get('images_stored'))}{more}"


def _failed(report: dict[str, Any]) -> str:
    error = as_dict(report.get("error"))
    reason = error.get("reason") or "unknown"
    message = error.get("message") or (
        "No more is known. Submit the collection again: the images already stored are "
        "not fetched twice."
    )
    what = f"The collection failed: {_reason(reason)}"
    return page.failed(what, message, report.get("finished_at") or report.get("updated_at"))


def _done(report: dict[str, Any]) -> str:
    progress = as_dict(report.get("progress"))
    facts = (
        ("accounts", _accounts(progress)),
        ("images stored", count(progress.get("images_stored"))),
        ("fetched / already stored", f"{count(progress.get('images_fetched'))} / "
                                     f"{count(progress.get('images_already_stored'))}"),
        ("bytes stored", size(progress.get("bytes_stored"))),
        ("time taken", duration(report.get("created_at"), report.get("finished_at"))),
        ("upstream calls", count(progress.get("upstream_calls"))),
    )  # fmt: skip
    accounts = [as_dict(row) for row in as_list(report.get("accounts"))]
    return (
        f"{page.facts(facts)}<p class=note>Finished {clock(report.get('finished_at'))}.</p>"
        f"<section><h2>Accounts</h2>{_table(accounts, progress)}</section>"
    )


def _table(accounts: list[dict[str, Any]], progress: dict[str, Any]) -> str:
    if not accounts:
        total = count(progress.get("accounts_total"))
        return f"<p class=muted>The {total} accounts are too many to list here.</p>"
    head = (
        "<thead><tr><th>account</th><th class=n>images</th><th class=n>size</th>"
        "<th>status</th><th>files</th></tr></thead>"
    )
    rows = "".join(_row(row) for row in accounts)
    return f"<div class=scroll><table id=accounts>{head}<tbody>{rows}</tbody></table></div>"


def _row(row: dict[str, Any]) -> str:
    name = text(row.get("handle") or row.get("account")).replace(".", ".<wbr>")
    did = f"<span class=handle>{text(row['did'])}</span>" if row.get("did") else ""
    cells = (
        f"<td><span class=name>@{name}</span>{did}</td>",
        f"<td class=n>{count(row.get('images'))}</td>",
        f"<td class=n>{size(row.get('bytes'))}</td>",
        f"<td>{_status(row)}</td>",
        "<td class=files>"
        + (f"<code>{text(row['prefix'])}</code>" if row.get("prefix") else "none")
        + "</td>",
    )
    return f"<tr data-status='{text(row.get('status'))}'>{''.join(cells)}</tr>"


def _status(row: dict[str, Any]) -> str:
    if row.get("status") == "failed":
        return f"<span class=bad>failed: {_reason(row.get('reason') or 'unknown')}</span>"
    lost = {_reason(reason): n for reason, n in as_dict(row.get("failed")).items() if n} | (
        {"never fetched": row["missing"]} if row.get("missing") else {}
    )
    if not lost:
        return "done"
    notes = ", ".join(f"{count(n)} {why}" for why, n in sorted(lost.items()))
    return f"done <span class=muted>(not stored: {notes})</span>"


def _reason(reason: Any) -> str:
    known = REASONS.get(str(reason))
    return text(known) if known else page.words(reason)


def _links(report: dict[str, Any]) -> str:
    collection = quote(str(report.get("id") or ""), safe="")
    if not collection:
        return ""
    url = f"/collections/{collection}?format=json"
    return f"<footer><a id=json-link href='{url}'>status JSON</a></footer>"
