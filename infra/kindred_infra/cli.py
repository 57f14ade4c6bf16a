"""The `kindred` command: run the local stack and talk to it."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kindred.config import SMTP_SECURITY, Settings
from kindred.core import shards as shard_limits
from kindred.core.media import CollectOptions
from kindred.core.options import BOUNDS, CHOICES, AnalysisOptions
from kindred.services import collect as collect_limits
from kindred_infra import paths, stack
from kindred_infra.invocation import kindred_command
from kindred_infra.process import ServiceFailed
from kindred_infra.stack.control import env_file, read_env_file
from kindred_infra.stack.plan import mail_url
from kindred_infra.table import aligned

if TYPE_CHECKING:
    from kindred_infra.client import KindredApi

F = TypeVar("F", bound=Callable[..., Any])


def _home(value: str | None) -> Path:
    return Path(value).resolve() if value else paths.stack_home()


home_option = click.option(
    "--home",
    envvar="KINDRED_HOME",
    help=f"State folder of the local stack [default: {paths.REPO / '.kindred'}, the clone's].",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """kindred: which accounts are most like mine, by audience overlap."""


@main.command()
@home_option
@click.option(
    "--graph",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Edge list for the graph server (`A B` = A follows B; plain or gzip) "
    "[default: the bundled ego-twitter graph].",
)
@click.option(
    "--graph-name", help="Dataset name in handles (uN.NAME.test) [default: the file's folder]."
)
@click.option(
    "--rate-limit",
    default=stack.LOCAL_RATE_LIMIT,
    show_default=True,
    help="Graph server limit, REQUESTS/SECONDS per client; 0 for none.",
)
@click.option(
    "--faults",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of upstream requests that fail (5xx, slow, malformed, 429).",
)
@click.option("--fault-seed", type=int, default=0, show_default=True, help="Seed of the faults.")
@click.option(
    "--duplicates",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of tasks the Cloud Tasks emulator delivers twice.",
)
@click.option(
    "--cron-seconds",
    type=click.FloatRange(min=0.5),
    default=None,
    help="Fire every local cron this often [default: each function's own].",
)
@click.option(
    "--stale-seconds",
    type=click.FloatRange(min=1),
    default=Settings().stale_seconds,
    show_default=True,
    help="The sweeper moves on a job with no progress for this long.",
)
@click.option("--media", is_flag=True, help="The graph server also serves posts and images.")
@click.option(
    "--account-states",
    is_flag=True,
    help="In its Mastodon dialect, a few accounts are suspended, moved or hide their network.",
)
def up(
    home: str | None,
    graph: Path | None,
    graph_name: str | None,
    rate_limit: str,
    faults: float,
    fault_seed: int,
    duplicates: float,
    cron_seconds: float | None,
    stale_seconds: float,
    media: bool,
    account_states: bool,
) -> None:
    """Start the local stack in the background and wait until every part is healthy."""
    options = stack.StackOptions(
        home=_home(home),
        ports=stack.StackPorts.from_env(os.environ),
        graph=graph,
        graph_name=graph_name,
        rate_limit=rate_limit,
        faults=faults,
        fault_seed=fault_seed,
        duplicates=duplicates,
        cron_every=cron_seconds,
        stale_seconds=stale_seconds,
        media=media,
        account_states=account_states,
    )
    click.echo("starting the local stack ...", err=True)
    try:
        record = stack.up(options)
    except stack.StackRunning as error:
        me = kindred_command()
        click.echo(f"{error}: nothing to do (`{me} ps` shows it, `{me} down` stops it)")
        return
    except ServiceFailed as error:
        raise click.ClickException(f"the local stack did not start: {error}") from error
    for line in aligned([(part.name, part.endpoint, f"pid {part.pid}") for part in record.parts]):
        click.echo(line)
    click.echo(f"up in {record.startup_seconds:.1f} s; logs in {options.logs}")
    click.echo(
        f"mail: {mail_url(options)} (what the functions send: `--email` on analyze, collect)"
    )
    click.echo(f"endpoints: source {env_file(options.home)}")


@main.command()
@home_option
def down(home: str | None) -> None:
    """Stop exactly the processes that `kindred up` started; their data stays for the next `up`."""
    stopped = stack.down(
        _home(home), on_stopped=lambda part: click.echo(f"stopped {part.name} (pid {part.pid})")
    )
    if not stopped:
        click.echo("the local stack was not running")


@main.command()
@home_option
@click.argument("part")
def restart(home: str | None, part: str) -> None:
    """Stop one PART of the running stack and start it again (e.g. `function:tasks`)."""
    try:
        again = stack.restart(_home(home), part)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    except ServiceFailed as error:
        raise click.ClickException(f"{part} did not come back: {error}") from error
    click.echo(f"restarted {again.name} ({again.endpoint}, pid {again.pid})")


@main.command()
@home_option
def ps(home: str | None) -> None:
    """Show each part of the local stack: pid, endpoint, health."""
    parts = stack.status(_home(home))
    if not parts:
        click.echo(f"the local stack is not running (`{kindred_command()} up` starts it)")
        return
    rows = []
    for part in parts:
        health = "healthy" if part.healthy else ("UNHEALTHY" if part.alive else "DEAD")
        rows.append((part.name, part.endpoint, f"pid {part.pid}", health))
    for line in aligned(rows):
        click.echo(line)
    if not all(part.healthy for part in parts):
        sys.exit(1)


@main.command()
@home_option
@click.argument("part", required=False)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until Ctrl-C.")
def logs(home: str | None, part: str | None, follow: bool) -> None:
    """Show the local stack's logs: every part's, or one PART's (e.g. `function:tasks`)."""
    from kindred_infra.stack import logs as stack_logs

    try:
        files = stack_logs.part_logs(_home(home), part)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if not follow and not any(path.exists() for _, path in files):
        where = files[0][1].parent
        click.echo(f"no logs in {where} yet (`{kindred_command()} up` writes them)", err=True)
        return
    width = max(len(name) for name, _ in files)
    try:
        for name, line in stack_logs.follow(files) if follow else stack_logs.read(files):
            click.echo(stack_logs.render(name, line, width))
    except KeyboardInterrupt:
        pass  # Ctrl-C ends --follow: not an error


