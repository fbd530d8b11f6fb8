"""Code matrices for coded distributed learning (Wang, Xie, Atanasov 2021, arXiv 2101.02308): encode
and decode, pure numpy in float64.

N learners, M agents, a code matrix C [N, M]. Learner j computes the updates x_i of the agents in the
support of its row and answers y_j = sum_i C[j, i] x_i (x_i: agent i's flattened updated state). The
controller decodes every x_i from the answers of some set R of learners, which must be decodable:

- `none`        uncoded: agent i is learner (i mod N)'s; every learner with agents must answer.
- `replication` agent i goes to every learner j with j mod M = i; the first copy to arrive decodes it.
- `mds`         dense Gaussian C: any M rows determine every agent (least squares on what arrived).
                Of a few seeded draws the one whose worst M-row subset is best conditioned is kept.
- `random_sparse` entries nonzero with probability `density` (Gaussian values): decodable when the
                received rows have rank M (least squares); fewer answers may already suffice.
- `ldpc`        systematic sparse 0/1 code: rows 0..M-1 are the agents themselves, the other N - M rows
                parity checks of `row_weight` agents each, every agent in about the same number of
                them (regular); decoded by peeling: a received row with one unknown agent left solves
                it, repeat. Peeling can get stuck on sets whose rank is M; those count as undecodable.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

SCHEMES = ("none", "mds", "random_sparse", "replication", "ldpc")


class DecodeError(ValueError):
    """The received rows do not determine every agent."""


@dataclass(frozen=True)
class Code:
    scheme: str
    matrix: np.ndarray  # [N, M] float64

    @property
    def n_learners(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_agents(self) -> int:
        return self.matrix.shape[1]

    def row_agents(self, j: int) -> List[int]:
        """The agents learner j computes (its row's support)."""
        return [int(i) for i in np.flatnonzero(self.matrix[j])]

    def active_rows(self) -> List[int]:
        """Learners with work (uncoded with N > M leaves some idle)."""
        return [j for j in range(self.n_learners) if self.matrix[j].any()]

    def encode(self, x: np.ndarray) -> np.ndarray:
        """All answers at once: C @ x, x [M, D] -> [N, D] (float64)."""
        return self.matrix @ np.asarray(x, np.float64)

    def encode_row(self, j: int, x_by_agent: Dict[int, np.ndarray]) -> np.ndarray:
        """Learner j's answer from the updates of its own agents only."""
        out = None
        for i in self.row_agents(j):
            term = self.matrix[j, i] * np.asarray(x_by_agent[i], np.float64)
            out = term if out is None else out + term
        return out

    def decodable(self, received: Iterable[int]) -> bool:
        """Whether the answers of these learners determine every agent under this scheme's decoder."""
        rows = sorted(set(int(j) for j in received))
        if self.scheme in ("none", "replication"):
            covered = self.matrix[rows].any(axis=0) if rows else np.zeros(self.n_agents, bool)
            return bool(covered.all())
        if self.scheme == "ldpc":
            return _peel_order(self.matrix, rows) is not None
        return _full_rank(self.matrix[rows], self.n_agents)

    def decode(self, received: Sequence[int], values: np.ndarray) -> np.ndarray:
        """x [M, D] from the answers `values` [R, D] of learners `received` (same order); float64.
        Raises DecodeError when they do not determine every agent."""
        rows = [int(j) for j in received]
        y = np.asarray(values, np.float64)
        if y.ndim != 2 or y.shape[0] != len(rows):
            raise ValueError(f"values must be [{len(rows)}, D], got {y.shape}")
        if len(set(rows)) != len(rows):
            raise ValueError("each learner's answer may be given once")
        if not self.decodable(rows):
            raise DecodeError(f"{self.scheme}: the answers of learners {sorted(rows)} do not determine "
                              f"all {self.n_agents} agents")
        C = self.matrix[rows]
        if self.scheme in ("none", "replication"):
            x = np.empty((self.n_agents, y.shape[1]))
            for i in range(self.n_agents):
                first = int(np.flatnonzero(C[:, i])[0])  # the first answer (in arrival order) with agent i
                x[i] = y[first] / C[first, i]
            return x
        if self.scheme == "ldpc":
            return _peel(C, y, _peel_order(C, range(len(rows))))
        x, *_ = np.linalg.lstsq(C, y, rcond=None)
        return x

    def completion(self, received: Iterable[int], candidates: Iterable[int]) -> Optional[List[int]]:
        """A short list of rows from `candidates` which, added to `received`, makes the set decodable
        (greedy: rows that help, in order); None when even all candidates do not suffice."""
        have = set(int(j) for j in received)
        if self.decodable(have):
            return []
        pool = [int(j) for j in candidates if int(j) not in have and self.matrix[int(j)].any()]
        if not self.decodable(have | set(pool)):
            return None
        added = []
        for j in pool:
            added.append(j)
            if self.decodable(have | set(added)):
                break
        # Drop rows that turned out unnecessary (the greedy order may pick some early).
        for j in list(added):
            rest = [k for k in added if k != j]
            if self.decodable(have | set(rest)):
                added = rest
        return added


# ----------------------------------------------------------------------------- constructions

def make_code(scheme: str, n_learners: int, n_agents: int, seed: int = 0, density: float = 0.5,
              row_weight: int = 2) -> Code:
    """The code matrix of `scheme` for N learners and M agents (deterministic given the seed)."""
    N, M = int(n_learners), int(n_agents)
    if scheme not in SCHEMES:
        raise ValueError(f"unknown coded scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if N < 1 or M < 1:
        raise ValueError(f"need at least one learner and one agent, got N={N}, M={M}")
    if scheme != "none" and N < M:
        raise ValueError(f"{scheme} needs at least as many learners as agents (N >= M), got N={N}, M={M}")
    rng = np.random.default_rng(seed)
    if scheme == "none":
        C = np.zeros((N, M))
        C[np.arange(M) % N, np.arange(M)] = 1.0
    elif scheme == "replication":
        C = np.zeros((N, M))
        C[np.arange(N), np.arange(N) % M] = 1.0
    elif scheme == "mds":
        C = _best_gaussian(rng, N, M)
    elif scheme == "random_sparse":
        C = _random_sparse(rng, N, M, density)
    else:
        C = _ldpc(rng, N, M, row_weight)
    return Code(scheme, C)


def max_tolerated(code: Code) -> int:
    """The largest s such that every set of N - s answering learners decodes (the code's guarantee)."""
    active = code.active_rows()
    idle = code.n_learners - len(active)
    for s in range(len(active), -1, -1):
        if all(code.decodable(set(active) - set(out)) for out in itertools.combinations(active, s)):
            return s + (idle if code.scheme == "none" else 0)
    return 0


def _full_rank(C: np.ndarray, M: int) -> bool:
    if C.shape[0] < M:
        return False
    s = np.linalg.svd(C, compute_uv=False)
    return bool(s[-1] > s[0] * max(C.shape) * 1e-10) if s.size else False


def _best_gaussian(rng, N, M, draws: int = 16, max_subsets: int = 3000) -> np.ndarray:
    subsets = list(itertools.islice(itertools.combinations(range(N), M), max_subsets))
    best, best_cond = None, np.inf
    for _ in range(draws):
        C = rng.standard_normal((N, M))
        cond = max(np.linalg.cond(C[list(s)]) for s in subsets)
        if cond < best_cond:
            best, best_cond = C, cond
    return best


def _random_sparse(rng, N, M, density: float) -> np.ndarray:
    if not 0 < density <= 1:
        raise ValueError(f"density must lie in (0, 1], got {density}")
    for _ in range(1000):
        mask = rng.random((N, M)) < density
        C = np.where(mask, rng.standard_normal((N, M)), 0.0)
        # Every learner gets work and the whole matrix determines every agent.
        if mask.any(axis=1).all() and _full_rank(C, M):
            return C
    raise ValueError(f"no usable random sparse code for N={N}, M={M}, density={density}; raise the density")


def _ldpc(rng, N, M, row_weight: int) -> np.ndarray:
    w = max(1, min(int(row_weight), M))
    C = np.zeros((N, M))
    C[np.arange(M), np.arange(M)] = 1.0  # systematic part
    # Parity rows drawn from a shuffled deck holding every agent equally often (a regular graph).
    deck: List[int] = []
    for j in range(M, N):
        row = set()
        while len(row) < w:
            if not deck:
                deck = list(rng.permutation(M))
            pick = next((a for a in deck if a not in row), None)
            if pick is None:  # the rest of the deck repeats this row's agents: start a new deck
                deck = list(rng.permutation(M))
                continue
            deck.remove(pick)
            row.add(pick)
        C[j, sorted(row)] = 1.0
    return C


def _peel_order(C: np.ndarray, rows: Iterable[int]):
    """The peeling schedule [(row, agent), ...] over `rows`, or None when peeling gets stuck."""
    rows = list(rows)
    unknown = set(range(C.shape[1]))
    support = {j: set(np.flatnonzero(C[j]).tolist()) for j in rows}
    order = []
    progress = True
    while unknown and progress:
        progress = False
        for j in rows:
            left = support[j] & unknown
            if len(left) == 1:
                (i,) = left
                order.append((j, i))
                unknown.discard(i)
                progress = True
    return order if not unknown else None


def _peel(C: np.ndarray, y: np.ndarray, order) -> np.ndarray:
    x = np.zeros((C.shape[1], y.shape[1]))
    for j, i in order:
        known = [k for k in np.flatnonzero(C[j]) if k != i]
        rest = y[j] - (C[j, known] @ x[known] if known else 0.0)
        x[i] = rest / C[j, i]
    return x
