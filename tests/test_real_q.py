"""--real-q-log (maddpg_tf2/real_q.py): the critics' estimate against the true discounted return.

Hand-computed returns on a stub world, the reservoir's pairing of states with the actions taken there
and its uniform draw, and real runs: files, scalars, training unchanged, resume, refusals."""
import csv
import types

import numpy as np
import pytest
from gymnasium import spaces

from maddpg_tf2.real_q import RealQCollector, read_rows


class CountingWorlds:
    """E worlds whose state is a step counter c; every agent gets reward 1 per step while c < stop
    (all agents done once c reaches stop); observation: [c]."""

    def __init__(self, num_envs, n=2, stop=None):
        self.num_envs, self.n, self.stop = num_envs, n, stop
        self.observation_space_n = [spaces.Box(-np.inf, np.inf, (1,))] * n
        self.action_space_n = [spaces.Box(-1, 1, (2,))] * n
        self.c = np.zeros(num_envs)

    def _obs(self):
        return [self.c[:, None].copy() for _ in range(self.n)]

    def reset(self, mask=None):
        self.c[:] = 0 if mask is None else np.where(mask, 0, self.c)
        return self._obs()

    def step(self, act_n):
        rew = np.ones((self.num_envs, self.n))
        self.c += 1
        done = np.zeros((self.num_envs, self.n), bool)
        if self.stop is not None:
            done[:] = (self.c >= self.stop)[:, None]
        return self._obs(), rew, done, None

    def episode_state(self):
        from maddpg_tf2.episode_snapshot import pack
        return {"kind": "particle", "scenario": "count", "agents": self.n, "arrays": {"c": pack(self.c)}}

    def set_episode_state(self, state):
        from maddpg_tf2.episode_snapshot import unpack
        self.c = unpack(state["arrays"]["c"]).copy()

    def close(self):
        pass


def stub_trainer(tmp_path, env, q=3.0, gamma=0.5, ep_len=3, slots=8, save_rate=2):
    from maddpg_tf2.logging import RunLogger
    from maddpg_tf2.loop import Progress

    config = types.SimpleNamespace(gamma=gamma, q_log_ep_len=ep_len, q_log_states=slots, save_rate=save_rate,
                                   seed=0, num_episodes=10**6)
    learner = types.SimpleNamespace(act_dims=[2] * env.n,
                                    q_values=lambda obs_n, act_n: [np.full(len(obs_n[0]), q + i) for i in range(env.n)])
    policy = types.SimpleNamespace(act=lambda obs_n, rng: [np.zeros((len(obs_n[0]), 2), np.float32)] * env.n)
    logger = RunLogger(tmp_path, "run", env.n, save_rate, 100, quiet=True, stdout=open(tmp_path / "out.txt", "w"))
    return types.SimpleNamespace(config=config, env=env, learner=learner, policy=policy, logger=logger,
                                 progress=Progress())


class Inner:
    """The loop's EnvCollector interface over a stub env: act zeros, no episode ends."""

    def __init__(self, env):
        self.env, self.num_worlds = env, env.num_envs
        self.steps = []

    def start(self):
        self.obs_n = self.env.reset()

    def step(self, random=False):
        from maddpg_tf2.collectors import Step
        obs_n = self.obs_n
        act_n = [np.stack([self.env.c + 0.5, -self.env.c]).T.astype(np.float32) for _ in range(self.env.n)]
        next_obs_n, rew, done, _ = self.env.step(act_n)
        self.obs_n = next_obs_n
        s = Step(obs_n, act_n, rew, next_obs_n, done, np.zeros(self.num_worlds, bool))
        self.steps.append(s)
        return s

    def close(self):
        pass


@pytest.mark.parametrize("stop, expected", [
    # never done: the stored action's reward, then ep_len + 1 = 4 policy steps: 1 + .5 + .25 + .125 + .0625
    (None, 1.9375),
    # all agents done after the 3rd step of the rollout: that step's reward counts, later ones do not
    (3, 1.75),
])
def test_true_return_by_hand(tmp_path, stop, expected):
    env = CountingWorlds(4, stop=None)
    trainer = stub_trainer(tmp_path, env)
    log = RealQCollector(Inner(env), trainer)
    log._eval_env = CountingWorlds(8, stop=stop)
    log.start()
    log.step()  # every slot takes a world at c = 0 (the reservoir is empty)
    assert log._states["c"].tolist() == [0.0] * 8
    q_mean, real_mean = log._estimates_and_returns()
    assert q_mean.tolist() == [3.0, 4.0]  # each agent's critic, averaged over the sampled states
    assert real_mean == pytest.approx([expected, expected], abs=1e-12)


