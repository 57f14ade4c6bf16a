"""Rate limiting, fault injection and shutdown of the graph server, on a small graph file."""

from __future__ import annotations

import http.client
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kindred.adapters.bluesky import BlueskyGraph
from kindred.core.cost import Meter
from kindred.core.errors import RetryLater
from kindred.core.rate_window import RateWindow
from kindred_infra.process import LOOPBACK, Service, free_port, http_ok, running

pytestmark = pytest.mark.integration

HUB = 1000
EDGES = "# a hub followed by 1..150\n" + "".join(f"{n} {HUB}\n" for n in range(1, 151))


@pytest.fixture(scope="module")
def edge_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small") / "edges.txt"
    path.write_text(EDGES)
    return path


def graph_server(edge_file: Path, log_dir: Path, *flags: str) -> tuple[Service, int]:
    port = free_port()
    argv = [sys.executable, "-m", "kindred_infra.graph_server", "--port", str(port)]
    service = Service(
        name="graph-server",
        argv=[*argv, "--graph", str(edge_file), "--graph-name", "small", *flags],
        log=log_dir / f"graph-server-{port}.log",
        healthy=lambda: http_ok(f"http://{LOOPBACK}:{port}/_health"),
    )
    return service, port


def get(port: int, path: str, timeout: float = 10) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def followers_path(page: int) -> str:
    """Distinct request keys: page k asks for a different limit of the same list."""
    return f"/xrpc/app.bsky.graph.getFollowers?actor=u{HUB}.small.test&limit={page % 40 + 1}"


def parses(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


@pytest.fixture
def started(edge_file: Path, tmp_path: Path) -> Iterator[Callable[..., int]]:
    """Start servers with given flags inside the test; all are stopped afterwards."""
    services: list[Service] = []

    def start(*flags: str) -> int:
        service, port = graph_server(edge_file, tmp_path, *flags)
        services.append(service)
        service.start().wait_healthy()
        return port

    try:
        yield start
    finally:
        for service in services:
            service.stop()


def test_429_with_headers_under_a_tiny_rate_limit(started: Callable[..., int]) -> None:
    port = started("--rate-limit", "3/60")
    statuses = [get(port, followers_path(0))[0] for _ in range(3)]
    assert statuses == [200, 200, 200]
    status, headers, body = get(port, followers_path(0))
    assert status == 429
    assert json.loads(body) == {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    assert headers["ratelimit-limit"] == "3" and headers["ratelimit-remaining"] == "0"
    assert headers["ratelimit-policy"] == "3;w=60"
    assert 0 < int(headers["ratelimit-reset"]) - time.time() <= 61
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert get(port, "/_health")[0] == 200  # not rate limited
    stats = json.loads(get(port, "/_stats")[2])
    assert (stats["requests"], stats["throttled"]) == (4, 1)


def test_faults_with_a_seed_repeat_the_same_sequence(started: Callable[..., int]) -> None:
    flags = ["--rate-limit", "0", "--faults", "0.4", "--fault-seed", "5"]
    port = started(*flags, "--fault-kinds", "5xx,malformed")

    def run() -> list[tuple[int, bool]]:
        return [(s, parses(b)) for s, _, b in (get(port, followers_path(k)) for k in range(40))]

    first = run()
    failed = sum(1 for status, ok in first if status != 200 or not ok)
    assert 4 < failed < 36
    assert {status for status, _ in first} <= {200, 500, 502, 503}
    assert json.loads(get(port, "/_stats")[2])["errors_injected"] == failed
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    conn.request("POST", "/_stats/reset")
    assert conn.getresponse().status == 200
    conn.close()
    assert run() == first
    assert run() != first  # third attempts draw again: a retry can succeed


def test_slow_and_burst_faults(started: Callable[..., int]) -> None:
    flags = ["--rate-limit", "0", "--faults", "1", "--slow-seconds", "0.6"]
    slow = started(*flags, "--fault-kinds", "slow")
    began = time.monotonic()
    status, _, body = get(slow, followers_path(0))
    assert time.monotonic() - began >= 0.6 and status == 200 and parses(body)
    with pytest.raises(TimeoutError):
        get(slow, followers_path(1), timeout=0.2)  # a client timeout shorter than the sleep
    burst = started(*flags, "--fault-kinds", "429")
    status, headers, body = get(burst, followers_path(0))
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 3
    assert json.loads(body)["error"] == "RateLimitExceeded"
    stats = json.loads(get(burst, "/_stats")[2])
    assert stats["throttled"] == stats["errors_injected"] == 1


def test_stops_cleanly_on_sigterm(edge_file: Path, tmp_path: Path) -> None:
    service, port = graph_server(edge_file, tmp_path)
    with running(service):
        assert get(port, followers_path(0))[0] == 200
    assert service.process is not None and service.process.returncode == 0
    log = service.log.read_text()
    assert "serving small (151 nodes, 150 edges" in log and "stopped" in log


def test_a_malformed_file_fails_fast_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n3\n")
    port = free_port()
    argv = [sys.executable, "-m", "kindred_infra.graph_server", "--port", str(port)]
    service = Service("graph-server", [*argv, "--graph", str(bad)], tmp_path / "bad.log", bool)
    try:
        service.start()
        assert service.process is not None and service.process.wait(timeout=30) == 1
    finally:
        service.stop()
    assert f"{bad}, line 2: expected 2 ids" in service.log.read_text()


def test_a_heard_429_holds_back_the_instances_next_calls(started: Callable[..., int]) -> None:
    """Two adapters sharing one RateWindow, as one instance's threads do: after the first 429,
    neither calls again until the reset the server named; a fresh window calls (and hears 429)."""
    port = started("--rate-limit", "2/60")
    window, meter = RateWindow(), Meter()
    graphs = [
        BlueskyGraph(f"http://{LOOPBACK}:{port}", meter, window=window, timeout=5) for _ in range(2)
    ]
    actor = f"u{HUB}.small.test"
    assert [len(graphs[0].followers(actor, None, 10).accounts) for _ in range(2)] == [10, 10]
    with pytest.raises(RetryLater) as heard:
        graphs[0].followers(actor, None, 10)
    assert heard.value.retry_at is not None and heard.value.retry_at > time.time()
    with pytest.raises(RetryLater) as held:
        graphs[1].followers(actor, None, 10)
    assert held.value.retry_at == heard.value.retry_at and "not called" in str(held.value)
    stats = json.loads(get(port, "/_stats")[2])
    assert (stats["requests"], stats["throttled"], meter.upstream_calls) == (3, 1, 3)

    with pytest.raises(RetryLater):
        BlueskyGraph(f"http://{LOOPBACK}:{port}", meter, timeout=5).followers(actor, None, 10)
    assert json.loads(get(port, "/_stats")[2])["throttled"] == 2
