"""Media collection over Mastodon, its pure parts: a statuses page into images (what is left
out, by reason), an image's key and sidecar, the check of bytes that carry no hash, the blob
budgets' names and queues, and the messages that carry an attachment."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from kindred.adapters.mastodon_values import status_images
from kindred.config import Settings
from kindred.core import collection_names as names
from kindred.core.cid import blob_cid
from kindred.core.image_check import problem
from kindred.core.media import MediaImage, sidecar
from kindred.core.messages import FetchBlob, from_dict
from kindred_infra import paths
from kindred_infra.graph_server.api import GraphApi
from kindred_infra.graph_server.graph import load_graph
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.images import ImageMaker
from kindred_infra.graph_server.mastodon import Route

pytestmark = pytest.mark.unit

HOME, ME = "mastodon.example", "109000000000000001"
FILES = "https://files.mastodon.example/media_attachments/files/110/000/000/000/000/001"


def account(account_id: str = ME, acct: str = "alice") -> dict:
    return {"id": account_id, "acct": acct, "display_name": "Alice", "followers_count": 3,
            "following_count": 4, "avatar": "https://files.mastodon.example/a.png"}  # fmt: skip


def attachment(media_id: str = "7", kind: str = "image", ext: str = "jpeg", **extra) -> dict:
    return {"id": media_id, "type": kind, "url": f"{FILES}/original/abcdef.{ext}",
            "preview_url": f"{FILES}/small/abcdef.{ext}", "remote_url": None,
            "description": "a cat on a chair", "blurhash": "UFG]",
            "meta": {"original": {"width": 640, "height": 480, "size": "640x480",
                                  "aspect": 4 / 3}}, **extra}  # fmt: skip


def status(*attachments: dict, **fields) -> dict:
    """A Status in the shape of Mastodon's API reference (entities/Status)."""
    return {"id": "110000000000000001", "created_at": "2026-01-02T03:04:05.678Z",
            "in_reply_to_id": None, "in_reply_to_account_id": None, "sensitive": False,
            "visibility": "public", "uri": f"https://{HOME}/users/alice/statuses/1",
            "url": f"https://{HOME}/@alice/1", "reblog": None, "account": account(),
            "media_attachments": list(attachments), **fields}  # fmt: skip


def test_a_statuses_image_attachments_become_images_with_their_alt_size_and_url():
    images, left_out = status_images(status(attachment("7"), attachment("8", ext="png")),
                                     ME, HOME, replies=True)  # fmt: skip
    assert left_out == []
    first, second = images
    assert first == MediaImage(
        cid="", mime="image/jpeg", size=0, post_uri=f"https://{HOME}/users/alice/statuses/1",
        created_at="2026-01-02T03:04:05.678Z", did=f"{HOME}/{ME}", handle=f"alice@{HOME}",
        alt="a cat on a chair", width=640, height=480, media_id="7",
        url=f"{FILES}/original/abcdef.jpeg",
    )  # fmt: skip
    assert (second.mime, second.key, first.key) == ("image/png", "id-8", "id-7")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (status(attachment(kind="gifv", ext="mp4"), attachment(kind="video", ext="mp4"),
                attachment(kind="audio", ext="mp3"), attachment(kind="unknown")),
         ["gifv", "video", "audio", "unknown_media"]),
        (status(attachment(), reblog=status(attachment())), ["repost"]),  # a boost
        (status(attachment(), account=account("5", "bob")), ["repost"]),  # another's status
        (status(attachment(id=None)), ["invalid_image"]),  # no id
        (status(attachment(url="javascript:alert(1)")), ["invalid_image"]),
        (status(attachment(ext="svg")), ["invalid_image"]),  # not an image file type
        (status(attachment(), uri=None), ["malformed"]),
        (status(media_attachments="none"), ["malformed"]),
        ("a string", ["malformed"]),
        (status(*[attachment(str(i)) for i in range(22)]), ["over_limit"] * 2),
    ],
)  # fmt: skip
def test_what_is_left_out_is_counted_by_reason(raw, why):
    images, left_out = status_images(raw, ME, HOME, replies=True)
    assert left_out == why
    assert len(images) == (20 if why == ["over_limit"] * 2 else 0)


