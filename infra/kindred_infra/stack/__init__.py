"""The local stack: every emulator, the graph server and the functions, as background processes."""

from kindred_infra.stack.control import StackRunning, down, free_ports, restart, status, up
from kindred_infra.stack.plan import LOCAL_RATE_LIMIT, StackOptions, StackPorts

__all__ = [
    "LOCAL_RATE_LIMIT",
    "StackOptions",
    "StackPorts",
    "StackRunning",
    "down",
    "free_ports",
    "restart",
    "status",
    "up",
]