@main.command()
@home_option
def check(home: str | None) -> None:
    """Round-trip through every part of the running stack: Firestore, Storage, Tasks, graph, API."""
    from kindred.config import Settings
    from kindred_infra.check import run_checks

    env = read_env_file(_home(home))
    if not env:
        raise click.ClickException("the local stack is not running: start it with `kindred up`")
    os.environ.update(env)
    results = run_checks(Settings.from_env(os.environ))
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        click.echo(f"  {mark} {result.part:<10} {result.seconds * 1000:7.0f} ms  {result.detail}")
    if not all(result.ok for result in results):
        raise click.ClickException("some parts of the stack did not answer; see .kindred/logs/")


def _api(home: str | None, api_url: str | None, start: str | None = None) -> KindredApi:
    """The API the CLI talks to: --api-url (or KINDRED_API_URL), else the local stack's, with
    KINDRED_API_KEY, else the stack's key. With `start`, no API at all is a ClickException
    naming the command that starts a stack."""
    from kindred_infra.client import KindredApi

    env = read_env_file(_home(home))
    api = KindredApi(
        api_url or env.get("KINDRED_API_URL", ""),
        os.environ.get("KINDRED_API_KEY") or env.get("KINDRED_API_KEY", ""),
    )
    if start is not None and not api.base_url:
        raise click.ClickException(f"no stack is running here: `{kindred_command()} {start}` "
                                   "starts one")  # fmt: skip
    return api


