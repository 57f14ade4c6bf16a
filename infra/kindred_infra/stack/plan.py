"""What `kindred up` starts, on which ports, with which environment: plain data, no I/O."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from kindred import config
from kindred_infra import paths, queue_config, tasks_emulator
from kindred_infra.catalog import FUNCTIONS
from kindred_infra.graph_server.identity import Identity, dataset_name_from


@dataclass(frozen=True)
class StackPorts:
    """Fixed defaults so URLs stay the same between runs; each overridable (KINDRED_<PART>_PORT)."""

    firestore: int = 8610
    storage: int = 8620
    tasks: int = 8630
    graph: int = 8640
    functions: int = 8650  # the first function; the others take the ports after it
    tasks_certs: int = 8631  # the tasks emulator's signing certificate (KINDRED_GOOGLE_CERTS_URL)
    mail: int = 8660  # the mail server's SMTP port, where the functions send
    mail_web: int = 8661  # its web page and REST API, where people and tests read the messages

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StackPorts:
        ports = cls()
        for name in ("firestore", "storage", "tasks", "graph", "functions", "tasks_certs",
                     "mail", "mail_web"):  # fmt: skip
            value = env.get(f"KINDRED_{name.upper()}_PORT")
            if value:
                if not value.isdigit() or not 0 < int(value) < 65536:
                    raise ValueError(
                        f"KINDRED_{name.upper()}_PORT must be a port number, not {value!r}"
                    )
                ports = replace(ports, **{name: int(value)})
        return ports


SETTINGS = config.Settings()  # the functions' defaults, which the stack keeps
MAIL_URL = "KINDRED_MAIL_URL"  # in stack.env: where the mail server shows what it received
# The graph server's limit per client: 25/s, above the local queue's 20/s, so the pipeline
# stays under it (Bluesky's is 3000/300).
LOCAL_RATE_LIMIT = "7500/300"


@dataclass(frozen=True)
class StackOptions:
    home: Path
    host: str = "127.0.0.1"
    ports: StackPorts = field(default_factory=StackPorts)
    project: str = SETTINGS.project
    location: str = SETTINGS.location
    bucket: str = SETTINGS.bucket
    graph: Path | None = None  # None: the bundled ego-twitter graph
    graph_name: str | None = None
    rate_limit: str = LOCAL_RATE_LIMIT
    faults: float = 0.0
    fault_seed: int = 0
    duplicates: float = 0.0
    cron_every: float | None = None  # seconds between local cron calls; None: each function's own
    stale_seconds: float = SETTINGS.stale_seconds  # the sweeper's patience
    max_running: int = SETTINGS.max_running
    upstream_timeout: float = SETTINGS.upstream_timeout  # the functions' patience upstream
    slow_seconds: float = 15.0  # how long the graph server's "slow" fault makes an answer wait
    media: bool = False  # the graph server's posts, images and getBlob (--media)
    account_states: bool = False  # its Mastodon dialect's suspended, moved, hidden accounts
    image_bytes: int | None = None  # the graph server's typical image size; None: its default
    function_workers: int = 1  # processes per function (functions-framework's WORKERS)
    api_key: str = ""  # who may submit; `kindred up` makes one and keeps it in the home
    tasks_body_key: str = ""  # signs task bodies; `kindred up` makes it; only functions get it
    service_account: str = "kindred-tasks@kindred-local.iam.gserviceaccount.com"
    # More Settings fields for the functions and clients (config.to_env), e.g. a test's
    # bluesky_url and plc_directory pointed at the graph server.
    settings: Mapping[str, object] = field(default_factory=dict)

    @property
    def logs(self) -> Path:
        return self.home / "logs"


def part_log(logs: Path, part: str) -> Path:
    """A part's log file: `function:tasks` writes `logs/function-tasks.log`."""
    return logs / f"{part.replace(':', '-')}.log"


