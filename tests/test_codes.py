"""Code matrices of coded distributed training: encode random parameter vectors, decode from every
decodable subset of answers (exact up to float64 error), detect the undecodable ones."""
import itertools

import numpy as np
import pytest

from maddpg_tf2.distributed.coded.codes import SCHEMES, DecodeError, make_code, max_tolerated

SIZES = [(4, 3), (6, 3), (5, 5), (7, 4)]


def _subsets(n):
    for k in range(n + 1):
        yield from itertools.combinations(range(n), k)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("N,M", SIZES)
def test_decode_every_decodable_subset(scheme, N, M):
    code = make_code(scheme, N, M, seed=3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((M, 50)) * rng.uniform(0.01, 100.0, (M, 1))  # scales as in real weights
    y = code.encode(x)
    decodable = 0
    for rows in _subsets(N):
        order = list(rng.permutation(rows)) if rows else []  # answers arrive in any order
        if code.decodable(order):
            decodable += 1
            got = code.decode(order, y[order])
            np.testing.assert_allclose(got, x, rtol=1e-9, atol=1e-9 * np.abs(x).max())
        else:
            with pytest.raises(DecodeError):
                code.decode(order, y[order] if order else np.zeros((0, 50)))
    assert code.decodable(range(N)) and not code.decodable([])
    assert decodable >= 1


@pytest.mark.parametrize("N,M", SIZES)
def test_guarantees_by_hand(N, M):
    mds = make_code("mds", N, M)
    assert max_tolerated(mds) == N - M  # any M answers
    for rows in itertools.combinations(range(N), M - 1):
        assert not mds.decodable(rows)  # M - 1 never do
    rep = make_code("replication", N, M)
    assert max_tolerated(rep) == N // M - 1  # every agent's copies lost at once
    none = make_code("none", N, M)
    assert max_tolerated(none) == max(0, N - M)  # only idle learners may be lost
    assert none.active_rows() == list(range(min(N, M)))


def test_encode_row_is_the_learners_own_share():
    code = make_code("random_sparse", 6, 4, seed=1)
    x = np.random.default_rng(1).standard_normal((4, 7))
    for j in range(6):
        own = {i: x[i] for i in code.row_agents(j)}  # a learner sees only its agents
        np.testing.assert_allclose(code.encode_row(j, own), code.encode(x)[j], rtol=1e-12, atol=1e-12)


def test_ldpc_is_systematic_regular_and_peeling_can_get_stuck():
    code = make_code("ldpc", 6, 3, seed=0, row_weight=2)
    C = code.matrix
    np.testing.assert_array_equal(C[:3], np.eye(3))
    assert set(np.unique(C)) <= {0.0, 1.0}
    assert (C[3:].sum(axis=1) == 2).all()
    degrees = C[3:].sum(axis=0)
    assert degrees.max() - degrees.min() <= 1  # regular up to rounding
    # Three parity rows a+b, b+c, a+c have rank 3 but no row with one unknown: peeling is stuck.
    stuck = make_code("ldpc", 6, 3, seed=0)
    object.__setattr__(stuck, "matrix", np.vstack([np.eye(3), [[1, 1, 0], [0, 1, 1], [1, 0, 1]]]))
    assert np.linalg.matrix_rank(stuck.matrix[3:]) == 3
    assert not stuck.decodable([3, 4, 5])
    assert stuck.decodable([0, 3, 4])  # a then b from a+b then c from b+c


def test_random_sparse_detects_rank_deficiency():
    code = make_code("random_sparse", 6, 3, seed=0)
    object.__setattr__(code, "matrix", np.array(
        [[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.5], [0.5, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]]))
    assert not code.decodable([0, 1, 2])  # rows 0 and 1 are parallel
    assert code.decodable([0, 2, 3])
    y = code.encode(np.eye(3))
    with pytest.raises(DecodeError):
        code.decode([0, 1, 2], y[[0, 1, 2]])


def test_completion_picks_rows_that_make_it_decodable():
    code = make_code("mds", 5, 3)
    assert code.completion([0], [1, 2, 3, 4]) == [1, 2]
    assert code.completion([0, 1, 2], [3]) == []
    assert code.completion([0], [1]) is None
    none = make_code("none", 3, 3)
    assert none.completion([0, 2], [0, 1, 2]) == [1]


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="N >= M"):
        make_code("mds", 2, 3)
    with pytest.raises(ValueError, match="unknown coded scheme"):
        make_code("raptor", 4, 3)