def _email(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--email checked as the API checks notify_email, before anything is sent."""
    from kindred.core.errors import InvalidInput
    from kindred.core.mail import parse_address

    if value is None:
        return None
    try:
        return parse_address(value, "--email")
    except InvalidInput as error:
        raise click.BadParameter(str(error).removeprefix("--email ")) from None


email_option = click.option(
    "--email",
    metavar="ADDRESS",
    callback=_email,
    help="Send ADDRESS one message when it ends, done or failed: the result link, the target, "
    "the coverage and the cost.",
)

DEMO_ACCOUNT = "u115485051.ego-twitter.test"  # the bundled graph's most-followed account
DEMO_MAX_FOLLOWERS = 1000  # keeps the demo near a minute at the local queue's 20 calls/s


def _bounded(option: str, help_text: str) -> Callable[[F], F]:
    """An option checked here, before anything is sent: its bounds and default from the core."""
    low, high = BOUNDS[option]
    default = getattr(AnalysisOptions(), option)
    return click.option(
        "--" + option.replace("_", "-"),
        option,
        type=click.IntRange(low, high),
        help=f"{help_text} [default: {default:,}].",
    )


@main.command()
@click.argument("account")
@home_option
@click.option(
    "--provider",
    type=click.Choice(Settings().providers),
    default="local",
    show_default=True,
    help="Where ACCOUNT lives: the local graph server, Bluesky's public AppView, or Mastodon "
    "(ACCOUNT is user@host: its home server; locally u6017542@ego-twitter.test).",
)
@_bounded("max_followers", "Analyse the target's first N followers")
@_bounded("max_follows_per_follower", "Count at most N follows of each follower")
@_bounded("top_candidates", "Score the N accounts most followed by the followers")
@_bounded("results", "List the N most similar accounts")
@click.option(
    "--max-age",
    "max_age",
    help="Count a follower from its follows stored by any analysis less than this long ago "
    "(7d, 12h, 90m, 600s or 600; 0 reads every follower upstream and stores nothing; at most "
    f"{BOUNDS['max_age'][1] // 86_400}d) [default: {AnalysisOptions().max_age // 86_400}d].",
)
@click.option(
    "--mode",
    type=click.Choice(CHOICES["mode"]),
    help="exact: read every follower's follows; fast: a sample and a stopping rule, an "
    "estimate expected to be 98% the exact answer [default: exact].",
)
@click.option(
    "--score",
    type=click.Choice(CHOICES["score"]),
    help="cosine, or weighted: each follower's vote weighted by 1/(accounts it follows); "
    "exact mode only [default: cosine].",
)
@email_option
@click.option("--wait", is_flag=True, help="Show progress until done, then the result.")
@click.option("--json", "as_json", is_flag=True, help="With --wait: print only the result JSON.")
@click.option("--api-url", envvar="KINDRED_API_URL", help="[default: the local stack's API]")
def analyze(account: str, home: str | None, provider: str, email: str | None, wait: bool,
            as_json: bool, api_url: str | None, max_age: str | None,
            **options: int | str | None) -> None:  # fmt: skip
    """Find the accounts most like ACCOUNT (a handle or a DID; user@host on Mastodon)."""
    import json

    from rich.console import Console

    from kindred_infra import render
    from kindred_infra.client import ApiError

    chosen = {name: value for name, value in options.items() if value is not None}
    if max_age is not None:
        chosen["max_age"] = _within(max_age, parse_duration, *BOUNDS["max_age"], "'--max-age'")
    if chosen.get("mode") == "fast" and chosen.get("score") == "weighted":
        raise click.BadParameter("weighted needs --mode exact", param_hint="'--score'")
    top = int(chosen.get("top_candidates", AnalysisOptions().top_candidates))
    if int(chosen.get("results", AnalysisOptions().results)) > top:
        raise click.BadParameter(
            f"cannot exceed --top-candidates ({top})", param_hint="'--results'"
        )
    api = _api(home, api_url)
    if not api.base_url:
        raise click.ClickException(f"no stack is running here: `{kindred_command()} up` starts one")
    err = Console(stderr=True)
    out = Console(width=None if Console().is_terminal else 80)
    try:
        submitted = api.submit(account, provider, chosen, email)
        if not wait:
            click.echo(json.dumps(submitted, indent=2))
            return
        err.print(
            f"analysis {submitted['id']} of {account}"
            + (" (an earlier one, reused)" if submitted["existing"] else "")
            + (f"; a message goes to {email} when it ends" if email else "")
        )
        with render.analysis_progress(err, out, interim=not as_json) as show:
            result = api.wait(submitted["id"], show)
    except ApiError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    out.print(render.result_table(result))
    out.print(render.cost_line(result))
    click.echo(f"results: {submitted['results_url']}")
    click.echo("  (a page in a browser, JSON for other clients)")


def _accounts(given: tuple[str, ...], from_file: Path | None, provider: str) -> list[str]:
    """The accounts typed and those of FILE (one a line; blank lines and `#` comments skipped),
    each checked as the API checks it, before anything is sent."""
    from kindred.core.sources import split_acct
    from kindred.services.submit import HANDLE_OR_DID

    named = [(account, "'ACCOUNT...'") for account in given]
    if from_file is not None:
        try:
            lines = from_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise click.BadParameter(
                f"cannot read it: {error}", param_hint="'--from-file'"
            ) from error
        for number, line in enumerate(lines, 1):
            account = line.split("#", 1)[0].strip()
            if account:
                named.append((account, f"'--from-file' line {number}"))
    for account, where in named:
        if provider == "mastodon" and split_acct(account) is None:
            raise click.BadParameter(
                f"{account[:80]!r} is not a Mastodon account, user@host", param_hint=where
            )
        if provider != "mastodon" and not HANDLE_OR_DID.fullmatch(account):
            raise click.BadParameter(
                f"{account[:80]!r} is not a handle (name.example.com) or a DID", param_hint=where
            )
    if not named:
        raise click.UsageError("name at least one ACCOUNT, or a --from-file with some")
    if len(named) > collect_limits.MAX_ACCOUNTS:
        most = collect_limits.MAX_ACCOUNTS
        raise click.UsageError(f"{len(named):,} accounts: at most {most:,} a collection")
    return [account for account, _ in named]


@main.command()
@click.argument("accounts", metavar="ACCOUNT...", nargs=-1)
@home_option
@click.option(
    "--from-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also the accounts of FILE, one a line (blank lines and # comments skipped).",
)
@click.option(
    "--from-analysis",
    metavar="ID",
    help="Instead of ACCOUNT...: the most similar accounts a finished analysis found.",
)
@click.option(
    "--top",
    type=click.IntRange(1, collect_limits.MAX_TOP),
    help="With --from-analysis: its N most similar accounts "
    f"[default: {collect_limits.DEFAULT_TOP}].",
)
@click.option(
    "--max-per-account",
    type=click.IntRange(1, collect_limits.MAX_PER_ACCOUNT),
    help=f"Store at most N images an account, newest first "
    f"[default: {CollectOptions().max_per_account:,}].",
)
@click.option(
    "--provider",
    type=click.Choice(collect_limits.PROVIDERS),
    default="local",
    show_default=True,
    help="Where the accounts live.",
)
@click.option(
    "--replies/--no-replies",
    default=None,
    help="Whether the accounts' replies count as their posts [default: they do].",
)
@email_option
@click.option("--wait", is_flag=True, help="Show progress until done, then the result.")
@click.option("--json", "as_json", is_flag=True, help="With --wait: print only the result JSON.")
@click.option("--api-url", envvar="KINDRED_API_URL", help="[default: the local stack's API]")
def collect(accounts: tuple[str, ...], home: str | None, from_file: Path | None,
            from_analysis: str | None, top: int | None, max_per_account: int | None,
            provider: str, replies: bool | None, email: str | None, wait: bool, as_json: bool,
            api_url: str | None) -> None:  # fmt: skip
    """Store the images of each ACCOUNT (handles or DIDs; with --provider mastodon, user@host
    of one home server) in the stack's bucket, once each."""
    import json

    from rich.console import Console

    from kindred_infra import render
    from kindred_infra.client import ApiError

    if from_analysis is not None and (accounts or from_file):
        raise click.UsageError("give ACCOUNT... (or --from-file) or --from-analysis, not both")
    if top is not None and from_analysis is None:
        raise click.BadParameter("goes with --from-analysis", param_hint="'--top'")
    chosen = _accounts(accounts, from_file, provider) if from_analysis is None else []
    options: dict[str, int | bool] = {}
    if max_per_account is not None:
        options["max_per_account"] = max_per_account
    if replies is not None:
        options["replies"] = replies
    api = _api(home, api_url)
    if not api.base_url:
        raise click.ClickException(
            f"no stack is running here: `{kindred_command()} up --media` starts one"
        )
    if provider in ("local", "mastodon"):
        _refuse_a_local_stack_without_media(home, api, provider, chosen)
    err = Console(stderr=True)
    try:
        submitted = api.submit_collection(chosen, provider, options, from_analysis, top, email)
        if not wait:
            click.echo(json.dumps(submitted, indent=2))
            return
        many = f"{len(chosen):,} accounts" if len(chosen) > 1 else "1 account"
        if from_analysis is not None:
            many = f"the accounts most like analysis {from_analysis}'s target"
        err.print(f"collection {submitted['id']} of {many}"
                  + (f"; a message goes to {email} when it ends" if email else ""))  # fmt: skip
        with render.collection_progress(err) as show:
            result = api.wait_collection(submitted["id"], show)
    except ApiError as error:
        raise click.ClickException(str(error)) from error
    where = render.media_location(result)
    if as_json:
        click.echo(json.dumps({**result, "files": where}, indent=2))
        return
    out = Console(width=None if Console().is_terminal else 80)
    out.print(render.collection_table(result))
    if where:
        account = "{id}" if provider == "mastodon" else "{did}"  # the home server's id
        click.echo(f"files: {where}{account}/{{cid}}.{{ext}}, beside {{cid}}.json")
    click.echo(f"status: {submitted['status_url']}")


def _refuse_a_local_stack_without_media(
    home: str | None, api: KindredApi, provider: str, accounts: list[str]
) -> None:
    """The local stack's graph server started without --media serves no posts or images: every
    account of a collection would fail as `rejected` (its Mastodon accounts would have no
    image), so say how to start one that does."""
    from kindred_infra.stack import state

    where = _home(home)
    record = state.load(where)
    env = read_env_file(where)
    if record is None or api.base_url != env.get("KINDRED_API_URL"):
        return  # not this clone's stack: its API answers for itself
    local_host = env.get("KINDRED_MASTODON_LOCAL_HOST", "")
    if provider == "mastodon" and not any(a.endswith(f"@{local_host}") for a in accounts):
        return  # accounts of other home servers than the graph server's
    if not record.serves_media():
        me = kindred_command()
        raise click.ClickException(
            "the local stack runs without --media: its graph server serves no posts or "
            f"images to collect; `{me} down` then `{me} up --media` starts one that does"
        )


SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kKmMgGtT]i?)?[bB]?")
UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
         "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}  # fmt: skip
