"""A media collection over Mastodon's dialect on the real stack (`kindred up --media
--account-states`): the stored files are exactly the images of the graph server's own posts
model (the account's own, newest first, capped), each once under the CID of its bytes, with
its sidecar and its attachment's index; the calls are the minimum (a lookup, the statuses
pages, one download per image); a second collection downloads nothing; the accounts that
cannot be read are recorded with their reasons; and the export reads it unchanged."""

from __future__ import annotations

import json

import pytest
from support.collection import collect, stats
from support.export import export, read_samples
from support.stack import TEST_RATE, bucket, running, speed_up

from kindred.core.shards import IMAGE_FIELD
from kindred_infra import paths, stack
from kindred_infra.graph_server.api import GraphApi
from kindred_infra.graph_server.cid import raw_cid
from kindred_infra.graph_server.graph import load_graph
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.images import ImageMaker
from kindred_infra.graph_server.mastodon import (
    HIDDEN,
    MEDIA_METHOD,
    STATUSES_MAX,
    SUSPENDED,
    status_ids,
)

HOST = "ego-twitter.test"
TWO_PAGES = 14348594  # 44 statuses with 67 images: a full page of 40, then 4
EMPTY = 352721194  # no post at all: a lookup and one empty page
HIDDEN_ONE = 5868362  # hides its network, not its statuses: 3 images
SUSPENDED_ONE = 30863  # refused at its lookup
ACCOUNTS = [f"u{n}@{HOST}" for n in (TWO_PAGES, EMPTY, HIDDEN_ONE, SUSPENDED_ONE)]
ACCOUNTS.append(f"nobody@{HOST}")  # unknown: its lookup answers 404
CAP, IMAGE_BYTES = 80, 20_000
LOOKUP, STATUSES = "mastodon.lookup", "mastodon.statuses"
SIDECAR = {"cid", "post_uri", "created_at", "author", "alt", "aspect_ratio", "mime_type",
           "size", "source_url", "attachment_id"}  # fmt: skip


@pytest.fixture(scope="module")
def mastodon_media_stack(tmp_path_factory):
    options = stack.StackOptions(
        home=tmp_path_factory.mktemp("kindred-mastodon-media"), ports=stack.free_ports(),
        rate_limit="0", media=True, account_states=True, image_bytes=IMAGE_BYTES,
        # the blob queue is sped up (speed_up): each account's check waits for it at that pace
        settings={"mastodon_local_blobs_rate": TEST_RATE},
    )  # fmt: skip
    with running(options) as env:
        yield speed_up(env)


@pytest.fixture(scope="module")
def model():
    """The graph server's own posts model, with the stack's images, in-process."""
    graph = load_graph(paths.DEFAULT_GRAPH)
    api = GraphApi(graph, Identity("ego-twitter"), ImageMaker.build(IMAGE_BYTES), states=True)
    assert api.mastodon.state(HIDDEN_ONE) == HIDDEN
    assert api.mastodon.state(SUSPENDED_ONE) == SUSPENDED
    return api


def expected(api: GraphApi, account: int, cap: int) -> tuple[list[tuple[str, int]], int]:
    """([(CID, attachment id)] of the account's own images, newest first, capped; the
    statuses pages the chain reads), from the posts model: the statuses are its posts with
    images, 40 a page, and a full page names a next one."""
    index = api.graph.index_of(account)
    assert index is not None
    posts, selected = api.media.with_images(index, True)
    images: list[tuple[str, int]] = []
    pages = 0
    for start in range(0, max(1, selected.size + 1), STATUSES_MAX):
        page = selected[start : start + STATUSES_MAX].tolist()
        pages += 1
        for p in page:
            status = int(status_ids(posts.times[p : p + 1])[0])
            for slot, (blob, _) in enumerate(api.media.post_images(posts, p)):
                images.append((blob.cid, status * 4 + slot))
        if len(images) >= cap or len(page) < STATUSES_MAX:
            return images[:cap], pages
    return images[:cap], pages


def stored(env: dict[str, str], did: str) -> tuple[dict, dict, dict]:
    """({cid: bytes}, {cid: sidecar}, {attachment id: index}) under the account's folder,
    `media/mastodon/{host}/{id}/` (its did is `{host}/{id}`)."""
    files, sidecars, indexes = {}, {}, {}
    prefix = f"media/mastodon/{did}/"
    for blob in bucket(env).list_blobs(prefix=prefix):
        name = blob.name[len(prefix) :]
        key, _, ext = name.removeprefix("by-id/").partition(".")
        if name.startswith("by-id/"):
            indexes[key] = json.loads(blob.download_as_bytes())
        elif ext == "json":
            sidecars[key] = json.loads(blob.download_as_bytes())
        else:
            assert key not in files, f"{key} stored twice ({name})"
            files[key] = blob.download_as_bytes()
    return files, sidecars, indexes


