"""`kindred up`, `down` and `ps`: start the stack in the background, stop it, report on it."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from kindred_infra import paths
from kindred_infra.catalog import FUNCTIONS
from kindred_infra.process import (
    Service,
    ServiceFailed,
    free_port,
    free_port_block,
    http_ok,
    port_open,
    stop_groups,
    stop_pid,
)
from kindred_infra.stack import state
from kindred_infra.stack.plan import (
    PartSpec,
    StackOptions,
    StackPorts,
    part_log,
    plan,
    render_env_file,
    stack_env,
    tasks_signing_key,
)
from kindred_infra.tasks_emulator import oidc


class StackRunning(RuntimeError):
    """`up` was asked for while a stack recorded in the same home still runs."""


@dataclass(frozen=True)
class PartStatus:
    name: str
    pid: int
    alive: bool
    healthy: bool
    endpoint: str


def free_ports() -> StackPorts:
    """Ports nothing listens on now: for test and benchmark stacks beside a developer's own."""
    return StackPorts(
        firestore=free_port(),
        storage=free_port(),
        tasks=free_port(),
        graph=free_port(),
        functions=free_port_block(len(FUNCTIONS)),
        tasks_certs=free_port(),
        mail=free_port(),
        mail_web=free_port(),
    )


def env_file(home: Path) -> Path:
    return home / "stack.env"


def up(options: StackOptions) -> state.StackRecord:
    """Start every part, wait until each is healthy, record them and write `stack.env`.

    Each part logs to a fresh `logs/NAME.log`; the previous run's log is kept as `NAME.log.1`.
    Raises StackRunning if a stack already runs in `options.home`, and ServiceFailed (naming
    the part and showing the end of its log) if a part does not come up; in that case every
    part already started is stopped again.
    """
    previous = state.load(options.home)
    if previous and any(state.is_alive(part) for part in previous.parts):
        raise StackRunning(f"the local stack already runs ({state.state_file(options.home)})")
    state.forget(options.home)
    ensure_npm("firestore", paths.FIRESTORE_EMULATOR_DIR, "@firestore-emulator/server")
    ensure_npm("mail", paths.MAILDEV_DIR, "maildev")
    options = replace(
        options,
        api_key=options.api_key or api_key(options.home),
        tasks_body_key=options.tasks_body_key or api_key(options.home, "tasks_body_key"),
    )
    oidc.ensure_key_file(tasks_signing_key(options.home))  # the tasks emulator signs with it
    began = time.monotonic()
    specs = plan(options)
    for spec in specs:
        if spec.port:
            _refuse_taken_port(spec)
    services = [_service(spec, options) for spec in specs]
    for service in services:
        _set_aside(service.log)
    try:
        for service in services:
            service.start()
        for service in services:
            service.wait_healthy()
    except BaseException:
        for service in reversed(services):
            service.stop()
        raise
    for service in services:
        service.detach()
    record = state.StackRecord(
        started_at=time.time(),
        startup_seconds=round(time.monotonic() - began, 2),
        parts=tuple(_running(spec, service) for spec, service in zip(specs, services, strict=True)),
    )
    state.save(options.home, record)
    env_file(options.home).write_text(render_env_file(stack_env(options)))
    return record


def restart(home: Path, name: str) -> state.RunningPart:
    """Stop one part of the running stack (if it still runs) and start it again as it was.

    For trying what an instance's death does to work in flight: the other parts carry on, and
    the restarted part gets the same port, environment and log (appended to).
    """
    record = state.load(home)
    part = next((p for p in record.parts if p.name == name), None) if record else None
    if record is None or part is None:
        known = ", ".join(p.name for p in record.parts) if record else "none: no stack runs"
        raise ValueError(f"no part {name!r} in the local stack (parts: {known})")
    if state.is_alive(part):
        stop_pid(part.pid)
    endpoint = part.endpoint.split("//")[-1] if part.port else None
    service = Service(
        part.name,
        part.argv,
        Path(part.log),
        lambda: _answers(part.health_url, endpoint),
        env=part.env,
        cwd=Path(part.cwd) if part.cwd else None,
    )
    service.start().wait_healthy().detach()
    assert service.pid is not None
    again = replace(part, pid=service.pid, start_ticks=state.start_ticks(service.pid))
    parts = tuple(again if p.name == name else p for p in record.parts)
    state.save(home, replace(record, parts=parts))
    return again


