"""A media collection on a real stack, checked against the graph server itself: the accounts
of the exactness and restart tests, the images they should end with (from getAuthorFeed, as the
chain reads it), the stored files and sidecars, and the graph server's call counts."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from kindred_infra.graph_server.cid import raw_cid
from support.api import call, wait_until
from support.stack import bucket

FEED, BLOB = "app.bsky.feed.getAuthorFeed", "com.atproto.sync.getBlob"
EMPTY = "u352721194.ego-twitter.test"  # 127 followers, no post at all
BUSY = "u71391606.ego-twitter.test"  # 4,638 posts: far over the cap
DEACTIVATED = "u14472428.ego-twitter.test"  # its feed shows, its blob host refuses
ACCOUNTS, CAP = [EMPTY, BUSY, DEACTIVATED], 50
SIDECAR = {"cid", "post_uri", "created_at", "author", "alt", "aspect_ratio", "mime_type",
           "size", "source_url"}  # fmt: skip


def own_media(env: dict[str, str], actor: str, cap: int) -> tuple[list[dict[str, Any]], int]:
    """(the account's own images, newest first, distinct, capped; feed pages read), straight
    from the graph server's getAuthorFeed as the chain reads it (posts_with_media, 100 a page)."""
    images: list[dict[str, Any]] = []
    seen: set[str] = set()
    cursor, pages = None, 0
    while True:
        query = {"actor": actor, "limit": 100, "filter": "posts_with_media"}
        query |= {"cursor": cursor} if cursor else {}
        status, page = call("GET", f"{env['KINDRED_GRAPH_URL']}/xrpc/{FEED}?{urlencode(query)}")
        assert status == 200, page
        pages += 1
        for item in page["feed"]:
            post = item["post"]
            if item.get("reason") or actor not in (post["author"]["did"], post["author"]["handle"]):
                continue  # a repost
            for image in post["record"].get("embed", {}).get("images", []):
                cid = image["image"]["ref"]["$link"]
                if len(images) < cap and cid not in seen:
                    seen.add(cid)
                    images.append({"cid": cid, "did": post["author"]["did"], "uri": post["uri"],
                                   "alt": image.get("alt", "")})  # fmt: skip
        cursor = page.get("cursor")
        if len(images) >= cap or not cursor:
            return images, pages


def submit_collection(env: dict[str, str], accounts: list[str], cap: int,
                      provider: str = "local") -> dict:  # fmt: skip
    status, submitted = call(
        "POST", f"{env['KINDRED_API_URL']}/collections",
        {"accounts": accounts, "options": {"max_per_account": cap}, "provider": provider},
        {"Authorization": f"Bearer {env['KINDRED_API_KEY']}"},
    )  # fmt: skip
    assert status == 202, submitted
    return submitted


def collection_done(submitted: dict, timeout: float = 300) -> dict:
    return wait_until(submitted, lambda report: report["status"] == "done", timeout)


def collect(env: dict[str, str], accounts: list[str], cap: int, timeout: float = 300,
            provider: str = "local") -> dict:  # fmt: skip
    return collection_done(submit_collection(env, accounts, cap, provider), timeout)


def stats(env: dict[str, str]) -> dict[str, int]:
    body = call("GET", env["KINDRED_GRAPH_URL"] + "/_stats")[1]
    return {**body["by_method"], "requests": body["requests"],
            "errors_injected": body["errors_injected"]}  # fmt: skip


def spent(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {key: after.get(key, 0) - before.get(key, 0) for key in (FEED, BLOB, "requests")}


def stored(env: dict[str, str], did: str,
           provider: str = "local") -> tuple[dict[str, bytes], dict[str, dict]]:  # fmt: skip
    """({cid: the file's bytes}, {cid: its sidecar}) under media/{provider}/{did}/."""
    files, sidecars = {}, {}
    for blob in bucket(env).list_blobs(prefix=f"media/{provider}/{did}/"):
        name = blob.name.rsplit("/", 1)[1]
        cid, _, ext = name.partition(".")
        if ext == "json":
            sidecars[cid] = json.loads(blob.download_as_bytes())
        else:
            assert cid not in files, f"{cid} stored twice ({name})"
            files[cid] = blob.download_as_bytes()
    return files, sidecars


def expectations(env: dict[str, str]) -> dict[str, tuple[list[dict], int]]:
    return {account: own_media(env, account, CAP) for account in ACCOUNTS}


def assert_exact_files(env: dict[str, str], result: dict, want: dict,
                       provider: str = "local") -> None:  # fmt: skip
    by_account = {a["account"]: a for a in result["accounts"]}
    empty, busy, deactivated = (by_account[a] for a in ACCOUNTS)
    assert want[EMPTY][0] == [] and empty["status"] == "done" and empty["images"] == 0
    assert len(want[BUSY][0]) == CAP and busy["status"] == "done", busy
    assert busy["images"] == CAP, {k: busy.get(k) for k in ("fetched", "failed", "missing")}
    assert deactivated["status"] == "failed" and deactivated["reason"] == "deactivated"
    assert deactivated["images"] == 0 and want[DEACTIVATED][0]  # it has images, refused
    files, sidecars = stored(env, busy["did"], provider)
    assert set(files) == {image["cid"] for image in want[BUSY][0]}
    assert busy["bytes"] == sum(len(data) for data in files.values())
    assert all(raw_cid(data) == cid for cid, data in files.items())
    assert set(sidecars) == set(files)
    for image in want[BUSY][0]:
        sidecar = sidecars[image["cid"]]
        assert set(sidecar) >= SIDECAR, sidecar
        assert sidecar["cid"] == image["cid"] and sidecar["post_uri"] == image["uri"]
        assert sidecar["alt"] == image["alt"] and sidecar["size"] == len(files[image["cid"]])
        assert sidecar["author"] == {"did": busy["did"], "handle": BUSY}
        assert f"cid={image['cid']}" in sidecar["source_url"]
    assert stored(env, deactivated["did"], provider) == ({}, {})


def minimum(want: dict) -> tuple[int, int]:
    """(feed pages, getBlob calls): every account's pages, one getBlob per image stored, and
    the deactivated account's first refusal (the rest of its images are then not fetched)."""
    return sum(pages for _, pages in want.values()), len(want[BUSY][0]) + 1