def spent(before: dict, after: dict) -> dict[str, int]:
    keys = (LOOKUP, STATUSES, MEDIA_METHOD, "requests")
    return {key: after.get(key, 0) - before.get(key, 0) for key in keys}


def test_a_mastodon_collection_stores_the_models_images_once_and_records_the_failures(
    mastodon_media_stack, model
):
    env = mastodon_media_stack
    want = {n: expected(model, n, CAP) for n in (TWO_PAGES, EMPTY, HIDDEN_ONE)}
    assert want[TWO_PAGES][1] == 2 and len(want[TWO_PAGES][0]) == 67 and not want[EMPTY][0]
    before = stats(env)
    result = collect(env, ACCOUNTS, CAP, timeout=120, provider="mastodon")
    used = spent(before, stats(env))
    by_account = {a["account"]: a for a in result["accounts"]}
    assert result["provider"] == f"mastodon:{HOST}"

    for number in (TWO_PAGES, HIDDEN_ONE):
        account = by_account[f"u{number}@{HOST}"]
        images = want[number][0]
        assert account["status"] == "done" and account["images"] == len(images), account
        assert account["did"] == f"{HOST}/{Identity('ego-twitter').mastodon_id(number)}"
        files, sidecars, indexes = stored(env, account["did"])
        assert set(files) == {cid for cid, _ in images} == set(sidecars)
        assert all(raw_cid(data) == cid for cid, data in files.items())
        assert {media: index["cid"] for media, index in indexes.items()} == {
            str(media): cid for cid, media in images
        }
        assert account["bytes"] == sum(map(len, files.values()))
        for cid, media in images:
            sidecar = sidecars[cid]
            assert set(sidecar) == SIDECAR and sidecar["attachment_id"] == str(media)
            assert sidecar["author"] == {
                "id": account["did"].rpartition("/")[2],
                "acct": f"u{number}@{HOST}",
            }
            assert sidecar["size"] == len(files[cid]) and sidecar["source_url"].startswith(
                env["KINDRED_GRAPH_URL"] + "/system/media_attachments/files/"
            )
            assert sidecar["aspect_ratio"]["width"] > 0 and "/statuses/" in sidecar["post_uri"]
    empty = by_account[f"u{EMPTY}@{HOST}"]
    assert (empty["status"], empty["images"]) == ("done", 0)
    failed = {a["account"]: a.get("reason") for a in result["accounts"] if a["status"] == "failed"}
    assert failed == {f"u{SUSPENDED_ONE}@{HOST}": "suspended", f"nobody@{HOST}": "not_found"}

    total = sum(len(images) for images, _ in want.values())
    pages = sum(n for _, n in want.values())
    print(f"\nmastodon: {used[LOOKUP]} lookups + {used[STATUSES]} statuses pages + "
          f"{used[MEDIA_METHOD]} files = {used['requests']} calls; minimum "
          f"{len(ACCOUNTS)} + {pages} + {total}")  # fmt: skip
    assert (used[LOOKUP], used[STATUSES], used[MEDIA_METHOD]) == (len(ACCOUNTS), pages, total)
    assert used["requests"] == len(ACCOUNTS) + pages + total
    assert result["progress"]["upstream_calls"] == used["requests"]

    again_before = stats(env)
    again = collect(env, [f"u{HIDDEN_ONE}@{HOST}"], CAP, timeout=60, provider="mastodon")
    again_used = spent(again_before, stats(env))
    assert (again_used[LOOKUP], again_used[STATUSES], again_used[MEDIA_METHOD]) == (1, 1, 0)
    only = again["accounts"][0]
    assert (only["images"], only["already_stored"], only["fetched"]) == (3, 3, 0)

    manifest = export(env, result["id"])  # the export's code knows nothing of Mastodon
    samples = read_samples([shard["url"] for shard in manifest["shardlist"]])
    assert manifest["totals"]["samples"] == len(samples) == total
    files = {}
    for number in (TWO_PAGES, HIDDEN_ONE):
        files |= stored(env, by_account[f"u{number}@{HOST}"]["did"])[0]
    assert {key.rsplit("_", 1)[1]: sample[IMAGE_FIELD] for key, sample in samples.items()} == files