def test_reservoir_pairs_states_with_their_actions_and_draws_uniformly(tmp_path):
    env = CountingWorlds(4)
    trainer = stub_trainer(tmp_path, env, slots=4000)
    inner = Inner(env)
    log = RealQCollector(inner, trainer)
    log.start()
    for _ in range(50):
        log.step()
    c = log._states["c"]  # the counter at the sampled states (= the step index t)
    # the observation and action kept with a state are those of that state and step
    assert np.array_equal(log._obs_n[0][:, 0], c)
    assert np.array_equal(log._act_n[1][:, 0], c + 0.5) and np.array_equal(log._act_n[1][:, 1], -c)
    # uniform over the 50 steps (4000 draws, 80 expected per step, sd about 8.9)
    counts = np.bincount(c.astype(int), minlength=50)
    assert counts.min() > 80 - 5 * 8.9 and counts.max() < 80 + 5 * 8.9
    assert abs(np.mean(c < 25) - 0.5) < 0.04


def test_measure_is_due_every_five_save_points_and_written(tmp_path):
    from maddpg_tf2.fileio import read_data_pickle

    env = CountingWorlds(2)
    trainer = stub_trainer(tmp_path, env, save_rate=2)  # period: 10 started episodes
    log = RealQCollector(Inner(env), trainer)
    log._eval_env = CountingWorlds(8)
    log.start()
    for completed in range(0, 25):
        trainer.progress.completed = completed
        trainer.progress.train_step = 2 * completed
        log.step()
    rows = read_rows(tmp_path / "run_q_values.csv")
    assert sorted({r[0] for r in rows}) == [10, 20]  # started episodes at the measures
    assert [r[2] for r in rows] == [0, 1, 0, 1]
    data = read_data_pickle(tmp_path / "run_q_values.pkl")
    assert set(data) == {"q_means", "real_means"} and len(data["q_means"]) == 2
    assert data["q_means"][0].tolist() == [3.0, 4.0]
    trainer.logger.flush_metrics()
    with open(tmp_path / "run_metrics.csv") as f:
        names = {r["name"] for r in csv.DictReader(f)}
    assert {"q/estimate_agent_1", "q/true_return_agent_0", "q/bias", "q/estimate"} <= names
    assert (tmp_path / "run_q_values.png").stat().st_size > 1000


OBJECT_SCENARIO = str(__import__("pathlib").Path(__file__).parents[1] / "configs/paper/scenarios/simple_speaker_listener.py")


@pytest.mark.parametrize("scenario, agents", [("simple_spread", 3), (OBJECT_SCENARIO, 2)])
def test_training_is_unchanged_and_files_written(main, tmp_path, scenario, agents):
    args = ["--scenario", scenario, "--num-episodes", "40", "--save-rate", "4", "--batch-size", "8",
            "--num-envs", "4", "--seed", "3", "--quiet", "--q-log-states", "16", "--q-log-ep-len", "5"]
    rc, out, _ = main(*args, "--save-dir", "a", "--plots-dir", "pa", "--exp-name", "r", "--real-q-log")
    assert rc == 0
    assert out.count("Q-mean:") == 2  # episodes 20 and 40
    rc, _, _ = main(*args, "--save-dir", "b", "--plots-dir", "pb", "--exp-name", "r")
    assert rc == 0
    curve = lambda d: (tmp_path / d / "r_curve.csv").read_text().splitlines()
    strip = lambda lines: [",".join(l.split(",")[:-2]) for l in lines]  # without the wall times
    # the measure draws from its own stream (object-style worlds: the global np.random is put back)
    assert strip(curve("pa")) == strip(curve("pb"))
    rows = read_rows(tmp_path / "pa" / "r_q_values.csv")
    assert [r[0] for r in rows] == [20] * agents + [40] * agents
    if agents == 2:
        return
    # resume from the last checkpoint keeps the measures up to it
    rc, out, _ = main(*args, "--save-dir", "a", "--plots-dir", "pa", "--exp-name", "r", "--real-q-log",
                      "--restore", "--num-episodes", "60")
    assert rc == 0 and out.count("Q-mean:") == 1
    assert [r[0] for r in read_rows(tmp_path / "pa" / "r_q_values.csv")] == [20] * 3 + [40] * 3 + [60] * 3


@pytest.mark.parametrize("extra, words", [
    (["--explorers", "2"], "--explorers"),
    (["--ensemble-size", "2"], "--ensemble-size"),
    (["--scenario", "gymnasium:Pendulum-v1"], "cannot"),
])
def test_refusals(main, extra, words):
    rc, out, err = main("--real-q-log", *extra)
    assert rc != 0
    line = [l for l in err.splitlines() if "--real-q-log" in l]
    assert len(line) == 1 and words in line[0]
