"""The commands the CLI suggests work as typed where the user stands."""

from __future__ import annotations

import sys

from kindred_infra.invocation import kindred_command


def test_a_program_not_on_path_is_named_by_its_path_from_here(tmp_path, monkeypatch):
    program = tmp_path / ".venv" / "bin" / "kindred"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(program)])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert kindred_command() == ".venv/bin/kindred"
    monkeypatch.setenv("PATH", str(program.parent))
    assert kindred_command() == "kindred"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert kindred_command() == str(program)
