"""`kindred collect` as a user types it: flags and accounts checked before anything is sent,
progress a log can read, a table within 80 columns, the result JSON, where the files are."""

from __future__ import annotations

import json
import subprocess

from support.cli import kindred_against

BUSY = "u71391606.ego-twitter.test"  # thousands of posts: over any small cap
EMPTY = "u352721194.ego-twitter.test"  # 127 followers, no post at all
DEACTIVATED = "u14472428.ego-twitter.test"  # its blob host refuses: RepoDeactivated


def collect(stack: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return kindred_against(stack, "collect", *args)


def test_bad_flags_and_accounts_are_refused_by_name_before_anything_is_sent(tmp_path):
    nowhere = {"KINDRED_API_URL": "http://127.0.0.1:9", "KINDRED_API_KEY": "x"}  # never reached
    capped = collect(nowhere, BUSY, "--max-per-account", "0")
    assert capped.returncode == 2 and "'--max-per-account'" in capped.stderr
    assert "1<=x<=100000" in capped.stderr
    assert (
        "'x' is not one of 'local', 'bluesky'" in collect(nowhere, BUSY, "--provider", "x").stderr
    )
    none = collect(nowhere)
    assert none.returncode == 2 and "at least one ACCOUNT" in none.stderr
    listed = tmp_path / "accounts.txt"
    listed.write_text(f"# mine\n{BUSY}\n\nnot a handle!\n")
    bad = collect(nowhere, "--from-file", str(listed))
    assert bad.returncode == 2 and "'--from-file' line 4" in bad.stderr
    assert "'not a handle!' is not a handle" in bad.stderr
    mastodon = collect(nowhere, BUSY, "--provider", "mastodon")  # a handle, not user@host
    assert mastodon.returncode == 2 and "is not a Mastodon account, user@host" in mastodon.stderr
    unreachable = collect(nowhere, BUSY, "--wait")
    assert unreachable.returncode == 1 and "cannot reach the kindred API" in unreachable.stderr
    assert len(unreachable.stderr.strip().splitlines()) == 1


def test_a_piped_run_logs_plain_progress_then_a_table_within_80_columns(media_stack, tmp_path):
    listed = tmp_path / "accounts.txt"
    listed.write_text(f"# two of them\n{EMPTY}\n\n{DEACTIVATED}  # deactivated\n")
    done = collect(media_stack, BUSY, "--from-file", str(listed), "--max-per-account", "20",
                   "--wait")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "of 3 accounts" in done.stderr
    progress = [line for line in done.stderr.splitlines() if " accounts (" in line]
    assert progress[-1].startswith("done: 3/3 accounts (1 failed), 20 images, "), done.stderr
    assert progress[-1].endswith(" calls")
    rows = {
        line.split()[0]: line.split()[1:] for line in done.stdout.splitlines() if ".test" in line
    }
    assert rows[BUSY][0] == "20" and rows[BUSY][-1] == "done"
    assert rows[EMPTY][:3] == ["0", "0", "B"]
    assert rows[DEACTIVATED][-2:] == ["failed:", "deactivated"]
    assert max(len(line.rstrip()) for line in done.stdout.splitlines()) <= 80, done.stdout
    assert "files: gs://kindred-local/media/local/{did}/{cid}.{ext}" in done.stdout
    assert "status: http://" in done.stdout


def test_json_prints_the_result_with_each_accounts_images_bytes_reason_and_files(media_stack):
    done = collect(media_stack, BUSY, DEACTIVATED, "--max-per-account", "5", "--no-replies",
                   "--wait", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "done" and result["id"]
    assert result["options"] == {"max_per_account": 5, "replies": False}
    busy, deactivated = result["accounts"]
    assert busy["account"] == BUSY and busy["images"] == 5 and busy["bytes"] > 0
    assert busy["prefix"] == f"gs://kindred-local/media/local/{busy['did']}/"
    assert deactivated["status"] == "failed" and deactivated["reason"] == "deactivated"
    assert result["files"] == "gs://kindred-local/media/local/"


def test_over_mastodon_each_account_is_read_on_its_home_server(media_stack):
    done = collect(media_stack, "u6017542@ego-twitter.test", "--provider", "mastodon",
                   "--max-per-account", "5", "--wait", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["provider"] == "mastodon:ego-twitter.test" and result["status"] == "done"
    (account,) = result["accounts"]
    assert account["images"] == 5 and account["did"].startswith("ego-twitter.test/")
    assert account["prefix"] == f"gs://kindred-local/media/mastodon/{account['did']}/"
    assert result["files"] == "gs://kindred-local/media/mastodon/ego-twitter.test/"
    # a lookup, one page of statuses, a file per image
    assert result["progress"]["upstream_calls"] == 1 + 1 + 5


def test_without_wait_it_prints_the_collection_id_and_status_url(media_stack):
    sent = collect(media_stack, EMPTY)
    assert sent.returncode == 0, sent.stderr
    submitted = json.loads(sent.stdout)
    assert submitted["status_url"].endswith(f"/collections/{submitted['id']}")


def test_from_an_analysis_it_collects_the_accounts_the_analysis_found(media_stack):
    analysed = kindred_against(media_stack, "analyze", "u6017542.ego-twitter.test",
                               "--max-followers", "100", "--wait", "--json")  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    analysis = json.loads(analysed.stdout)
    done = collect(media_stack, "--from-analysis", analysis["id"], "--top", "2",
                   "--max-per-account", "3", "--wait", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [a["account"] for a in result["accounts"]] == [
        similar["handle"] for similar in analysis["similar"][:2]
    ]
    assert result["status"] == "done"
    both = collect(media_stack, BUSY, "--from-analysis", analysis["id"])
    assert both.returncode == 2 and "not both" in both.stderr


def test_a_local_stack_without_media_is_refused_with_the_command_that_starts_one(local_stack):
    """Its graph server serves no posts: every account would fail as `rejected`."""
    refused = kindred_against(local_stack, "collect", BUSY, "--wait",
                              extra_env={"KINDRED_HOME": local_stack["KINDRED_HOME"]})  # fmt: skip
    assert refused.returncode == 1, refused.stdout
    assert "the local stack runs without --media" in refused.stderr
    assert "down` then `" in refused.stderr and " up --media` starts one" in refused.stderr
