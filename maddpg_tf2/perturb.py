"""Opponents perturbed at acting time (`--perturb-opponents EPS` with --benchmark or --display).

M3DDPG's robustness test (Li et al. 2019) plays trained agents against altered opponents. Here the
opponents of the evaluated team (`--perturb-team`: `good`, the default, or `adversaries`, the teams
being the scenario's `adversary` attribute as for --adversaries-from) act as their policy says,
then every opponent j's action is moved by MAAL's step (`maddpg_tf2.m3ddpg`), applied to the
actions taken in the environment:

    a_j <- a_j + eps * l2_normalize( d(-sum_{i in evaluated team} Q_i(x, a)) / d a_j )

per world (the gradient normalised along agent j's action vector), x the current observations of
all agents and Q_i the evaluated agents' own trained centralised critics (the online critic; a
matd3 agent's is its Q1), from the checkpoint their actors come from (--load-dir's for the good
agents, --adversaries-from's for the adversaries when given). The evaluated agents' actions are
left as they are. `--perturb-kind random` moves each opponent by eps in a uniformly random
direction instead (its own generator, seeded by --seed): the control a fair test compares with.

The step is on the action vectors the particle worlds read directly (soft one-hot movement and
messages, or continuous forces); it may leave the simplex or a Box's bounds, as MAAL's training
step does. A ddpg agent's critic sees only its own action, so it has no gradient for the opponents:
such an evaluated team is refused, as are scenarios without two teams, training runs, and other
libraries' envs whose opponents' actions the env turns into discrete choices (argmax, thresholds).
EPS 0 is off: the run is exactly the unperturbed one.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.config import Config
from maddpg_tf2.errors import UserError
from maddpg_tf2.kernel import normalised_gradient_step

TEAMS = ("good", "adversaries")
KINDS = ("worst", "random")


def perturbed_actions(q_sum, obs_n, act_n, opponent_n: Sequence[bool], eps: float) -> List[tf.Tensor]:
    """Every opponent's action after one normalised step that lowers the evaluated team's Q.

    Args:
        q_sum: `q_sum(obs_n, act_n)`, the evaluated team's summed Q per world [B].
        obs_n: Observations per agent [B, d_j].
        act_n: Actions per agent [B, k_j].
        opponent_n: Whether agent j is perturbed (an opponent of the evaluated team).
        eps: The step.

    Returns:
        [B, k_j] per agent: a_j + eps * l2_normalize(d(-sum_B q_sum)/d a_j) for opponents (each world's
        row is its own gradient: the worlds do not interact), a_j unchanged for the others.
    """
    return normalised_gradient_step(lambda acts: -tf.reduce_sum(q_sum(obs_n, acts)), act_n,
                                    [float(eps) if o else None for o in opponent_n])


def random_actions(act_n, opponent_n: Sequence[bool], eps: float, rng: np.random.Generator) -> List[np.ndarray]:
    """Every opponent's action moved by eps in a direction drawn uniformly on the unit sphere (per world).

    Args:
        act_n: Actions per agent [B, k_j].
        opponent_n: Whether agent j is perturbed.
        eps: The step's length.
        rng: The generator of the directions.

    Returns:
        [B, k_j] float32 per agent.
    """
    out = []
    for a, o in zip(act_n, opponent_n):
        a = np.asarray(a, np.float32)
        if o:
            d = rng.standard_normal(a.shape)
            a = (a + eps * d / np.linalg.norm(d, axis=1, keepdims=True)).astype(np.float32)
        out.append(a)
    return out


class PerturbedOpponents:
    """An acting policy whose opponents' actions are perturbed after it acts (module docstring).

    Args:
        policy: The acting policy (Policy, EnsemblePolicy or teams.TeamPolicy).
        learner: The learner holding the evaluated team's critics (its `q_values(obs_n, act_n)`).
        evaluated_n: Whether agent j belongs to the evaluated team; the others are perturbed.
        eps: The step.
        kind: `worst` or `random`.
        seed: Seeds the random kind's generator (None: fresh entropy).
    """

    tags = None

    def __init__(self, policy, learner, evaluated_n: Sequence[bool], eps: float, kind: str = "worst",
                 seed: Optional[int] = None):
        self.policy, self.learner = policy, learner
        self.evaluated_n = [bool(e) for e in evaluated_n]
        self.opponent_n = [not e for e in self.evaluated_n]
        self.eps, self.kind = float(eps), kind
        self.dists = policy.dists
        # its own stream: the policy's samples are the same as without the perturbation
        self.rng = np.random.default_rng(None if seed is None else [int(seed), 1])
        self._step = tf.function(self._worst, autograph=False, reduce_retracing=True)

    @property
    def n(self) -> int:
        return len(self.evaluated_n)

    def q_sum(self, obs_n, act_n) -> tf.Tensor:
        """The evaluated team's summed Q per world [B]."""
        q_n = self.learner.q_values(obs_n, act_n)
        return tf.add_n([q for q, e in zip(q_n, self.evaluated_n) if e])

    def _worst(self, obs_n, act_n):
        return perturbed_actions(self.q_sum, obs_n, act_n, self.opponent_n, self.eps)

    def new_episodes(self, ended: np.ndarray, rng: np.random.Generator) -> None:
        self.policy.new_episodes(ended, rng)

    def logits(self, obs_n):
        return self.policy.logits(obs_n)

    def act(self, obs_n, rng: np.random.Generator, deterministic: bool = False) -> List[np.ndarray]:
        act_n = self.policy.act(obs_n, rng, deterministic)
        if self.eps == 0.0:
            return act_n
        if self.kind == "random":
            return random_actions(act_n, self.opponent_n, self.eps, self.rng)
        obs = [tf.convert_to_tensor(np.asarray(o, np.float32)) for o in obs_n]
        acts = [tf.convert_to_tensor(np.asarray(a, np.float32)) for a in act_n]
        return [a.numpy() for a in self._step(obs, acts)]


