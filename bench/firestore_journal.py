"""What the Firestore emulator's journal costs per write.

Three emulators run side by side, from the same launcher, with the journal off, with a
synchronous write(2) per write, and with a write plus fsync (the stack's setting). The same
client (google-cloud-firestore, one channel each) makes N sequential `create()` then N
`set(merge=True)` calls on each, the three taking turns (each going first in turn) round
after round so the machine's noise falls on all alike; each figure is the median over rounds of
the mean time per call.

    .venv/bin/python -m bench.firestore_journal [--writes 50] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from google.cloud import firestore

from kindred_infra import paths
from kindred_infra.process import Service, free_port, port_open, running

MODES = ("off", "write", "fsync")


def emulator(mode: str, folder: Path) -> tuple[Service, str]:
    port = free_port()
    argv = ["node", str(paths.FIRESTORE_EMULATOR_DIR / "server.mjs"), "127.0.0.1", str(port)]
    argv += [str(folder / f"{mode}.json"), mode]
    service = Service(
        f"firestore-{mode}", argv, folder / f"{mode}.log", lambda: port_open("127.0.0.1", port)
    )
    return service, f"127.0.0.1:{port}"


def client(host: str) -> firestore.Client:
    os.environ["FIRESTORE_EMULATOR_HOST"] = host  # read when the client is made
    return firestore.Client(project="bench-journal")


def per_call(calls: Callable[[int], object], count: int) -> float:
    """Mean seconds per call of `calls(i)` for i in range(count)."""
    began = time.perf_counter()
    for i in range(count):
        calls(i)
    return (time.perf_counter() - began) / count


def creating(docs: firestore.CollectionReference) -> Callable[[int], object]:
    return lambda i: docs.document(f"d{i}").create({"i": i})


def merging(docs: firestore.CollectionReference) -> Callable[[int], object]:
    return lambda i: docs.document(f"d{i}").set({"j": i}, merge=True)


def measure(writes: int, rounds: int) -> dict[str, dict[str, float]]:
    times: dict[str, dict[str, list[float]]] = {m: {"create": [], "set": []} for m in MODES}
    with tempfile.TemporaryDirectory() as folder:
        made = {mode: emulator(mode, Path(folder)) for mode in MODES}
        with running(*(service for service, _ in made.values())):
            clients = {mode: client(host) for mode, (_, host) in made.items()}
            for c in clients.values():
                c.document("warm/up").set({"n": 0})
            for r in range(rounds):
                for mode in MODES[r % 3 :] + MODES[: r % 3]:  # each goes first in turn
                    docs = clients[mode].collection(f"round{r}")
                    times[mode]["create"].append(per_call(creating(docs), writes))
                    times[mode]["set"].append(per_call(merging(docs), writes))
    return {m: {op: statistics.median(v) for op, v in ops.items()} for m, ops in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=50, help="calls of each kind per round")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    figures = measure(args.writes, args.rounds)
    print(f"{args.writes} sequential calls per round, median of {args.rounds} rounds")
    print(f"{'journal':8} {'create us':>10} {'+cost us':>9} {'set us':>8} {'+cost us':>9}")
    base = figures["off"]
    for mode in MODES:
        got = figures[mode]
        print(
            f"{mode:8} {got['create'] * 1e6:10.0f} {(got['create'] - base['create']) * 1e6:+9.0f}"
            f" {got['set'] * 1e6:8.0f} {(got['set'] - base['set']) * 1e6:+9.0f}"
        )


if __name__ == "__main__":
    main()
