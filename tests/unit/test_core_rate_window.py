from kindred.core.rate_window import RateWindow


def test_a_window_is_open_until_closed_and_reopens_at_the_latest_reset():
    window = RateWindow()
    assert window.closed_until(100.0) is None
    window.close_until(110.0)
    window.close_until(105.0)  # an earlier reset heard later does not shorten the wait
    assert window.closed_until(100.0) == 110.0
    assert window.closed_until(109.9) == 110.0
    assert window.closed_until(110.0) is None
