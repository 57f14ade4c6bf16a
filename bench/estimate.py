"""How honest the time-left estimate is: one analysis on a fresh stack at the local queue's
rate, its status polled twice a second, and at 10%, 50% and 90% of the run the estimate set
beside the time that was really left (the baseline, measured in the same run).

    .venv/bin/python -m bench.estimate [ACCOUNT] [--max-followers N]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from bench.figures import Figure
from bench.report import table
from bench.stack import running_stack

ACCOUNT = "u6017542.ego-twitter.test"  # 352 followers: about 35 s at 20 calls/s
SHARES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since submission
    status: str
    left: float | None  # the estimate
    calls: int
    expected: int


def run(account: str, max_followers: int | None = None) -> list[Figure]:
    with running_stack() as bench:
        api = bench.api()
        options = {"max_followers": max_followers} if max_followers else {}
        began = time.monotonic()
        submitted = api.submit(account, "local", options)
        samples: list[Sample] = []
        while not samples or samples[-1].status not in ("done", "failed"):
            report = api.status(submitted["id"])
            progress = report["progress"]
            samples.append(
                Sample(time.monotonic() - began, report["status"],
                       progress["estimated_seconds_left"], progress["upstream_calls"],
                       progress["upstream_calls_expected"])
            )  # fmt: skip
            time.sleep(0.5)
    total = samples[-1].at
    figures = []
    for share in SHARES:
        sample = min(samples, key=lambda s: abs(s.at - share * total))
        actual = total - sample.at
        figures.append(
            Figure(
                name=f"estimate of time left at {share:.0%} of the run ({sample.status})",
                value=round(sample.left or 0.0, 1),
                unit="s",
                baseline=round(actual, 1),
                baseline_label="time really left",
                params={
                    "account": account,
                    "calls": sample.calls,
                    "expected": sample.expected,
                    "run_seconds": round(total, 1),
                },
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.estimate", description=__doc__)
    parser.add_argument("account", nargs="?", default=ACCOUNT)
    parser.add_argument("--max-followers", type=int)
    args = parser.parse_args()
    print(table(run(args.account, args.max_followers)))


if __name__ == "__main__":
    main()
