"""`kindred analyze --wait`'s display: on a terminal, the bar and the ranking so far redrawn as
it changes; piped, or with --json, the bar (or its plain lines) on stderr and no table."""

from __future__ import annotations

import io

from rich.console import Console

from kindred_infra import render

PROGRESS = {
    "share": 0.4, "followers_in_scope": 600, "followers_analyzed": 200, "followers_estimate": 240,
    "upstream_calls": 300, "upstream_calls_expected": 750, "estimated_seconds_left": 20.0,
}  # fmt: skip
INTERIM = {
    "final": False, "score": "overlap_share", "step": 2, "groups": 2, "followers": 200,
    "followers_analyzed": 190, "basis": 0.3333, "at": "2026-01-02T03:04:30Z",
    "moved": {"changed": 0.25, "footrule": 0.125},
    "results": [
        {"id": f"did:plc:i{n}", "handle": None, "overlap": 40 - n, "score": (40 - n) / 190}
        for n in range(30)
    ],
}  # fmt: skip
EARLY = {"status": "follows", "progress": PROGRESS, "interim": None}
LATER = {**EARLY, "interim": INTERIM}
DONE = {
    **LATER,
    "status": "done",
    "progress": {**PROGRESS, "share": 1.0, "upstream_calls": 750},
    "interim": {**INTERIM, "final": True, "score": "cosine"},
}


def consoles(terminal: bool) -> tuple[Console, Console, io.StringIO, io.StringIO]:
    err_text, out_text = io.StringIO(), io.StringIO()
    err = Console(file=err_text, force_terminal=False, width=120, color_system=None)
    out = Console(file=out_text, force_terminal=terminal, width=120, height=20,
                  color_system=None)  # fmt: skip
    return err, out, err_text, out_text


def show(err: Console, out: Console, interim: bool, *reports: dict) -> None:
    with render.analysis_progress(err, out, interim) as update:
        for report in reports:
            update(report)


def test_a_terminal_gets_the_bar_and_the_ranking_so_far_as_it_changes():
    err, out, err_text, out_text = consoles(terminal=True)
    with render.analysis_progress(err, out, interim=True) as update:
        update(EARLY)
        before = out_text.getvalue()
        update(LATER)
        during = out_text.getvalue()[len(before) :]
        update(DONE)
    assert "So far" not in before and "reading follows" in before
    assert "So far: 2 groups, 200 followers (33% of the audience), by overlap share" in during
    assert "did:plc:i0" in during and "0.2105" in during and "25% of it new" in during
    assert "did:plc:i29" not in during and "more" in during  # cut to the screen's height
    last = out_text.getvalue().rsplit("So far", 1)[1]
    assert "done" in last  # the last frame is the bar alone, done
    assert err_text.getvalue() == ""


def test_piped_or_json_the_table_is_left_out_and_the_bar_goes_to_stderr():
    for terminal, interim in ((False, True), (True, False)):
        err, out, err_text, out_text = consoles(terminal)
        show(err, out, interim, EARLY, LATER, DONE)
        assert out_text.getvalue() == ""
        assert "So far" not in err_text.getvalue() and "done" in err_text.getvalue()


def test_the_table_says_nothing_of_moving_for_the_first_interim():
    first = {**LATER, "interim": {**INTERIM, "moved": None}}
    view = render.interim_view(first, rows=5)
    assert view is not None and "new since" not in str(view.renderables[-1])
    assert render.interim_view(EARLY, rows=5) is None