def test_replies_to_others_are_left_out_when_asked_and_a_thread_of_ones_own_is_kept():
    to_bob = status(attachment(), in_reply_to_id="9", in_reply_to_account_id="5")
    to_self = status(attachment(), in_reply_to_id="9", in_reply_to_account_id=ME)
    assert status_images(to_bob, ME, HOME, replies=False) == ([], ["reply"])
    assert len(status_images(to_bob, ME, HOME, replies=True)[0]) == 1
    assert len(status_images(to_self, ME, HOME, replies=False)[0]) == 1  # exclude_replies too


def test_an_attachment_without_meta_or_description_keeps_no_size_and_an_empty_alt():
    bare = attachment(meta=None, description=None)
    (image,), _ = status_images(status(bare), ME, HOME, replies=True)
    assert (image.width, image.height, image.alt) == (None, None, "")
    assert sidecar(image, "bafkreix", 10, image.url)["aspect_ratio"] is None


def test_the_graph_servers_statuses_page_gives_the_models_images_newest_first():
    graph = load_graph(paths.DEFAULT_GRAPH)
    api = GraphApi(graph, Identity("ego-twitter"), ImageMaker.build(2_000))
    number = 626373  # 18 statuses with images
    actor = api.identity.mastodon_id(number)
    page = api.mastodon.call(Route("statuses", actor), {"only_media": ["true"],
                             "limit": ["40"]}, "http://h").body  # fmt: skip
    images = [i for raw in page for i in status_images(raw, actor, "ego-twitter.test", True)[0]]
    posts, selected = api.media.with_images(graph.index_of(number), True)
    blobs = [blob for p in selected for blob, _ in api.media.post_images(posts, int(p))]
    assert len(images) == len(blobs) == 36
    assert [i.width for i in images] == [b.width for b in blobs]
    assert [i.mime for i in images] == [b.mime for b in blobs]
    assert all(i.handle == f"u{number}@ego-twitter.test" for i in images)
    assert all(i.did == f"ego-twitter.test/{actor}" for i in images)
    assert len({i.media_id for i in images}) == 36  # each attachment its own id


def test_a_sidecar_says_where_the_image_comes_from():
    (image,), _ = status_images(status(attachment("7")), ME, HOME, replies=True)
    assert sidecar(image, "bafkreicid", 1234, image.url) == {
        "cid": "bafkreicid", "post_uri": image.post_uri, "created_at": image.created_at,
        "author": {"id": ME, "acct": f"alice@{HOME}"}, "alt": "a cat on a chair",
        "aspect_ratio": {"width": 640, "height": 480}, "mime_type": "image/jpeg",
        "size": 1234, "source_url": image.url, "attachment_id": "7",
    }  # fmt: skip
    bluesky = MediaImage("bafkreib", "image/png", 9, "at://did:plc:x/p/1", "2026-01-01T00:00:00Z",
                         "did:plc:x", "x.test")  # fmt: skip
    assert sidecar(bluesky, "bafkreib", 9, "u")["author"] == {
        "did": "did:plc:x",
        "handle": "x.test",
    }
    assert "attachment_id" not in sidecar(bluesky, "bafkreib", 9, "u") and bluesky.key == "bafkreib"


def encoded(kind: str, size: tuple[int, int] = (64, 48)) -> bytes:
    pixels = np.random.default_rng(1).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, kind)
    return out.getvalue()


def image_of(mime: str, width: int | None = 64, height: int | None = 48) -> MediaImage:
    return MediaImage("", mime, 0, "u", "t", ME, "alice@h", "", width, height, "7", "https://h/x")


