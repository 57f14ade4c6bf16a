"""kindred: which accounts are most like mine, by audience overlap."""

__version__ = "0.1.0"
