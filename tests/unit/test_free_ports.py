"""Free ports are handed out once: within a process, and across the processes on one machine.

Two pytest-xdist workers once drew the same port for two stacks, and the second Node server
died of EADDRINUSE; these tests hold the claim that prevents it.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from kindred_infra import process
from kindred_infra.stack import control

CLAIMANT = """
import sys
from kindred_infra import process
first = process.free_port_block(4)
print(first, flush=True)
sys.stdin.readline()
"""


def test_a_process_never_hands_out_a_port_twice() -> None:
    ports = [process.free_port() for _ in range(400)]

    assert len(set(ports)) == len(ports)


def test_a_stack_s_ports_are_all_different() -> None:
    ports = control.free_ports()
    numbers = [value for name, value in dataclasses.asdict(ports).items() if name != "functions"]
    numbers += list(range(ports.functions, ports.functions + len(control.FUNCTIONS)))

    assert len(set(numbers)) == len(numbers) == 7 + len(control.FUNCTIONS)


def test_a_port_another_process_claimed_is_not_handed_out_until_that_process_ends() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", CLAIMANT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None and child.stdin is not None
        first = int(child.stdout.readline())
        claimed = range(first, first + 4)

        assert not process._claim(claimed)
        assert not process._claim(range(first + 3, first + 5))

        child.stdin.write("\n")
        child.stdin.close()
        child.wait(timeout=10)

    assert process._claim(claimed)