def evaluated_team(config: Config, adversary_n: Sequence[bool]) -> List[bool]:
    """Whether each agent is in the evaluated team (--perturb-team); refuses a scenario without two teams."""
    from maddpg_tf2.teams import two_teams

    adversary_n = two_teams(config, adversary_n, "--perturb-opponents")
    return [a == (config.perturb_team == "adversaries") for a in adversary_n]


def with_perturbed_opponents(config: Config, env, policy, learner) -> PerturbedOpponents:
    """`policy` with the evaluated team's opponents perturbed, the gradient from `learner`'s critics.

    Raises:
        UserError: No two teams, an evaluated agent with a local (ddpg) critic, or an opponent whose
            action the env turns into a discrete choice.
    """
    evaluated_n = evaluated_team(config, env.adversary_n)
    local = [i for i, e in enumerate(evaluated_n) if e and learner.local_q_n[i]]
    if local:
        raise UserError(f"--perturb-opponents needs the evaluated team's centralised critics, and agent(s) "
                        f"{', '.join(map(str, local))} of the {config.perturb_team} team are ddpg agents (a critic "
                        f"of their own action only, no gradient for the opponents); evaluate a maddpg, matd3 or "
                        f"mmmaddpg team, or pick the other with --perturb-team")
    from maddpg_tf2.envs.make import is_external
    if is_external(config.scenario):
        spaces = [env.action_space_n[j] for j, e in enumerate(evaluated_n) if not e]
        if any(type(s).__name__ != "Box" for s in spaces):
            raise UserError(f"--perturb-opponents moves action vectors, and '{config.scenario}' turns its opponents' "
                            f"vectors into discrete choices (argmax), so a small step does nothing; pass "
                            f"--env-kwargs '{{\"continuous_actions\": true}}' if the env has it, or use a "
                            f"built-in scenario")
    return PerturbedOpponents(policy, learner, evaluated_n, config.perturb_opponents, config.perturb_kind,
                              config.seed)


def record(summary: dict, config: Config) -> dict:
    """A benchmark summary with the perturbation's settings (key `perturbation`, and a note for the
    table) when --perturb-opponents is on; as it is otherwise."""
    if config.perturb_opponents:
        opponents = "adversaries" if config.perturb_team == "good" else "good agents"
        summary["perturbation"] = {"eps": float(config.perturb_opponents), "team": config.perturb_team,
                                   "kind": config.perturb_kind}
        summary.setdefault("notes", []).append(
            f"the {opponents} acted perturbed: {config.perturb_kind} step of eps {config.perturb_opponents:g} "
            f"against the {config.perturb_team} team (--perturb-opponents)")
    return summary
