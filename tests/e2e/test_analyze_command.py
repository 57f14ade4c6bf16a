"""`kindred analyze` as a user types it: flags checked before sending, errors that say what to
check, progress a log can read, a table that fits 80 columns and commands that work as typed."""

from __future__ import annotations

import json
import subprocess

from support.api import call
from support.cli import kindred_against


def analyze(stack: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return kindred_against(stack, "analyze", *args)


def test_a_bad_flag_is_refused_with_its_name_and_bounds_before_anything_is_sent(local_stack):
    refused = analyze(local_stack, "u6017542.ego-twitter.test", "--max-followers", "-3")
    assert refused.returncode == 2
    assert "'--max-followers'" in refused.stderr and "1<=x<=1000000" in refused.stderr
    assert "not one of 'local', 'bluesky'" in analyze(local_stack, "x", "--provider", "y").stderr
    too_many = analyze(local_stack, "x", "--results", "400")
    assert "'--results'" in too_many.stderr and "--top-candidates (300)" in too_many.stderr
    too_old = analyze(local_stack, "x", "--max-age", "31d")
    assert "'--max-age'" in too_old.stderr and "not from 0 to 2,592,000" in too_old.stderr


def test_max_age_goes_as_seconds(local_stack):
    sent = analyze(local_stack, "u54226675.ego-twitter.test", "--max-age", "12h")  # no followers
    assert sent.returncode == 0, sent.stderr
    status = call("GET", json.loads(sent.stdout)["status_url"])[1]
    assert status["options"]["max_age"] == 12 * 3600


def test_an_unknown_account_says_where_it_was_looked_for_and_what_to_check(local_stack):
    missing = analyze(local_stack, "nobody.ego-twitter.test", "--wait")
    assert missing.returncode == 1
    assert "no account 'nobody.ego-twitter.test' at local" in missing.stderr
    assert "u6017542.ego-twitter.test" in missing.stderr  # what a handle there looks like
    assert "getProfile" not in missing.stderr


def test_a_piped_run_logs_plain_progress_lines_then_a_table_within_80_columns(local_stack):
    done = analyze(local_stack, "u14348594.ego-twitter.test", "--max-followers", "300", "--wait")
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if " followers, ~" in line]
    assert progress and progress[-1].startswith("done: 100%"), done.stderr
    assert any("calls" in line and "left" in line for line in progress[:-1])
    assert "Accounts most like u14348594.ego-twitter.test" in done.stdout
    assert "300 of 300 followers analysed" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80, done.stdout
    assert "results: http://" in done.stdout
