"""Issue 21: the sweep report's statistics against numbers computed by hand."""
import numpy as np
import pytest

from maddpg_tf2.sweep import stats


def test_iqm_of_known_arrays():
    # 8 values: cut 2 from each end, mean of 3, 4, 5, 6.
    assert stats.iqm([8, 1, 7, 2, 6, 3, 5, 4]) == pytest.approx(4.5)
    # 10 values: floor(10 / 4) = 2 cut from each end, mean of the middle 6 (3..8) = 5.5; the outlier is gone.
    assert stats.iqm([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000]) == pytest.approx(5.5)
    # Fewer than 4 values: nothing is cut, the IQM is the mean.
    assert stats.iqm([1.0, 2.0, 6.0]) == pytest.approx(3.0)
    # Along an axis, as the bootstrap calls it.
    np.testing.assert_allclose(stats.iqm(np.array([[8, 1, 7, 2, 6, 3, 5, 4], [0] * 7 + [80]]), axis=1), [4.5, 0.0])


def test_iqm_matches_scipy_trim_mean():
    from scipy.stats import trim_mean

    x = np.random.default_rng(3).normal(size=37)
    assert stats.iqm(x) == pytest.approx(trim_mean(x, 0.25))


def test_interval_contains_the_estimate_and_is_deterministic():
    x = [0.2, 0.9, 0.5, 0.55, 0.6, 0.1, 0.7, 0.65, 0.4, 0.3]
    for agg in ("iqm", "mean"):
        e = stats.interval([x], agg, seed=1)
        assert e.low < e.value < e.high
        assert e == stats.interval([x], agg, seed=1)
        assert e.contains(e.value)
    assert stats.interval([x], "mean").value == pytest.approx(np.mean(x))
    # Another bootstrap seed moves the interval a little, not the point.
    a, b = stats.interval([x], "mean", seed=1), stats.interval([x], "mean", seed=2)
    assert a.value == b.value and (a.low, a.high) != (b.low, b.high)


def test_interval_of_a_constant_and_of_one_run_has_no_width():
    assert stats.interval([[0.3, 0.3, 0.3]]) == stats.Estimate(0.3, 0.3, 0.3)
    assert stats.interval([[2.0]], "mean") == stats.Estimate(2.0, 2.0, 2.0)


def test_mean_interval_of_two_values_spans_exactly_them():
    # Resamples of (a, b) have means a, (a+b)/2 or b, with chances 1/4, 1/2, 1/4: the 2.5/97.5 percentiles are a and b.
    e = stats.interval([[1.0, 3.0]], "mean")
    assert (e.value, e.low, e.high) == (2.0, 1.0, 3.0)


def test_stratified_bootstrap_resamples_within_each_stratum():
    # Strata {0, 0} and {10, 10}: every resample holds two 0s and two 10s, so the mean is always 5.
    draws = stats.stratified_bootstrap([[0.0, 0.0], [10.0, 10.0]], stats.mean, reps=200)
    np.testing.assert_array_equal(draws, np.full(200, 5.0))
    # Unstratified, the same four values would give means from 0 to 10.
    draws = stats.stratified_bootstrap([[0.0, 0.0, 10.0, 10.0]], stats.mean, reps=2000)
    assert draws.min() < 5.0 < draws.max()


def test_performance_profile_by_hand():
    np.testing.assert_allclose(stats.performance_profile([1, 2, 3, 4], [0, 1, 2.5, 4]), [1.0, 0.75, 0.5, 0.0])
    prof, low, high = stats.profile_band([[1, 2, 3, 4]], [0, 2.5, 4])
    np.testing.assert_allclose(prof, [1.0, 0.5, 0.0])
    assert np.all(low <= prof) and np.all(prof <= high)


def test_difference_interval_by_hand():
    # Constant groups: the difference is exact and the interval has no width.
    assert stats.difference([3.0, 3.0, 3.0], [1.0, 1.0]) == stats.Estimate(2.0, 2.0, 2.0)
    # Well separated groups: the interval excludes 0; the same groups swapped give its mirror.
    a, b = [0.9, 0.95, 0.85, 0.92], [0.1, 0.2, 0.15, 0.12]
    d = stats.difference(a, b)
    assert d.value == pytest.approx(np.mean(a) - np.mean(b)) and d.low > 0 and d.contains(d.value)
    # Overlapping groups: the interval holds 0.
    assert stats.difference([0.1, 0.9, 0.5], [0.2, 0.8, 0.4]).contains(0.0)


def test_paper_md_holds_the_intervals_of_the_recorded_runs():
    # benchmarks/paper_intervals.py recomputes PAPER.md's interval section from the per-seed JSONs.
    import os
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(root, "benchmarks"))
    try:
        import paper_intervals
    finally:
        sys.path.remove(os.path.join(root, "benchmarks"))
    results = paper_intervals.load()
    text = paper_intervals.section(results)
    with open(os.path.join(root, "benchmarks", "PAPER.md"), encoding="utf-8") as f:
        assert text in f.read()
    # One row by hand: covert communication, actor lr 1e-3, MADDPG, 10 seeds.
    vals = paper_intervals.values(results["cc-actor-lr1e-3"]["cc_maddpg"], "bob_minus_eve_success")
    assert len(vals) == 10 and np.mean(vals) == pytest.approx(0.513, abs=5e-4)
    mean = stats.interval([vals], "mean")
    assert f"| {paper_intervals.cell('bob_minus_eve_success', mean)} | 52.4% | yes |" in text