DURATION = re.compile(r"(\d+)\s*([smhd]?)")
SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_size(text: str) -> int:
    """Bytes of `350MB`, `5MB`, `1GiB`, `1000000` (decimal units; `i` for binary ones)."""
    match = SIZE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text[:40]!r} is not a size such as 350MB or 1GiB")
    return int(float(match[1]) * UNITS[(match[2] or "").lower()])


def parse_duration(text: str) -> int:
    """Seconds of `7d`, `12h`, `90m`, `600s` or `600`."""
    match = DURATION.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(f"{text[:40]!r} is not a duration such as 7d, 12h or 600s")
    return int(match[1]) * SECONDS[match[2]]


def _within(text: str, parse: Callable[[str], int], low: int, high: int, hint: str) -> int:
    try:
        value = parse(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=hint) from error
    if not low <= value <= high:
        raise click.BadParameter(f"{value:,} is not from {low:,} to {high:,}", param_hint=hint)
    return value


@main.command()
@click.argument("collection")
@home_option
@click.option("--shard-size", default="350MB", show_default=True,
              help=f"Bytes a shard at most ({shard_limits.MIN_SHARD_BYTES:,} to "
              f"{shard_limits.MAX_SHARD_BYTES:,}); a larger file goes alone.")  # fmt: skip
