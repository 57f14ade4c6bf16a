"""Settings: the default graph beside the repository, the env override, names and flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from kindred_infra import paths
from kindred_infra.graph_server.config import default_graph_path, parse_config
from kindred_infra.graph_server.ratelimit import RatePolicy

pytestmark = pytest.mark.unit


def test_default_graph_is_bundled_inside_the_repository() -> None:
    path = default_graph_path({})
    assert (paths.REPO / "pyproject.toml").is_file() and path.is_file()
    assert path == paths.REPO / "data/ego-twitter/twitter_combined.txt.gz"


def test_env_overrides_the_default_and_the_flag_overrides_both(tmp_path: Path) -> None:
    env = {"KINDRED_GRAPH_PATH": str(tmp_path / "My_Graph" / "edges.txt")}
    config = parse_config([], env)
    assert config.graph_path == tmp_path / "My_Graph" / "edges.txt"
    assert config.graph_name == "my-graph"  # named after its folder, made handle-safe
    config = parse_config(["--graph", "x/e.txt", "--graph-name", "tiny"], env)
    assert (config.graph_path, config.graph_name) == (Path("x/e.txt"), "tiny")


def test_flags() -> None:
    config = parse_config(
        ["--port", "0", "--rate-limit", "5/10", "--faults", "0.2", "--fault-kinds", "slow"],
        {},
    )
    assert (config.port, config.rate, config.faults.share) == (0, RatePolicy(5, 10), 0.2)
    assert config.faults.kinds == ("slow",) and config.faults.slow_seconds == 15.0
    assert parse_config([], {}).graph_name == "ego-twitter"


@pytest.mark.parametrize(
    "argv",
    [
        ["--rate-limit", "fast"],
        ["--faults", "2"],
        ["--fault-kinds", "boom"],
        ["--graph-name", "A B"],
    ],
)
def test_bad_flags_exit_with_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse_config(argv, {})
    assert caught.value.code == 2
    assert "error:" in capsys.readouterr().err
