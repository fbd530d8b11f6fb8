"""The learner: every agent's networks and the compiled update round, under the update rule the
config picks (the facade over the update rules).

The rules build on maddpg_tf2.kernel and know nothing of each other or of this module:
- sequential (the original, default): agents one after another (maddpg_tf2.sequential);
- simultaneous (`Config.agent_updates = "simultaneous"`): every agent from the pre-round weights,
  same-shaped agents stacked (maddpg_tf2.simultaneous);
- parameter sharing (`Config.parameter_sharing = "team"`): one AgentNets per team, one pooled
  update per team (maddpg_tf2.shared);
- policy ensembles (`ensemble_size` > 1, maddpg_tf2.ensembles) and inferred policies
  (`infer_policies`, maddpg_tf2.inference), which extend the sequential turn of each agent.
Each agent holds one rule (teams mix them): `RULES` maps `--good-policy` / `--adv-policy` names to
rule classes (maddpg and ddpg: the original's turn; matd3: maddpg_tf2.matd3; mmmaddpg:
maddpg_tf2.m3ddpg). A rule class takes (i, agents, config, make_net, rng), builds its own extra
state, and offers `update_agent(i, agents, batch_i, hp, next_seed, temperature, next_act_n)` and
`trackables()`. A new rule is one module on the kernel plus its line in `RULES` (docs/contributing.md).
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2 import simultaneous as sim
from maddpg_tf2.config import Config
from maddpg_tf2.distributions import make_distribution
from maddpg_tf2.ensembles import make_ensembles
from maddpg_tf2.inference import make_inference
from maddpg_tf2.m3ddpg import M3DDPGRule
from maddpg_tf2.matd3 import MATD3Rule
from maddpg_tf2.kernel import (AgentNets, UpdateSettings, agent_batch_from_joint, batch_for_agent, critic_input,
                               net_vars, q_value)
from maddpg_tf2.seeding import tf_generator
from maddpg_tf2.sequential import update_agent
from maddpg_tf2.shared import TeamRule, critic_extra, shared_round, team_of


# Ensembles (ensembles.py): sub-policy tags [N, B, N], partition batches; inferred policies (inference.py):
# the latest transitions [N, L, .] and their tags.
EXTRA_BATCH_KEYS = ("tag", "sub_obs", "sub_act", "latest_obs", "latest_act", "latest_tag")


def _with_extras(batch_i: dict, batch: dict, i: int) -> dict:
    """Agent i's slices of the extensions' batch entries (EXTRA_BATCH_KEYS), added to batch_i."""
    batch_i.update({k: batch[k][i] for k in EXTRA_BATCH_KEYS if k in batch})
    return batch_i


def local_q_flags(config: Config, n_agents: int) -> List[bool]:
    """ddpg (local critic) per agent."""
    return [p == "ddpg" for p in config.agent_policies(n_agents)]


def make_estimator_for(config: Config):
    """None for the original soft sample (distributions.py's own), else estimators.make_estimator."""
    if config.gradient_estimator == "gumbel":
        return None
    from maddpg_tf2.estimators import make_estimator
    return make_estimator(config.gradient_estimator, temperature=config.gumbel_temp,
                          rao_k=config.rao_k, gst_gap=config.gst_gap)


class MADDPGRule:
    """The original's turn (maddpg_tf2.sequential) for a maddpg or ddpg agent; no extra state."""

    name = "maddpg"

    def __init__(self, i, agents, config, make_net=None, rng=None):
        pass

    def update_agent(self, i, agents, batch_i, hp, next_seed, temperature=None, next_act_n=None):
        return update_agent(i, agents, batch_i, hp, next_seed, temperature, next_act_n=next_act_n)

    def trackables(self) -> Dict[str, tf.Module]:
        return {}


# The learner's picker: --good-policy / --adv-policy name -> the rule class an agent holds.
RULES = {"maddpg": MADDPGRule, "ddpg": MADDPGRule, "matd3": MATD3Rule, "mmmaddpg": M3DDPGRule}


# ----------------------------------------------------------------------------- all agents

class Learner(tf.Module):
    """All agents' networks and the compiled update round.

    obs_dims: d_i per agent; act_spaces: action space per agent; local_q_n: True where the agent is a
    ddpg agent (critic on its own obs and action); None derives it from the config. teams: with
    parameter sharing, the agents' teams (the env's, envs/agent_index.py); None derives them.
    """

    def __init__(self, config: Config, obs_dims: Sequence[int], act_spaces: Sequence,
                 local_q_n: Optional[Sequence[bool]] = None, seed: Optional[int] = None,
                 make_net: Optional[Callable] = None, teams: Optional[Sequence[Sequence[int]]] = None):
        super().__init__(name="learner")
        self.config = config
        n = len(obs_dims)
        seed = config.seed if seed is None else seed
        self.local_q_n = list(local_q_n) if local_q_n is not None else local_q_flags(config, n)
        estimator = make_estimator_for(config)
        self.dists = [make_distribution(s, estimator, config.gumbel_temp, box=config.box_policy,
                                        noise=config.action_noise) for s in act_spaces]
        self.obs_dims = [int(d) for d in obs_dims]
        self.act_dims = [d.action_size for d in self.dists]
        self.num_units = config.num_units
        init_rng = np.random.default_rng(seed)
        self.teams = self.team_rule = None
        if getattr(config, "parameter_sharing", "none") == "team":
            from maddpg_tf2.envs.agent_index import sharing_teams
            self.teams = [list(t) for t in teams] if teams is not None else sharing_teams(
                ["ddpg" if q else "maddpg" for q in self.local_q_n], self.obs_dims, act_spaces)
            self.team_rule = TeamRule(self.teams, self.obs_dims, self.act_dims)
        self.agents = []
        for i in range(n):
            team = team_of(self.teams, i) if self.teams else [i]
            if team[0] != i:
                self.agents.append(self.agents[team[0]])  # a team's members share one AgentNets
                continue
            critic_in = (self.obs_dims[i] + self.act_dims[i]) if self.local_q_n[i] else \
                sum(self.obs_dims) + sum(self.act_dims) + critic_extra(len(team), False)
            self.agents.append(AgentNets(i, self.dists[i], self.obs_dims[i], critic_in, config.num_units,
                                         config.actor_learning_rate, config.critic_learning_rate,
                                         self.local_q_n[i], config.target_init, init_rng, make_net))
        # Each agent's rule builds its extra state after every agent's own networks (a maddpg run's
        # weights for a seed do not depend on which rules exist).
        self.rule_names = list(config.agent_policies(n))
        self.rules = [RULES[name](i, self.agents, config, make_net, init_rng) for i, name in enumerate(self.rule_names)]
        self.ensemble = make_ensembles(self, config, make_net, init_rng)  # None at ensemble_size 1
        self.inference = make_inference(self, config, make_net, init_rng)  # None unless infer_policies
        self.settings = UpdateSettings.from_config(config)
        self.rng = tf_generator(seed)
        self.update_rounds = tf.Variable(0, dtype=tf.int64, trainable=False, name="update_rounds")
        self._read_actors = None
        self.last_actor_weights = None  # the actors as the latest train_step left them
        self.stack_agents = True  # simultaneous updates: same-shaped agents as one stack (see simultaneous.py)
        self._concrete = {}  # traced train steps (autograph off: plain Python loops over agents)

    @property
    def n(self) -> int:
        return len(self.agents)

    def _next_seed(self):
        return self.rng.uniform_full_int([2], dtype=tf.int32)

    def temperature(self):
        """The estimators' temperature for this round (scheduled for TAGS)."""
        c = self.config
        if c.gradient_estimator == "tags":
            from maddpg_tf2.estimators import tags_temperature
            return tags_temperature(self.update_rounds, c.tags_start, c.tags_end, c.tags_period)
        return None

    def _train_step(self, batch):
        metrics = {}
        temperature = self.temperature()
        for i in range(self.n):
            metrics.update(self._update_agent(i, _with_extras(batch_for_agent(batch, i), batch, i), temperature))
        self.update_rounds.assign_add(1)
        return metrics

    def _train_step_joint(self, joint):
        metrics = {}
        temperature = self.temperature()
        for i in range(self.n):
            batch_i = agent_batch_from_joint(joint["obs"][i], joint["act"][i], joint["next_obs"][i],
                                             joint["rew"][i][:, i], joint["done"][i][:, i], self.obs_dims,
                                             self.act_dims)
            metrics.update(self._update_agent(i, _with_extras(batch_i, joint, i), temperature))
        self.update_rounds.assign_add(1)
        return metrics

    def _update_agent(self, i, batch_i, temperature):
        """Agent i's update: plain MADDPG, or with the paper's extensions (ensembles.py, inference.py)."""
        metrics, next_act_n = {}, None
        if self.inference is not None:
            metrics, next_act_n = self.inference.step(i, batch_i, self.settings, self._next_seed, temperature)
        update = self.ensemble.update_agent if self.ensemble is not None else self.rules[i].update_agent
        metrics.update(update(i, self.agents, batch_i, self.settings, self._next_seed, temperature,
                              next_act_n=next_act_n))
        return metrics

    def behaviour_params(self, j, obs_j, batch_i):
        """Parameters of the policy that acted for agent j in each row (its sub-policy in ensembles)."""
        if self.ensemble is not None:
            return self.ensemble.behaviour_params(j, obs_j, batch_i)
        return self.agents[j].actor(obs_j)

    def extra_trackables(self) -> Dict[str, tf.Module]:
        """Checkpointed beside the agents: the rules' own state, sub-policies 1..K-1 and the inferred policies."""
        out = {}
        for rule in self.rules:  # e.g. MATD3's second critic and its target
            out.update(rule.trackables())
        for part in (self.ensemble, self.inference):
            if part is not None:
                out.update(part.trackables())
        return out

    @staticmethod
    def _joint(batch):
        if "obs" not in batch:
            batch = dict(batch, **{k: tf.concat(list(batch[f"{k}_n"]), axis=-1) for k in ("obs", "act", "next_obs")})
        return batch

    def _train_step_shared(self, batch):
        # Teams in order, each team's networks updated once on its members' batches pooled (shared.py).
        metrics = shared_round(self.team_rule, self.agents, self._joint(batch), self.settings, self._next_seed,
                               self.temperature())
        self.update_rounds.assign_add(1)
        return metrics

    def _train_step_simultaneous(self, batch):
        # Every agent from the pre-round weights, same-shaped agents stacked (simultaneous.py).
        batch = self._joint(batch)
        seeds = self.rng.uniform_full_int([self.n, self.n + 1, 2], dtype=tf.int32)
        new_state, metrics = sim.simultaneous_update(
            sim.agent_specs(self.agents), sim.read_state(self.agents), batch, range(self.n), self.settings,
            seeds, self.temperature(), stack=self.stack_agents)
        sim.write_state(self.agents, new_state)
        self.update_rounds.assign_add(1)
        return metrics

    def train_step(self, batch: dict) -> Dict[str, tf.Tensor]:
        """One update round of every agent; batch as the replay returns it (see module docstring).

        Joint arrays (`obs`, `act`, `next_obs` [N, B, sum of dims], as Replay also gives) are used
        when present: five tensor conversions instead of 3N + 2, the slicing happens in the graph.
        The same call leaves the updated actor weights in `last_actor_weights` (tensors), which
        saves the acting policy a second call after every round."""
        f32 = lambda x: tf.convert_to_tensor(np.asarray(x, dtype=np.float32))
        if all(k in batch for k in ("obs", "act", "next_obs")):
            keys, fn = ("obs", "act", "next_obs", "rew", "done"), self._train_step_joint
        else:
            keys, fn = ("obs_n", "act_n", "next_obs_n", "rew", "done"), self._train_step
        keys += tuple(k for k in EXTRA_BATCH_KEYS if k in batch)
        if self.config.agent_updates == "simultaneous":
            fn = self._train_step_simultaneous
        if self.teams is not None:
            fn = self._train_step_shared
        batch = {k: ([f32(x) for x in batch[k]] if k.endswith("_n") else f32(batch[k])) for k in keys}
        key = (fn, keys)
        if key not in self._concrete:
            # Calling the traced graph directly: tf.function's per-call signature matching of this
            # nested batch cost about 10 ms, as much as the update itself.
            spec = tf.nest.map_structure(
                lambda t: tf.TensorSpec([t.shape[0], None] + t.shape[2:], tf.float32), batch)
            step_and_actors = lambda b: (fn(b), self._actor_tensors())
            self._concrete[key] = tf.function(step_and_actors, jit_compile=bool(self.config.jit_compile),
                                             autograph=False).get_concrete_function(spec)
        metrics, self.last_actor_weights = self._concrete[key](batch)
        return metrics

    def _actor_tensors(self) -> List[List[tf.Tensor]]:
        # Read after the round's updates: automatic control dependencies order them after the writes.
        if self.ensemble is not None:
            return self.ensemble.actor_tensors()  # N * K weight lists, agent-major
        return [[tf.identity(v) for v in net_vars(a.actor)] for a in self.agents]

    # -------------------------------------------------------------- evaluation helpers
    def actor_params(self, obs_n, target: bool = False) -> List[tf.Tensor]:
        nets = [a.target_actor if target else a.actor for a in self.agents]
        return [net(tf.convert_to_tensor(o, tf.float32)) for net, o in zip(nets, obs_n)]

    def q_values(self, obs_n, act_n, target: bool = False) -> List[tf.Tensor]:
        obs_n = [tf.convert_to_tensor(o, tf.float32) for o in obs_n]
        act_n = [tf.convert_to_tensor(a, tf.float32) for a in act_n]
        out = []
        for i, a in enumerate(self.agents):
            net = a.target_critic if target else a.critic
            x = critic_input(i, obs_n, act_n, a.local_q)
            team = team_of(self.teams, i) if self.teams else [i]
            if critic_extra(len(team), a.local_q):  # a shared critic also reads the member's index
                x = tf.concat([x, tf.one_hot(tf.fill(tf.shape(x)[:1], team.index(i)), len(team))], axis=-1)
            out.append(q_value(net, x))
        return out

    def actor_weights(self) -> List[List[np.ndarray]]:
        """Numpy copies of every actor's [W0, b0, W1, b1, W2, b2] (for the acting policy).

        Read in one compiled call: reading variables one by one costs an eager op each, and this
        runs after every update round."""
        if self._read_actors is None:
            self._read_actors = tf.function(self._actor_tensors, autograph=False).get_concrete_function()
        return [[t.numpy() for t in ts] for ts in self._read_actors()]
