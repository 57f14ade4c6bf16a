"""`kindred up` and `kindred ps` tables: aligned columns in 80 characters, whatever the names."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kindred_infra import cli, stack
from kindred_infra.stack import state
from kindred_infra.stack.control import PartStatus
from kindred_infra.stack.plan import StackOptions, StackPorts, plan
from kindred_infra.table import aligned


def column_starts(line: str, cells: list[str]) -> list[int]:
    starts, at = [], 0
    for cell in cells:
        at = line.index(cell, at)
        starts.append(at)
        at += len(cell)
    return starts


def real_parts(tmp_path: Path) -> list[PartStatus]:
    options = StackOptions(home=tmp_path, ports=StackPorts(functions=65530))
    return [
        PartStatus(spec.name, 4_194_304 - i, True, True, spec.endpoint)  # the largest pids
        for i, spec in enumerate(plan(options))
    ]


def ps_output(monkeypatch: pytest.MonkeyPatch, parts: list[PartStatus]) -> list[str]:
    monkeypatch.setattr(stack, "status", lambda home: parts)
    result = CliRunner().invoke(cli.main, ["ps", "--home", "/nowhere"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_ps_columns_line_up_within_80_characters(monkeypatch, tmp_path):
    parts = real_parts(tmp_path)
    assert "function:scheduler" in [part.name for part in parts]
    lines = ps_output(monkeypatch, parts)
    assert len(lines) == len(parts)
    starts = {
        tuple(column_starts(line, [part.name, part.endpoint, f"pid {part.pid}", "healthy"]))
        for line, part in zip(lines, parts, strict=True)
    }
    assert len(starts) == 1, lines  # every column starts at the same place on every line
    assert max(len(line) for line in lines) <= 80


def test_a_long_part_name_widens_its_column_and_the_others_stay_aligned(monkeypatch, tmp_path):
    parts = [*real_parts(tmp_path), PartStatus("function:a-much-longer-name", 7, True, True, "x")]
    lines = ps_output(monkeypatch, parts)
    pid_columns = {line.index("pid ") for line in lines}
    name, endpoint = len("function:a-much-longer-name"), len("http://127.0.0.1:65530")
    assert pid_columns == {2 + name + 2 + endpoint + 2}
    assert max(len(line) for line in lines) <= 80


def test_cells_too_wide_for_80_columns_are_cut_and_still_aligned():
    rows = [("n" * 70, "http://127.0.0.1:8650", "pid 1"), ("short", "endpoint", "pid 22")]
    lines = aligned(rows)
    assert max(len(line) for line in lines) <= 80
    assert len({line.index("pid ") for line in lines}) == 1
    assert "~" in lines[0] and "short" in lines[1]


def test_no_rows_no_lines():
    assert aligned([]) == []


def test_up_lists_the_parts_in_the_same_aligned_columns(monkeypatch, tmp_path):
    parts = real_parts(tmp_path)
    running = tuple(
        state.RunningPart(part.name, part.pid, None, part.endpoint, None, 0, "log")
        for part in parts
    )
    monkeypatch.setattr(stack, "up", lambda options: state.StackRecord(0.0, 4.2, running))
    result = CliRunner().invoke(cli.main, ["up", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert len(lines) == len(parts) and max(len(line) for line in lines) <= 80
    starts = {
        tuple(column_starts(line, [part.name, part.endpoint, f"pid {part.pid}"]))
        for line, part in zip(lines, parts, strict=True)
    }
    assert len(starts) == 1, lines
