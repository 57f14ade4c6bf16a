"""One table of settings: the functions' config, the stack, deploy, the CLI and queue.yaml agree."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from kindred import config
from kindred.config import Settings
from kindred_infra import deploy, paths, queue_config, stack
from kindred_infra.cli import main as cli
from kindred_infra.stack.plan import stack_env

QUEUES = {spec.name: spec for spec in queue_config.load(paths.QUEUE_YAML)}
DEFAULTS = Settings()


def test_every_setting_has_one_variable_and_every_variable_one_setting():
    assert set(config.ENV) == {f.name for f in fields(Settings)}
    assert len(set(config.ENV.values())) == len(config.ENV)


def test_the_queues_the_functions_use_are_queue_yamls_at_its_rates():
    for provider in DEFAULTS.providers:
        for budget in (provider, DEFAULTS.blob_upstream(provider)):  # its API, its files
            queue = QUEUES[DEFAULTS.upstream_queue(budget)]
            assert DEFAULTS.upstream_rate(budget) == queue.rate, budget
    assert DEFAULTS.pipeline_queue in QUEUES
    assert DEFAULTS.export_queue in QUEUES
    assert DEFAULTS.mail_queue in QUEUES


def test_each_mastodon_home_server_has_its_queue_at_the_documented_rate_kept_under():
    """300 requests per 5 minutes per address (Mastodon's API reference), a little under."""
    shared = DEFAULTS.upstream_queue("mastodon:elsewhere.example")
    for host in DEFAULTS.mastodon_hosts:
        queue = QUEUES[DEFAULTS.upstream_queue(f"mastodon:{host}")]
        assert queue.name != shared and queue.rate == DEFAULTS.upstream_rate(f"mastodon:{host}")
    for queue in [QUEUES[shared], *(QUEUES[DEFAULTS.upstream_queue(f"mastodon:{h}")]
                                    for h in DEFAULTS.mastodon_hosts)]:  # fmt: skip
        assert 0.85 * 300 <= queue.rate * 300 < 300, queue.name
    # and its media files their own queue, beside its API's, at their own rate
    files = DEFAULTS.upstream_queue(DEFAULTS.blob_upstream("mastodon:elsewhere.example"))
    for host in DEFAULTS.mastodon_hosts:
        budget = DEFAULTS.blob_upstream(f"mastodon:{host}")
        queue = QUEUES[DEFAULTS.upstream_queue(budget)]
        assert queue.name not in (files, shared) and queue.name.endswith("-blobs")
        assert queue.rate == DEFAULTS.upstream_rate(budget) == QUEUES[files].rate


def test_the_stack_sets_only_known_variables_and_the_functions_read_back_its_options(tmp_path):
    options = stack.StackOptions(home=tmp_path, stale_seconds=42.0, max_running=7,
                                 upstream_timeout=3.5, api_key="k-1")  # fmt: skip
    env = stack_env(options)
    assert set(env) - set(config.ENV.values()) == {
        config.API_KEY_ALIAS,
        "KINDRED_HOME",
        "KINDRED_MAIL_URL",
    }
    read = Settings.from_env(env)
    assert (read.stale_seconds, read.max_running, read.upstream_timeout) == (42.0, 7, 3.5)
    assert read.api_keys == ("k-1",) and read.local
    assert read.upstream_rate("local") == QUEUES[DEFAULTS.upstream_queue("local")].rate
    local_mastodon = f"mastodon:{read.mastodon_local_host}"
    assert read.mastodon_local_host == "ego-twitter.test"  # the bundled graph's home server
    assert read.provider_url(local_mastodon) == read.graph_url
    queue = QUEUES[read.upstream_queue(local_mastodon)]
    assert (
        queue.name == "upstream-mastodon-local" and read.upstream_rate(local_mastodon) == queue.rate
    )
    files = read.blob_upstream(local_mastodon)
    queue = QUEUES[read.upstream_queue(files)]
    assert queue.name == "upstream-mastodon-local-blobs" and read.upstream_rate(files) == queue.rate


def test_the_stacks_defaults_are_the_functions():
    options = stack.StackOptions(home=Path("/nowhere"))
    for name in ("project", "location", "bucket", "stale_seconds", "max_running",
                 "upstream_timeout"):  # fmt: skip
        assert getattr(options, name) == getattr(DEFAULTS, name), name


def test_deploy_sets_only_known_variables_with_queue_yamls_rates():
    target = deploy.Target("p", "r", "b", "sa@p")
    env = target.env(list(QUEUES.values()))
    assert set(env) <= set(config.ENV.values())
    read = Settings.from_env(env)
    assert read.upstream_rate("bluesky") == QUEUES[DEFAULTS.upstream_queue("bluesky")].rate
    files = DEFAULTS.blob_upstream("mastodon")
    assert read.upstream_rate(files) == QUEUES[DEFAULTS.upstream_queue(files)].rate
    assert (read.project, read.location, read.service_account) == ("p", "r", "sa@p")
    assert not read.smtp_host  # no SMTP server named: no e-mail
    mail = deploy.MailTarget("smtp.example.org", 465, "tls", "kindred", "k <k@example.org>")
    read = Settings.from_env(deploy.Target("p", "r", "b", "sa@p", mail).env([]))
    assert (read.smtp_host, read.smtp_port, read.smtp_security) == ("smtp.example.org", 465, "tls")
    assert (read.smtp_user, read.mail_from, read.smtp_password) == (
        "kindred",
        "k <k@example.org>",
        "",
    )


def test_an_smtp_security_that_is_not_known_is_refused_naming_the_variable():
    import pytest

    with pytest.raises(ValueError, match="KINDRED_SMTP_SECURITY must be one of starttls, tls"):
        Settings.from_env({"KINDRED_SMTP_SECURITY": "ssl"})


def test_the_cli_offers_the_stacks_defaults():
    up = {param.name: param for param in cli.commands["up"].params}
    assert up["stale_seconds"].default == DEFAULTS.stale_seconds
    assert up["rate_limit"].default == stack.LOCAL_RATE_LIMIT
    providers = {param.name: param for param in cli.commands["analyze"].params}["provider"]
    assert tuple(providers.type.choices) == DEFAULTS.providers
