"""Impact comparison of equal windows: intervals and verdicts."""

from feedback.tasks.impact import compare, newcomb_difference, rate_ratio, wilson


def test_wilson_and_newcomb_intervals():
    lo, hi = wilson(10, 100, 1.96)
    assert 0.05 < lo < 0.1 < hi < 0.18
    d, lo, hi = newcomb_difference(60, 400, 3, 400, 1.96)
    assert lo < d < hi < 0


def test_verdicts():
    assert compare(60, 400, 3, 400, window_days=28).verdict == "improved"
    assert compare(3, 400, 60, 400, window_days=28).verdict == "worse"
    assert compare(20, 400, 18, 400, window_days=28).verdict == "no_change"
    assert compare(2, 400, 1, 400, window_days=28).verdict == "too_little_data"
    assert compare(60, 400, 3, 400, window_days=28, complete=False).verdict == "too_early"
    counts = compare(40, None, 5, None, window_days=28)  # messages: a count ratio with an exact interval
    assert counts.measure == "count_ratio" and counts.verdict == "improved" and counts.upper < 1
    r, lo, hi = rate_ratio(10, 10, 0.95)
    assert lo < 1 < hi and r == 1
    assert "显著改善" in compare(60, 400, 3, 400, window_days=28).summary()
