from kindred.core.pagination import PageState, advance, page_size


def walk(pages, cap):
    """Feed (received, next_cursor) pages through advance until it says done."""
    state, kept = PageState(), 0
    for received, cursor in pages:
        step = advance(state, received, cursor, cap)
        kept += step.keep
        state = step.state
        if step.done:
            return kept, step.stop_reason, state
    raise AssertionError("never done")


def test_stops_on_the_page_without_a_cursor():
    assert walk([(100, "a"), (100, "b"), (37, None)], cap=10_000)[:2] == (237, "end")


def test_stops_at_the_cap_and_keeps_no_more_than_it():
    kept, reason, state = walk([(100, "a"), (100, "b"), (100, "c")], cap=150)
    assert (kept, reason, state.cursor) == (150, "cap", None)


def test_a_repeated_cursor_ends_the_walk():
    assert walk([(10, "a"), (10, "b"), (10, "a")], cap=10_000)[:2] == (30, "repeated_cursor")
    assert walk([(10, "a"), (10, "a")], cap=10_000)[:2] == (20, "repeated_cursor")


def test_page_size_never_asks_past_the_cap_and_state_round_trips():
    state = advance(PageState(), 100, "x", 130).state
    assert page_size(state, 130) == 30
    assert PageState.from_dict(state.to_dict()) == state