@click.option("--validation-share", type=click.FloatRange(0, shard_limits.MAX_VALIDATION_SHARE),
              help="Put about this share of the samples, by whole accounts, in a validation "
              "split sharing no account with training [default: no split].")  # fmt: skip
@click.option(
    "--url-lifetime",
    default="7d",
    show_default=True,
    help="How long the manifest's signed URLs last in the cloud (60s to 7d).",
)
@click.option("--wait", is_flag=True, help="Show progress until done, then the shards.")
@click.option("--json", "as_json", is_flag=True,
              help="With --wait: print only {id, shards, manifest_url}.")  # fmt: skip
@click.option("--api-url", envvar="KINDRED_API_URL", help="[default: the local stack's API]")
def export(collection: str, home: str | None, shard_size: str, validation_share: float | None,
           url_lifetime: str, wait: bool, as_json: bool, api_url: str | None) -> None:  # fmt: skip
    """Write the finished COLLECTION as uncompressed WebDataset shards and a manifest."""
    import json

    from rich.console import Console

    from kindred_infra import render
    from kindred_infra.client import ApiError

    body: dict[str, Any] = {
        "format": shard_limits.FORMAT,
        "shard_bytes": _within(shard_size, parse_size, shard_limits.MIN_SHARD_BYTES,
                               shard_limits.MAX_SHARD_BYTES, "'--shard-size'"),
        "url_lifetime": _within(url_lifetime, parse_duration, shard_limits.MIN_URL_LIFETIME,
                                shard_limits.MAX_URL_LIFETIME, "'--url-lifetime'"),
    }  # fmt: skip
    if validation_share:
        body["validation_share"] = validation_share
    api = _api(home, api_url, "up --media")
    err = Console(stderr=True)
    try:
        made = api.submit_export(collection, body)
        if not wait:
            click.echo(json.dumps(made, indent=2))
            return
        err.print(f"export {made['id']} of collection {collection}")
        with render.export_progress(err) as show:
            manifest = api.wait_export(made["id"], show)
        status = api.export(made["id"])
    except ApiError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        shards = manifest["shardlist"]
        body = {"id": made["id"], "shards": shards, "manifest_url": status["manifest_url"]}
        click.echo(json.dumps(body, indent=2))
        return
    for shard in manifest["shardlist"]:
        note = "  (one file over the bound)" if shard["oversize"] else ""
        click.echo(f"{shard['name']}  {shard['nsamples']:>6,} samples  "
                   f"{render.size(shard['filesize']):>9}{note}")  # fmt: skip
    totals = manifest["totals"]
    click.echo(f"{totals['shards']:,} shards, {totals['samples']:,} samples, "
               f"{render.size(totals['bytes'])}")  # fmt: skip
    click.echo(f"manifest: {status['manifest_url']}")


