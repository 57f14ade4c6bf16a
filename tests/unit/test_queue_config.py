import datetime

import pytest
import yaml

from kindred_infra import queue_config
from kindred_infra.queue_config import QueueConfigError, QueueSpec, RetrySpec

pytestmark = pytest.mark.unit

PARENT = "projects/p/locations/us-central1"


def parse(text: str) -> list[QueueSpec]:
    return queue_config.parse(yaml.safe_load(text), source="test.yaml")


def test_parses_a_full_queue() -> None:
    [spec] = parse(
        """
queue:
- name: upstream-local
  rate: 20/s
  bucket_size: 20
  max_concurrent_requests: 10
  retry_parameters:
    task_retry_limit: 8
    task_age_limit: 2h
    min_backoff_seconds: 1
    max_backoff_seconds: 300
    max_doublings: 5
"""
    )
    assert spec == QueueSpec(
        name="upstream-local",
        rate=20.0,
        bucket_size=20,
        max_concurrent_requests=10,
        retry=RetrySpec(
            task_retry_limit=8,
            task_age_limit=7200.0,
            min_backoff_seconds=1.0,
            max_backoff_seconds=300.0,
            max_doublings=5,
        ),
    )


def test_unset_fields_stay_none() -> None:
    [spec] = parse("queue:\n- name: q\n  rate: 1/s\n")
    assert spec.bucket_size is None and spec.max_concurrent_requests is None
    assert spec.retry == RetrySpec()


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("20/s", 20.0), ("5/m", 5 / 60), ("5000/h", 5000 / 3600), ("2/d", 2 / 86400), ("0.5/s", 0.5)],
)
def test_rates_become_dispatches_per_second(text: str, per_second: float) -> None:
    assert queue_config.parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize(
    ("text", "seconds"), [("1d", 86400), ("2h", 7200), ("30m", 1800), ("90s", 90)]
)
def test_ages_become_seconds(text: str, seconds: float) -> None:
    assert queue_config.parse_age(text) == seconds


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("- name: q\n  rate: 20 per second", "queue #1 'q': rate '20 per second' is not N/s"),
        ("- name: q\n  rate: 600/s", "'q': rate '600/s' is not in (0, 500/s]"),
        ("- name: q\n  rate: 0/s", "'q': rate '0/s' is not in"),
        ("- name: q", "'q': rate is required"),
        ("- name: q\n  rate: 1/s\n  speed: 3", "'q': unknown key(s) ['speed']"),
        ("- name: q\n  rate: 1/s\n  bucket_size: 0", "'q': bucket_size 0 is not in [1, 500]"),
        ("- name: q\n  rate: 1/s\n  bucket_size: 2.5", "'q': bucket_size 2.5 is not a whole"),
        ("- name: q_1\n  rate: 1/s", "name 'q_1' is not 1-100 letters"),
        ("- rate: 1/s", "queue #1: name None"),
        (
            "- name: q\n  rate: 1/s\n  retry_parameters: {task_age_limit: 3 weeks}",
            "'q' retry_parameters: task_age_limit: age '3 weeks'",
        ),
        (
            "- name: q\n  rate: 1/s\n  retry_parameters: {max_retries: 3}",
            "'q' retry_parameters: unknown key(s) ['max_retries']",
        ),
        (
            "- name: q\n  rate: 1/s\n  retry_parameters: {task_retry_limit: 0}",
            "'q' retry_parameters: task_retry_limit 0 reads as 'unset'",
        ),
        (
            "- name: q\n  rate: 1/s\n  retry_parameters: {max_doublings: 0}",
            "max_doublings 0 reads as 'unset'",
        ),
        (
            "- name: q\n  rate: 1/s\n  retry_parameters:"
            " {min_backoff_seconds: 10, max_backoff_seconds: 5}",
            "min_backoff_seconds 10 is larger than max_backoff_seconds 5",
        ),
        (
            "- name: q\n  rate: 1/s\n  retry_parameters: {min_backoff_seconds: -1}",
            "min_backoff_seconds -1 is not a positive number",
        ),
    ],
)
def test_errors_name_the_queue_and_the_field(entry: str, message: str) -> None:
    with pytest.raises(QueueConfigError) as raised:
        parse(f"queue:\n{entry}\n")
    assert message in str(raised.value)
    assert str(raised.value).startswith("test.yaml")


def test_a_duplicate_name_is_refused() -> None:
    with pytest.raises(QueueConfigError, match="queue 'q' is defined twice"):
        parse("queue:\n- name: q\n  rate: 1/s\n- name: q\n  rate: 2/s\n")


@pytest.mark.parametrize("text", ["", "queues: []", "queue: {name: q}", "queue: []\nextra: 1"])
def test_the_document_shape_is_checked(text: str) -> None:
    with pytest.raises(QueueConfigError, match=r"test\.yaml"):
        parse(text)


def test_load_reads_a_file(tmp_path) -> None:
    path = tmp_path / "queue.yaml"
    path.write_text("queue:\n- name: a\n  rate: 5/m\n")
    assert queue_config.load(path) == [QueueSpec(name="a", rate=5 / 60)]
    path.write_text("queue: [\n")
    with pytest.raises(QueueConfigError, match="not valid YAML"):
        queue_config.load(path)


def test_the_project_queue_yaml_is_valid() -> None:
    from pathlib import Path

    specs = queue_config.load(Path(__file__).parents[2] / "queue.yaml")
    assert {spec.name for spec in specs} >= {"pipeline"}


def test_to_queue_maps_every_field() -> None:
    spec = QueueSpec(
        name="q",
        rate=9.0,
        bucket_size=10,
        max_concurrent_requests=4,
        retry=RetrySpec(8, 86400.0, 5.0, 600.0, 5),
    )
    queue = queue_config.to_queue(spec, PARENT)
    assert queue.name == f"{PARENT}/queues/q"
    assert queue.rate_limits.max_dispatches_per_second == 9.0
    assert queue.rate_limits.max_burst_size == 10
    assert queue.rate_limits.max_concurrent_dispatches == 4
    retry = queue.retry_config
    assert retry.max_attempts == 8
    assert retry.max_retry_duration == datetime.timedelta(days=1)
    assert retry.min_backoff == datetime.timedelta(seconds=5)
    assert retry.max_backoff == datetime.timedelta(seconds=600)
    assert retry.max_doublings == 5


def test_to_queue_leaves_unset_fields_for_cloud_tasks_to_default() -> None:
    queue = queue_config.to_queue(QueueSpec(name="q", rate=1.0), PARENT)
    assert queue.rate_limits.max_burst_size == 0
    assert queue.rate_limits.max_concurrent_dispatches == 0
    assert queue.retry_config.max_attempts == 0
    assert "max_retry_duration" not in queue.retry_config
