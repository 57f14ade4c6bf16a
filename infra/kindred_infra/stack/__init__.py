"""The local stack: every emulator, the graph server and the functions, as background processes."""

from kindred_infra.stack.control import StackRunning, down, free_ports, restart, status, up
from kindred_infra.stack.plan import StackOptions, StackPorts

__all__ = [
    "StackOptions",
    "StackPorts",
    "StackRunning",
    "down",
    "free_ports",
    "restart",
    "status",
    "up",
]