@dataclass(frozen=True)
class PartSpec:
    """One process of the stack and how to tell that it is ready."""

    name: str
    argv: tuple[str, ...]
    endpoint: str
    health_url: str | None = None  # None: ready when the port accepts connections
    port: int = 0
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None

    @property
    def port_variable(self) -> str:
        """The environment variable that moves this part to another port."""
        kind = "functions" if self.name.startswith("function:") else self.name
        return f"KINDRED_{kind.upper()}_PORT"


def tasks_signing_key(home: Path) -> Path:
    """The RSA key and certificate the tasks emulator signs its OIDC tokens with (mode 600)."""
    return home / "tasks_signing_key.pem"


def tasks_certs_url(options: StackOptions) -> str:
    """Where the tasks emulator serves that certificate, in Google's oauth2/v1/certs format."""
    return f"http://{options.host}:{options.ports.tasks_certs}/oauth2/v1/certs"


def mail_url(options: StackOptions) -> str:
    """The mail server's web page and REST API (`GET /email`: every message it kept)."""
    return f"http://{options.host}:{options.ports.mail_web}"


def firestore_snapshot(home: Path) -> Path:
    """Where the Firestore emulator keeps its documents between `down` and `up`.

    The other parts keep theirs on disk as they go (Storage in `storage/`, Tasks in `tasks/`),
    so a restarted stack carries on with the analyses it had, as the cloud would.
    """
    return home / "firestore.json"


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def function_url(options: StackOptions, name: str) -> str:
    index = [function.name for function in FUNCTIONS].index(name)
    return f"http://{options.host}:{options.ports.functions + index}"


def mastodon_host(options: StackOptions) -> str:
    """The home server the graph server's Mastodon dialect stands for: `{graph name}.test`,
    the name the server itself derives (`ego-twitter.test` for the bundled graph)."""
    graph = options.graph or paths.DEFAULT_GRAPH
    name = options.graph_name or dataset_name_from(graph.resolve().parent.name)
    return Identity(name).host


def stack_env(options: StackOptions) -> dict[str, str]:
    """The variables that point clients and functions at the local stack (`.kindred/stack.env`)."""
    host, ports = options.host, options.ports
    rates = {q.name: q.rate for q in queue_config.load(paths.QUEUE_YAML)}
    return {
        **config.to_env(
            project=options.project,
            location=options.location,
            bucket=options.bucket,
            firestore_emulator_host=f"{host}:{ports.firestore}",
            # google-cloud-storage reads this variable as a URL: "despite name, includes scheme".
            storage_emulator_host=f"http://{host}:{ports.storage}",
            tasks_emulator_host=f"{host}:{ports.tasks}",
            graph_url=f"http://{host}:{ports.graph}",
            api_url=function_url(options, "api"),
            tasks_url=function_url(options, "tasks"),
            upstream_timeout=options.upstream_timeout,
            service_account=options.service_account,
            google_certs_url=tasks_certs_url(options),
            stale_seconds=options.stale_seconds,
            max_running=options.max_running,
            local_rate=rates["upstream-local"],
            # Mastodon's dialect of the graph server: its home server, at the local queue's pace.
            mastodon_local_host=mastodon_host(options),
            mastodon_local_rate=rates["upstream-mastodon-local"],
            smtp_host=host,  # the stack's mail server: plain SMTP on loopback, no login
            smtp_port=ports.mail,
            smtp_security="none",
            **options.settings,
        ),
        MAIL_URL: mail_url(options),
        config.API_KEY_ALIAS: options.api_key,
        "KINDRED_HOME": str(options.home),
    }