@pytest.mark.parametrize(
    ("data", "image", "found"),
    [
        (encoded("JPEG"), image_of("image/jpeg"), None),
        (encoded("PNG"), image_of("image/png", None, None), None),  # no meta: no size to hold
        (encoded("WEBP"), image_of("image/webp"), None),
        (encoded("JPEG")[: len(encoded("JPEG")) // 2], image_of("image/jpeg"), "undecodable"),
        (encoded("PNG")[:-30], image_of("image/png"), "undecodable"),
        (b"<html><body>Bad gateway</body></html>", image_of("image/jpeg"), "not_image"),
        (b"", image_of("image/jpeg"), "not_image"),
        (encoded("PNG"), image_of("image/jpeg"), "wrong_type"),
        (encoded("JPEG", (48, 64)), image_of("image/jpeg"), "wrong_size"),
    ],
    ids=["jpeg", "png", "webp", "half", "cut", "html", "empty", "png-as-jpeg", "other-size"],
)
def test_bytes_without_a_hash_are_checked_to_be_the_whole_image_said(data, image, found):
    assert problem(data, image) == found


def test_bytes_named_by_a_cid_are_checked_against_it_exactly():
    data = encoded("JPEG")
    named = MediaImage(blob_cid(data), "image/jpeg", len(data), "u", "t", "did:plc:x", "x.test")
    assert problem(data, named) is None
    assert problem(data + b"\0", named) == "cid_mismatch"


def test_each_home_servers_files_have_a_budget_and_queue_of_their_own():
    settings = Settings(mastodon_local_host="ego-twitter.test")
    cases = {
        "local": ("local-blobs", "upstream-local-blobs"),
        "bluesky": ("bluesky-blobs", "upstream-bluesky-blobs"),
        "mastodon:ego-twitter.test": ("mastodon-blobs:ego-twitter.test",
                                      "upstream-mastodon-local-blobs"),
        "mastodon:mastodon.social": ("mastodon-blobs:mastodon.social",
                                     "upstream-mastodon-mastodon-social-blobs"),
        "mastodon:small.example": ("mastodon-blobs:small.example", "upstream-mastodon-blobs"),
    }  # fmt: skip
    for source, (budget, queue) in cases.items():
        assert settings.blob_upstream(source) == budget
        assert settings.upstream_queue(budget) == queue
    assert settings.upstream_rate("mastodon-blobs:small.example") == settings.mastodon_blobs_rate
    assert settings.upstream_rate("mastodon:small.example") == settings.mastodon_rate
    # a host cannot make its API calls spend the blob budget, nor the other way round
    assert settings.upstream_queue("mastodon:x-blobs.example") == "upstream-mastodon"
    assert settings.upstream_queue("mastodon-blobs:x-blobs.example") == "upstream-mastodon-blobs"


def test_an_accounts_files_are_under_its_home_server_and_its_index_by_attachment_id():
    key = f"mastodon.social/{ME}"  # what a Mastodon account's did is: host and id
    for provider in ("mastodon:mastodon.social", "mastodon"):  # one home server, or several
        assert names.media_prefix(provider, key) == f"media/mastodon/mastodon.social/{ME}/"
        assert names.media_index_blob(provider, key, "7") == (
            f"media/mastodon/mastodon.social/{ME}/by-id/7.json"
        )
    assert names.media_prefix("local", "did:plc:x") == "media/local/did:plc:x/"


def test_an_attachment_rides_in_its_fetch_message_and_older_ones_read_without_its_fields():
    image = image_of("image/jpeg")
    message = FetchBlob(analysis="c1", provider="mastodon-blobs:h", source="mastodon:h",
                        index=3, image=image)  # fmt: skip
    body = message.to_dict()
    assert from_dict("blob", body) == message
    older = {**body, "image": {k: v for k, v in body["image"].items()
                               if k not in ("media_id", "url")}}  # fmt: skip
    assert from_dict("blob", older).image.media_id == ""
