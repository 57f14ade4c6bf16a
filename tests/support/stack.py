"""Starting the local stack from tests: on free ports, never on a developer's running one."""

from __future__ import annotations

from kindred_infra import stack
from kindred_infra.catalog import FUNCTIONS
from kindred_infra.process import free_port, free_port_block


def free_stack_ports() -> stack.StackPorts:
    return stack.StackPorts(
        firestore=free_port(),
        storage=free_port(),
        tasks=free_port(),
        graph=free_port(),
        functions=free_port_block(len(FUNCTIONS)),
    )