def plan(options: StackOptions) -> list[PartSpec]:
    """The processes of the stack, in start order."""
    host, ports = options.host, options.ports
    python = sys.executable
    graph_args: list[str] = []
    if options.graph is not None:
        graph_args += ["--graph", str(options.graph)]
    if options.graph_name:
        graph_args += ["--graph-name", options.graph_name]
    if options.media:
        graph_args += ["--media"]
    if options.account_states:
        graph_args += ["--account-states"]
    if options.image_bytes is not None:
        graph_args += ["--image-bytes", str(options.image_bytes)]
    parts = [
        PartSpec(
            "firestore",
            (
                "node",
                str(paths.FIRESTORE_EMULATOR_DIR / "server.mjs"),
                host,
                str(ports.firestore),
                str(firestore_snapshot(options.home)),
            ),
            f"{host}:{ports.firestore}",
            port=ports.firestore,
        ),
        PartSpec(
            "storage",
            (
                sys.executable,  # gcp-storage-emulator, its metadata written in pauses
                "-m",
                "kindred_infra.storage_emulator",
                "start",
                "--host",
                host,
                "--port",
                str(ports.storage),
                "--default-bucket",
                options.bucket,
            ),
            f"http://{host}:{ports.storage}",
            health_url=f"http://{host}:{ports.storage}/",
            port=ports.storage,
            env={"STORAGE_BASE": str(options.home / "storage")},
        ),
        PartSpec(
            "tasks",
            tuple(
                tasks_emulator.command(
                    ports.tasks,
                    options.home / "tasks",
                    queues=paths.QUEUE_YAML,
                    host=host,
                    project=options.project,
                    location=options.location,
                    duplicates=options.duplicates,
                    seed=options.fault_seed,
                    oidc_key_file=tasks_signing_key(options.home),
                    certs_port=ports.tasks_certs,
                    python=python,
                )
            ),
            f"{host}:{ports.tasks}",
            port=ports.tasks,
        ),
        PartSpec(
            "graph",
            (
                python,
                "-m",
                "kindred_infra.graph_server",
                "--host",
                host,
                "--port",
                str(ports.graph),
                "--rate-limit",
                options.rate_limit,
                "--mastodon-rate-limit",  # the local queue's pace for both dialects
                options.rate_limit,
                "--faults",
                str(options.faults),
                "--fault-seed",
                str(options.fault_seed),
                "--slow-seconds",
                f"{options.slow_seconds:g}",
                *graph_args,
            ),
            f"http://{host}:{ports.graph}",
            health_url=f"http://{host}:{ports.graph}/_health",
            port=ports.graph,
        ),
        PartSpec(
            "mail",
            (
                "node",
                str(paths.MAILDEV_DIR / "node_modules" / "maildev" / "bin" / "maildev"),
                "--ip",
                host,
                "--smtp",
                str(ports.mail),
                "--web-ip",
                host,
                "--web",
                str(ports.mail_web),
                "--mail-directory",
                str(options.home / "mail"),  # kept between runs
                "--silent",
            ),
            mail_url(options),
            health_url=f"{mail_url(options)}/healthz",
            port=ports.mail,  # SMTP; the web port is the endpoint's
        ),
    ]
    # The body key reaches the functions only: stack.env, which clients source, goes without.
    env = {**stack_env(options), **config.to_env(tasks_body_key=options.tasks_body_key or None)}
    for offset, function in enumerate(FUNCTIONS):
        port = ports.functions + offset
        parts.append(
            PartSpec(
                f"function:{function.name}",
                (
                    _bin("functions-framework"),
                    "--target",
                    function.target,
                    "--source",
                    str(paths.FUNCTIONS_SOURCE / "main.py"),
                    "--host",
                    host,
                    "--port",
                    str(port),
                ),
                f"http://{host}:{port}",
                health_url=f"http://{host}:{port}{function.health_path}"
                if function.health_path
                else None,
                port=port,
                # Unbuffered: each line reaches the log as it is written, not at exit.
                env={**env, "WORKERS": str(options.function_workers), "PYTHONUNBUFFERED": "1"},
                cwd=paths.FUNCTIONS_SOURCE,
            )
        )
    crons = [
        f"{f.name}={function_url(options, f.name)}@{options.cron_every or f.local_every:g}"
        for f in FUNCTIONS
        if f.trigger == "cron"
    ]
    parts.append(PartSpec("cron", (python, "-m", "kindred_infra.cron", *crons), "(no port)"))
    return parts


def render_env_file(env: Mapping[str, str]) -> str:
    lines = ["# Written by `kindred up`: source it to point clients at the local stack."]
    lines += [f"export {key}={value}" for key, value in env.items()]
    return "\n".join(lines) + "\n"