def api_key(home: Path, name: str = "api_key") -> str:
    """A secret of the local stack: made once, kept in `home/name` (mode 600)."""
    path = home / name
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def down(
    home: Path, on_stopped: Callable[[state.RunningPart], None] = lambda part: None
) -> list[str]:
    """Stop exactly the processes that `up` recorded, all together; returns the names stopped.

    Every part gets its SIGTERM at once (the Firestore emulator writes its snapshot on it) and
    `on_stopped(part)` is called as each one ends. Parts whose pid no longer runs the process
    `up` started (gone, or reused by another program) are left alone.
    """
    record = state.load(home)
    running = [part for part in reversed(record.parts if record else ()) if state.is_alive(part)]
    by_pid = {part.pid: part for part in running}
    stopped: list[str] = []

    def report(pid: int) -> None:
        stopped.append(by_pid[pid].name)
        on_stopped(by_pid[pid])

    stop_groups(list(by_pid), on_stopped=report)
    state.forget(home)
    env_file(home).unlink(missing_ok=True)
    return stopped


def status(home: Path) -> list[PartStatus]:
    record = state.load(home)
    result = []
    for part in record.parts if record else ():
        alive = state.is_alive(part)
        healthy = alive and _answers(part.health_url, part.endpoint if part.port else None)
        result.append(PartStatus(part.name, part.pid, alive, healthy, part.endpoint))
    return result


def ensure_npm(part: str, folder: Path, package: str) -> None:
    """Install a part's pinned npm packages (its lock file's) the first time it is needed."""
    if (folder / "node_modules" / package).is_dir():
        return
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ServiceFailed(f"{part}: `npm ci` in {folder} failed:\n{result.stderr[-2000:]}")


def _service(spec: PartSpec, options: StackOptions) -> Service:
    endpoint = f"{options.host}:{spec.port}" if spec.port else None
    log = part_log(options.logs, spec.name)
    return Service(
        spec.name,
        spec.argv,
        log,
        lambda: _answers(spec.health_url, endpoint),
        env=dict(spec.env),
        cwd=spec.cwd,
    )


def _set_aside(log: Path) -> None:
    """Each `up` starts each part's log afresh; the previous run's stays as `NAME.log.1`."""
    if log.exists():
        log.replace(log.with_name(log.name + ".1"))


def _answers(health_url: str | None, endpoint: str | None) -> bool:
    """Healthy: its health URL answers 2xx, else its port accepts, else (no port) it runs."""
    if health_url:
        return http_ok(health_url)
    if endpoint:
        host, port = endpoint.split("//")[-1].rsplit(":", 1)
        return port_open(host, int(port))
    return True


def _refuse_taken_port(spec: PartSpec) -> None:
    host = spec.endpoint.split("//")[-1].rsplit(":", 1)[0]
    if port_open(host, spec.port):
        raise ServiceFailed(
            f"{spec.name}: port {spec.port} is already in use by another program; "
            f"free it or choose another with {spec.port_variable}"
        )


def _running(spec: PartSpec, service: Service) -> state.RunningPart:
    assert service.pid is not None
    return state.RunningPart(
        name=spec.name,
        pid=service.pid,
        start_ticks=state.start_ticks(service.pid),
        endpoint=spec.endpoint,
        health_url=spec.health_url,
        port=spec.port,
        log=str(service.log),
        argv=tuple(spec.argv),
        env=dict(spec.env),
        cwd=str(spec.cwd) if spec.cwd else None,
    )


def read_env_file(home: Path) -> dict[str, str]:
    """The variables of a running stack's `stack.env`; empty when no stack runs."""
    try:
        lines = env_file(home).read_text().splitlines()
    except FileNotFoundError:
        return {}
    pairs = (
        line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export ")
    )
    return {key: value for key, value in pairs}