@main.command()
@click.argument("source")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@home_option
@click.option(
    "--parallel",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Download N shards at once.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the summary JSON.")
@click.option("--api-url", envvar="KINDRED_API_URL", help="[default: the local stack's API]")
def pull(source: str, folder: Path, home: str | None, parallel: int, as_json: bool,
         api_url: str | None) -> None:  # fmt: skip
    """Download an export's shards into DIR, resuming and checking each one's sha256.

    SOURCE is an export id (its manifest read through the API), a manifest URL, or a manifest
    file. A shard cut off earlier goes on from its last byte; one already in DIR and right is
    not downloaded again. DIR gets the shards and manifest.json.
    """
    import json

    from rich.console import Console

    from kindred_infra import pull as pulling
    from kindred_infra import render
    from kindred_infra.client import ApiError

    def from_api(export: str) -> dict[str, Any]:
        api = _api(home, api_url)
        if not api.base_url:
            raise click.ClickException(
                f"{export!r} is not a file or a URL, and no stack is running here to ask for "
                f"export {export}'s manifest: give --api-url, or `{kindred_command()} up`"
            )
        try:
            return api.manifest(export)
        except ApiError as error:
            raise click.ClickException(f"export {export}: {error}") from error

    try:
        manifest = pulling.load_manifest(source, from_api)
        total = sum(shard.size for shard in pulling.read_shards(manifest))
        err = Console(stderr=True)
        with render.pull_progress(err, total, pulling.already_there(manifest, folder)) as show:
            summary = pulling.pull(manifest, folder, parallel, show)
    except pulling.PullError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        for line in pulling.report(summary, render.size):
            click.echo(line)
    if summary.failed:
        names = ", ".join(summary.errors)
        raise click.ClickException(
            f"{summary.failed} of {summary.shards} shards failed ({names}); "
            "the others are in place, and the same command resumes the rest"
        )


@main.command()
@click.pass_context
@home_option
def demo(ctx: click.Context, home: str | None) -> None:
    """Start the local stack if it is not up, analyse the bundled graph's top account, show it."""
    if not read_env_file(_home(home)):
        ctx.invoke(up, home=home)
    ctx.invoke(check, home=home)
    ctx.invoke(
        analyze, account=DEMO_ACCOUNT, home=home, wait=True, max_followers=DEMO_MAX_FOLLOWERS
    )
    me = kindred_command()
    click.echo(f"the stack is still up: `{me} ps` shows it, `{me} down` stops it")


@main.command()
@click.option("--project", required=True, envvar="GOOGLE_CLOUD_PROJECT", help="GCP project id.")
@click.option("--region", default="us-central1", show_default=True, help="Functions and queues.")
@click.option("--bucket", help="Cloud Storage bucket [default: PROJECT-kindred].")
@click.option("--service-account", help="Runtime identity [default: kindred@PROJECT.iam...].")
@click.option("--smtp-host", help="The SMTP server e-mail goes through [default: none, no e-mail].")
@click.option("--smtp-port", type=click.IntRange(1, 65535), help="[default: 587]")
@click.option("--smtp-security", type=click.Choice(SMTP_SECURITY), help="[default: starttls]")
@click.option(
    "--smtp-user",
    help="Log in as USER; the password is the Secret Manager secret "
    "kindred-smtp-password (the tasks function reads it).",
)
@click.option("--mail-from", help="The From of kindred's messages, e.g. 'kindred <k@example.org>'.")
@click.option("--dry-run", is_flag=True, help="Print every gcloud command instead of running it.")
def deploy(project: str, region: str, bucket: str | None, service_account: str | None,
           dry_run: bool, **mail: Any) -> None:  # fmt: skip
    """Deploy to Google Cloud with gcloud: bucket, queues from queue.yaml, functions, crons."""
    from kindred_infra import deploy as deployment

    target = deployment.Target(
        project=project,
        region=region,
        bucket=bucket or f"{project}-kindred",
        service_account=service_account or f"kindred@{project}.iam.gserviceaccount.com",
        mail=deployment.MailTarget(**mail),
    )
    plan = deployment.commands(target, deployment.load_queues())
    if dry_run:
        click.echo(deployment.render(plan))
        return
    deployment.run(plan)
