"""A Mastodon attachment's file is fetched like the API: through the pinned connection, never
from a private, loopback or metadata address but the configured local host's, and only a
whole answer of the type its URL says is handed on.

A small file server of the test's own on a loopback port answers each path its own way; the
adapter reaches it as the configured local host (`pinned.configured`), as the stack's
functions reach the graph server.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from support.rebinding import PUBLIC

from kindred.adapters import pinned
from kindred.adapters.mastodon import MastodonGraph
from kindred.adapters.mastodon_media import MastodonMedia
from kindred.core.cost import Meter
from kindred.core.errors import FailedForGood, RetryLater
from kindred.core.media import MediaImage
from kindred.core.netguard import check_public_url

PUBLIC_ONLY = functools.partial(check_public_url, field="account")
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4  # its bytes are the caller's to decode
ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok.jpeg": (200, {"Content-Type": "image/jpeg"}, JPEG),
    "/untyped.jpeg": (200, {"Content-Type": "binary/octet-stream"}, JPEG),
    "/gone.jpeg": (404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"),
    "/denied.jpeg": (403, {"Content-Type": "application/xml"}, b"<Error>AccessDenied</Error>"),
    "/moved.jpeg": (302, {"Location": "http://169.254.169.254/latest/meta-data"}, b""),
    "/page.jpeg": (200, {"Content-Type": "text/html"}, b"<html>a login page</html>"),
    "/png.jpeg": (200, {"Content-Type": "image/png"}, JPEG),
    "/huge.jpeg": (200, {"Content-Type": "image/jpeg", "Content-Length": "99999999"}, b""),
    "/short.jpeg": (200, {"Content-Type": "image/jpeg", "Content-Length": "5000"}, JPEG),
    "/busy.jpeg": (429, {}, b'{"error":"Too many requests"}'),  # its reset: a minute on
    "/broken.jpeg": (503, {}, b"<html>Bad gateway</html>"),
}


class Files(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Files.asked.append(self.path)
        status, headers, body = ANSWERS.get(self.path, (404, {}, b""))
        self.send_response(status)
        headers = {"Content-Length": str(len(body)), **headers}
        if status == 429:
            reset = datetime.fromtimestamp(time.time() + 60, UTC)
            headers["X-RateLimit-Reset"] = reset.isoformat()
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        if int(headers["Content-Length"]) != len(body):
            self.close_connection = True  # cut short: the rest never comes

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def files() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    server.daemon_threads = True
    serve = functools.partial(server.serve_forever, poll_interval=0.05)
    threading.Thread(target=serve, daemon=True).start()
    Files.asked = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def image(url: str) -> MediaImage:
    return MediaImage("", "image/jpeg", 0, "https://h/users/u/statuses/1", "2026-01-01T00:00:00Z",
                      "1", "u@h", media_id="7", url=url)  # fmt: skip


def local(origin: str) -> MastodonMedia:
    guard = pinned.configured(origin)
    return MastodonMedia(MastodonGraph("ego-twitter.test", origin, Meter(), guard))


def test_a_whole_answer_of_the_urls_type_is_the_files_bytes(files):
    media = local(files)
    assert media.blob(image(f"{files}/ok.jpeg")) == JPEG
    assert media.blob(image(f"{files}/untyped.jpeg")) == JPEG  # object stores often say so
    assert media.graph.meter.upstream_calls == 2


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/gone.jpeg", "blob_not_found"), ("/denied.jpeg", "forbidden"),
     ("/moved.jpeg", "redirected"), ("/png.jpeg", "wrong_type"), ("/huge.jpeg", "too_large")],
)  # fmt: skip
def test_what_no_retry_mends_fails_for_good_with_its_reason(files, path, reason):
    with pytest.raises(FailedForGood) as raised:
        local(files).blob(image(f"{files}{path}"))
    assert raised.value.reason == reason
    assert Files.asked == [path]  # a redirect is not followed


@pytest.mark.parametrize("path", ["/page.jpeg", "/short.jpeg", "/broken.jpeg"])
def test_an_answer_that_is_not_the_whole_file_is_tried_again(files, path):
    with pytest.raises(RetryLater):
        local(files).blob(image(f"{files}{path}"))


def test_a_429_holds_the_instances_later_calls_until_its_reset(files):
    media = local(files)
    with pytest.raises(RetryLater) as raised:
        media.blob(image(f"{files}/busy.jpeg"))
    assert raised.value.retry_at == pytest.approx(time.time() + 60, abs=5)
    with pytest.raises(RetryLater, match="not called") as held:
        media.blob(image(f"{files}/ok.jpeg"))
    assert held.value.retry_at == raised.value.retry_at
    assert Files.asked == ["/busy.jpeg"] and media.graph.meter.upstream_calls == 1


def test_a_file_on_a_private_loopback_or_metadata_address_is_never_asked_for(connections):
    home = MastodonGraph("mastodon.example", "https://mastodon.example", Meter(), PUBLIC_ONLY)
    for url in ("http://10.0.0.5/files/a.jpeg", "http://169.254.169.254/latest/a.jpeg",
                "http://[::ffff:127.0.0.1]/a.jpeg", "http://localhost/a.jpeg"):  # fmt: skip
        with pytest.raises(FailedForGood) as raised:
            MastodonMedia(home).blob(image(url))
        assert raised.value.reason == "host_not_allowed", url
    assert connections == [] and home.meter.upstream_calls == 0


def test_on_the_configured_local_host_a_file_elsewhere_is_refused(files, connections):
    elsewhere = files.replace("127.0.0.1", "localhost")  # the same server, another name
    with pytest.raises(FailedForGood) as raised:
        local(files).blob(image(f"{elsewhere}/ok.jpeg"))
    assert raised.value.reason == "host_not_allowed" and Files.asked == []


def test_a_media_host_that_rebinds_to_loopback_gets_no_request(files, rebinding, connections):
    port = files.rsplit(":", 1)[1]
    home = MastodonGraph("mastodon.example", "https://mastodon.example", Meter(), PUBLIC_ONLY)
    with contextlib.suppress(RetryLater):  # the checked public address refuses: no sandbox exit
        MastodonMedia(home).blob(image(f"http://rebind.test:{port}/ok.jpeg"))
    assert rebinding == ["rebind.test"]  # resolved once, by the check
    assert connections == [(PUBLIC, int(port))] and Files.asked == []
