"""The e-mail a job ends with: whom it may go to, what it says, and how many a client gets.

An address is checked at submit, with no network: its form (`ADDRESS`, the OpenAPI
document's pattern, so what the document allows is what is accepted), then the
`email-validator` library with its DNS checks off, which also gives the address in its
normal form. The message is plain text and HTML alternatives of the same facts: the link to
the result, the target, the coverage and the cost.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import email_validator

from kindred.core.errors import InvalidInput

FIELD = "notify_email"


def _either_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# ASCII dot-atoms (at most 64 characters before the @; MAX_LENGTH in all) at a domain name
# with a letter TLD; not at the domains the library refuses as special-use (test, local,
# localhost, ...); no label with `--` at its third character (an IDN's xn-- form included:
# the library would have to judge its punycode). Written without positive lookaheads, so
# generators (hypothesis, schemathesis) can produce it. A test holds the OpenAPI document's
# pattern equal to it, and another that the library accepts whatever it matches.
_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SPECIAL = "|".join(_either_case(name) for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)
ADDRESS = (
    rf"^(?![^@]{{65}}){_ATOM}(\.{_ATOM})*"
    rf"@(?!.*\.({_SPECIAL})$)((?![A-Za-z0-9]{{2}}--)[A-Za-z0-9]([A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}$"
)
_FORM = re.compile(ADDRESS)
MAX_LENGTH = 254  # the document's maxLength


def parse_address(raw: object, field: str = FIELD) -> str:
    """The address in its normal form (the domain lower-cased); raises InvalidInput naming
    `field` with what is wrong with it."""
    if not isinstance(raw, str) or len(raw) > MAX_LENGTH or not _FORM.fullmatch(raw):
        shown = raw[:80] if isinstance(raw, str) else type(raw).__name__
        raise InvalidInput(
            f"{field} must be an e-mail address (name@example.com; ASCII, at most 254 "
            f"characters, not at a special-use domain such as .test or .local), not {shown!r}",
            field,
        )
    try:
        checked = email_validator.validate_email(
            raw, check_deliverability=False, allow_smtputf8=False
        )
    except email_validator.EmailNotValidError as error:
        message = f"{field} {raw[:80]!r} is not an e-mail address: {error}"
        raise InvalidInput(message, field) from None
    return str(checked.normalized)


def day_of(now: float) -> str:
    """The UTC day a message counts against its client's cap: `YYYY-MM-DD`."""
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def within_cap(sent_today: int, cap: int) -> bool:
    """Whether one more message fits a client's day that has had `sent_today`."""
    return sent_today < cap


@dataclass(frozen=True)
class Notice:
    """What a job's message says, as plain values."""

    kind: str  # "analysis" or "collection"
    job: str
    status: str  # "done" or "failed"
    target: str
    coverage: str
    cost: tuple[tuple[str, str], ...]  # (what, how much), in the order shown
    link: str
    error: str = ""

    @property
    def subject(self) -> str:
        ended = "is done" if self.status == "done" else "failed"
        return f"kindred: your {self.kind} of {self.target} {ended}"


def analysis_notice(report: Mapping[str, Any], link: str) -> Notice:
    """The notice of an analysis from its result report (`services.reports.result`)."""
    account = report["account"]
    target = account["handle"]
    if account.get("display_name"):
        target += f" ({account['display_name']})"
    progress = report["progress"]
    analysed, in_scope = progress["followers_analyzed"], progress["followers_in_scope"]
    share = report.get("coverage", analysed / in_scope if in_scope else 1.0)
    coverage = f"{share:.0%} of the followers in scope analysed ({analysed:,} of {in_scope:,})"
    cost = report.get("cost")
    return Notice(
        "analysis", report["id"], report["status"], target, coverage,
        _analysis_cost(cost) if cost else _estimated(progress), link,
        _error(report.get("error")),
    )  # fmt: skip


def collection_notice(report: Mapping[str, Any], sample: Sequence[str], link: str) -> Notice:
    """The notice of a collection from its status report (`services.collect.status`) and
    the first accounts it was asked for."""
    progress = report["progress"]
    total = progress["accounts_total"]
    shown = ", ".join(sample[:3]) + (f" and {total - 3:,} more" if total > 3 else "")
    target = f"{total:,} account{'s' if total != 1 else ''} ({shown})"
    coverage = (
        f"{progress['accounts_done']:,} of {total:,} accounts done, "
        f"{progress['accounts_failed']:,} failed; {progress['images_stored']:,} images, "
        f"{_bytes(progress['bytes_stored'])} stored"
    )
    cost = (("upstream calls", f"{progress['upstream_calls']:,}"),)
    return Notice("collection", report["id"], report["status"], target, coverage, cost, link)


def _analysis_cost(cost: Mapping[str, int]) -> tuple[tuple[str, str], ...]:
    return (
        ("upstream calls", f"{cost['upstream_calls']:,}"),
        ("tasks", f"{cost['tasks']:,}"),
        ("Firestore", f"{cost['firestore_writes']:,} writes, {cost['firestore_reads']:,} reads"),
        ("Storage", f"{cost['storage_writes']:,} writes"),
    )


def _estimated(progress: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return (("upstream calls", f"about {progress['upstream_calls']:,} (estimated)"),)


def _error(error: Any) -> str:
    if not isinstance(error, Mapping):
        return ""
    return str(error.get("message") or error.get("reason") or "")


def _bytes(n: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def sender_domain(sender: str, default: str = "kindred") -> str:
    """The domain of a From (`kindred <k@example.org>`: example.org), else `default`."""
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    return domain if at and domain else default


def message_id(kind: str, job: str, sender: str) -> str:
    """The job's Message-ID: the same for every send of its message, at the sender's domain."""
    return f"<{kind}.{job}@{sender_domain(sender)}>"


def compose(notice: Notice, sender: str, to: str, message_id: str, now: float) -> EmailMessage:
    """The message: plain text, and the same as HTML in an alternative part. `message_id` is
    the job's own, so a mail client shows a message that arrives twice once."""
    message = EmailMessage()
    message["Subject"] = notice.subject
    message["From"] = sender
    message["To"] = Address(addr_spec=to)
    message["Date"] = formatdate(now, usegmt=True)
    message["Message-ID"] = message_id
    message.set_content(_text(notice))
    message.add_alternative(_html(notice), subtype="html")
    return message


def _facts(notice: Notice) -> list[tuple[str, str]]:
    facts = [("status", notice.status), ("target", notice.target), ("coverage", notice.coverage)]
    if notice.error:
        facts.append(("what failed", notice.error))
    return facts + [(f"cost: {what}", amount) for what, amount in notice.cost]


def _sentence(notice: Notice) -> str:
    said = notice.subject.removeprefix("kindred: ")
    return f"{said[:1].upper()}{said[1:]}."


def _text(notice: Notice) -> str:
    lines = [_sentence(notice), "", notice.link, ""]
    width = max(len(name) for name, _ in _facts(notice))
    lines += [f"{name + ':':<{width + 1}} {value}" for name, value in _facts(notice)]
    return "\n".join([*lines, "", f"kindred {notice.kind} {notice.job}"]) + "\n"


def _html(notice: Notice) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><th align="left">{e(name)}</th><td>{e(value)}</td></tr>'
        for name, value in _facts(notice)
    )
    title = e(_sentence(notice))
    return (
        "<!doctype html><html><body>"
        f"<p>{title}</p>"
        f'<p><a href="{e(notice.link)}">{e(notice.link)}</a></p>'
        f"<table>{rows}</table>"
        f"<p>kindred {e(notice.kind)} {e(notice.job)}</p>"
        "</body></html>\n"
    )
