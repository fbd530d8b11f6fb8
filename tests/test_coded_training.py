"""Coded distributed training on a local Ray (one per module, tiny settings): every scheme decodes the
uncoded simultaneous update of the same round despite stragglers, failures are re-sent, a learner
killed mid-round does not stop the run, and the command line trains with it."""
import glob
import json
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from maddpg_tf2.cli import UsageError, parse_config

pytest.importorskip("ray")

SCHEMES = ("none", "mds", "random_sparse", "replication", "ldpc")
N = 3  # learners; simple_speaker_listener has M = 2 agents


@pytest.fixture(scope="module")
def setup():
    from maddpg_tf2.config import Config
    from maddpg_tf2.distributed import runtime
    from maddpg_tf2.distributed.coded.learners import CodedLearner, LearnerPool
    from maddpg_tf2.distributed.coded.state import StateLayout
    from maddpg_tf2.envs.make import make_env
    from maddpg_tf2.loop import build_agents
    from maddpg_tf2.replay import Replay

    config = Config(scenario="simple_speaker_listener", num_units=8, batch_size=16, seed=3, num_envs=4)
    env = make_env(config.scenario, num_envs=4, seed=3)
    learner, policy = build_agents(config, env)
    replay = Replay(1000, learner.obs_dims, learner.act_dims, num_envs=4)
    rng = np.random.default_rng(0)
    obs_n = env.reset()
    for _ in range(20):
        act_n = policy.act(obs_n, rng)
        new_obs_n, rew, done, _ = env.step(act_n)
        replay.add(obs_n, act_n, rew, new_obs_n, done)
        obs_n = new_obs_n
    batches = [replay.sample(config.batch_size, rng) for _ in range(2)]
    spaces = list(env.action_space_n)
    runtime.connect(None, num_cpus=2)
    pool = LearnerPool(config, learner.obs_dims, spaces, learner.local_q_n, N)
    layout = StateLayout(learner)
    # The reference: the uncoded simultaneous update, computed in this process.
    ref = CodedLearner(config, learner.obs_dims, spaces, learner.local_q_n, configure_threads=False)
    yield dict(config=config, learner=learner, layout=layout, start=layout.read(), batches=batches,
               pool=pool, ref=ref)
    pool.close()
    runtime.shutdown()


def _updater(s, scheme, **kw):
    from maddpg_tf2.distributed.coded.codes import make_code
    from maddpg_tf2.distributed.coded.controller import CodedUpdater

    s["layout"].assign(s["start"])
    s["learner"].update_rounds.assign(0)
    return CodedUpdater(s["learner"], make_code(scheme, N, 2, seed=1), s["pool"], seed=s["config"].seed, **kw)


def _expected(s, round_):
    """Every agent's vector (state and metrics) after the uncoded simultaneous update of this round
    from the driver's current (pre-round) state."""
    from maddpg_tf2.distributed.coded.learners import agent_batch, agent_seed

    batch = s["batches"][round_]
    return s["ref"].update_agents(round_, s["layout"].read(), {i: agent_batch(batch, i) for i in range(2)},
                                  {i: agent_seed(s["config"].seed, round_, i) for i in range(2)})


def _deviation(s, updater, exp):
    """Largest difference of the decoded (float64) and the written (float32) state from the reference."""
    lay = s["layout"]
    decoded = max(np.abs(lay.from_answer(i, updater.last_decoded[i]) - exp[i]).max() for i in range(2))
    written = lay.read()
    stored = max(np.abs(written[i] - exp[i][:lay.lengths[i]]).max() for i in range(2))
    return decoded, stored


@pytest.mark.parametrize("scheme", SCHEMES)
def test_scheme_matches_uncoded_simultaneous_update(setup, scheme):
    s = setup
    up = _updater(s, scheme, stragglers=1, straggler_delay=0.3, round_timeout=120.0)  # no re-send on a busy machine
    for r, batch in enumerate(s["batches"]):
        exp = _expected(s, r)
        metrics = up.train_step(batch)
        decoded, stored = _deviation(s, up, exp)
        assert decoded < 1e-9 and stored < 1e-9, (scheme, r, up.last_rows, up.current_stragglers)
        assert up.code.decodable(up.last_rows) and up.last_resent == []
        L = s["layout"].lengths
        np.testing.assert_allclose([metrics[f"loss/critic_{i}"] for i in range(2)],
                                   [exp[i][L[i]] for i in range(2)], rtol=1e-6)
    assert int(s["learner"].update_rounds.numpy()) == 2
    # The acting policy gets the decoded actors, as after Learner.train_step.
    actor0 = s["layout"].actor_weights(0, exp[0])
    for got, want in zip(s["learner"].last_actor_weights[0], actor0):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


def test_failed_stragglers_are_resent_once_said(setup, capsys):
    s = setup
    # MDS with N=3, M=2 tolerates one straggler; two that never answer leave one answer: re-send.
    up = _updater(s, "mds", stragglers=2, straggler_failure=True, round_timeout=0.5)
    for r, batch in enumerate(s["batches"]):
        exp = _expected(s, r)
        up.train_step(batch)
        assert up.last_resent, "the missing row must have been re-sent"
        assert max(_deviation(s, up, exp)) < 1e-9
    out, err = capsys.readouterr()
    said = [l for l in err.splitlines() if "re-sending" in l]
    assert len(said) == 1 and said[0].startswith("maddpg-train: note: coded training: round 0 ") and not out


def test_learner_killed_mid_round_does_not_stop_the_run(setup, capsys):
    import ray

    s = setup
    up = _updater(s, "none", stragglers=2, straggler_delay=1.5, round_timeout=30.0)
    result, exp = {}, _expected(s, 0)
    run = threading.Thread(target=lambda: result.update(m=up.train_step(s["batches"][0])))
    up.current_stragglers = []
    run.start()
    deadline = time.monotonic() + 30
    while not up.current_stragglers and time.monotonic() < deadline:
        time.sleep(0.01)
    victim = min(j for j in up.current_stragglers if up.code.row_agents(j))  # one that holds a row
    time.sleep(0.2)
    ray.kill(s["pool"].actors[victim], no_restart=False)
    run.join(60)
    assert not run.is_alive() and "m" in result
    assert victim in up.last_resent
    err = capsys.readouterr().err.splitlines()
    lost = [l for l in err if "lost" in l]
    assert len(lost) == 1 and re.fullmatch(rf"maddpg-train: note: coded learner {victim} lost in round 0 \(\w+\); "
                                           r"restarted by Ray, the round goes on without it \(.*\)", lost[0]), err
    assert max(_deviation(s, up, exp)) < 1e-9
    up.stragglers, exp = 0, _expected(s, 1)
    up.train_step(s["batches"][1])  # the restarted learner takes part again
    assert max(_deviation(s, up, exp)) < 1e-9


@pytest.mark.slow  # default suite time; the in-process scheme tests run every code by default
def test_cli_trains_with_mds_and_a_straggler(setup, tmp_path):
    import ray

    address = ray.get_runtime_context().gcs_address  # join the module's Ray: no second cluster
    cmd = [sys.executable, "-m", "maddpg_tf2.cli", "--scenario", "simple_speaker_listener", "--coded-scheme",
           "mds", "--learners", "3", "--stragglers", "1", "--straggler-delay", "0.05", "--ray-address", address,
           "--num-episodes", "60", "--max-episode-len", "5", "--batch-size", "16", "--num-units", "8",
           "--num-envs", "4", "--save-rate", "20", "--seed", "1", "--quiet", "--exp-name", "coded",
           "--save-dir", str(tmp_path / "policy"), "--plots-dir", str(tmp_path / "curves")]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "episodes: 60" in out.stdout
    extras = sorted(glob.glob(str(tmp_path / "policy" / "*.extra.json")))
    progress = json.load(open(extras[-1]))["progress"]
    assert progress["update_rounds"] >= 3  # 300 transitions, learning from 80: rounds at 100, 200, 300


@pytest.mark.slow  # default suite time; test_learner_killed_mid_round_does_not_stop_the_run checks the line by default
def test_cli_learner_killed_is_one_line_and_the_run_ends_cleanly(setup, tmp_path):
    """kill -9 of a learner's process in a CLI run (--coded-scheme none, 2 learners, on the module's
    Ray): one line on stderr names the learner, the run finishes with the original's lines, and
    nothing crashes on the way out."""
    import ray
    from ray_kill import CRASH, run_and_kill

    from maddpg_tf2.distributed.runtime import wait_ready

    actors = setup["pool"].actors  # the module's own learners (one an earlier test killed may still restart)
    keep = set(wait_ready(ray, lambda k: actors[k].ping.remote(), len(actors), "the module's learners", "-",
                          timeout=120))
    rc, out, err, killed = run_and_kill(
        ["--scenario", "simple_speaker_listener", "--coded-scheme", "none", "--ray-address",
         ray.get_runtime_context().gcs_address, "--num-episodes", "40", "--max-episode-len", "5",
         "--batch-size", "16", "--num-units", "8", "--num-envs", "4", "--save-rate", "10", "--seed", "1",
         "--quiet", "--save-dir", tmp_path / "policy", "--plots-dir", tmp_path / "curves"],
        "CodedLearner", keep=keep)
    assert killed is not None and rc == 0, err[-3000:]
    lost = [l for l in err.splitlines() if l.startswith("maddpg-train: note: coded learner ")]
    assert len(lost) == 1 and re.match(r"maddpg-train: note: coded learner [01] lost in round \d+ .*restarted by "
                                       r"Ray", lost[0]), err
    assert [l for l in err.splitlines() if l.strip() and not l.startswith("maddpg-train: note: ")] == [], err
    assert not CRASH.search(err), err
    lines = out.splitlines()
    assert lines[:2] == ["Using good policy maddpg and adv policy maddpg", "Starting iterations..."]
    assert lines[-1] == "...Finished total of 41 episodes." and len(lines) == 7, out


@pytest.mark.parametrize("argv,message", [
    (["--coded-scheme", "mds", "--learners", "3", "--stragglers", "3"], "--stragglers 3 must be smaller than --learners 3"),
    (["--stragglers", "1"], "--stragglers needs --coded-scheme"),
    (["--coded-scheme", "ldpc", "--learners", "0"], "--learners must be a whole number in 1..1024"),
    (["--coded-scheme", "mds", "--straggler-delay", "-1", "--stragglers", "1"], "--straggler-delay must be a number in [0, 86400]"),
    (["--coded-scheme", "mds", "--round-timeout", "0"], "--round-timeout must be a number in (0, 86400]"),
])
def test_bad_combinations_are_one_line_errors(argv, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_config(argv)


def test_too_few_learners_and_missing_ray(monkeypatch):
    from maddpg_tf2.distributed.coded.controller import check_sizes
    from maddpg_tf2.distributed.runtime import require_ray
    from maddpg_tf2.errors import UserError

    with pytest.raises(UserError, match="needs at least one learner per agent"):
        check_sizes("replication", 2, 3, 0)
    check_sizes("none", 2, 3, 1)  # uncoded: a learner may hold several agents
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UserError, match=r"distributed extra"):
        require_ray("--coded-scheme")


# ---------------------------------------------------------------------------- issue 27: start-up and slow learners

class _UnavailableOnce:
    """A learner's handle whose first `compute` answer is ActorUnavailableError, as Ray raises it for a
    live actor that a busy machine keeps from answering in time (the work may or may not have run)."""

    def __init__(self, actor):
        self._actor = actor
        self.compute = self  # compute.remote(...) comes here

    def __getattr__(self, name):
        return getattr(self._actor, name)

    def remote(self, *args, **kwargs):
        import ray

        self._actor.compute.remote(*args, **kwargs)
        self.compute = self._actor.compute  # only the first call

        @ray.remote(num_cpus=0)
        def unavailable():
            raise ray.exceptions.ActorUnavailableError("the actor did not answer in time", None)

        return unavailable.remote()


def test_a_learner_that_is_only_slow_is_not_lost(setup, capsys):
    """A learner whose answer comes back unavailable but which is the same process when pinged was only
    slow: no note, its row is done by others, the round decodes; a learner that comes back as a new
    process (Ray restarted it) gets the one note of a loss."""
    import ray

    s = setup
    up = _updater(s, "mds")
    view = s["pool"].subset(N)
    view.actors, view.pids = list(view.actors), list(view.pids)
    view.actors[0] = _UnavailableOnce(view.actors[0])
    up.pool = view
    exp = _expected(s, 0)
    up.train_step(s["batches"][0])
    assert 0 not in up.last_rows and max(_deviation(s, up, exp)) < 1e-9
    deadline = time.monotonic() + 60
    while up._checks and time.monotonic() < deadline:  # the ping answers: the same process
        time.sleep(0.05)
        up._settle_checks()
    assert not up._checks and "lost" not in capsys.readouterr().err
    # The same check when the learner's process is not the one known: a restart, said once.
    view.pids[1] = -1
    up._check(1, 4, ray.exceptions.ActorUnavailableError("the actor did not answer in time", None))
    deadline = time.monotonic() + 60
    while up._checks and time.monotonic() < deadline:
        time.sleep(0.05)
        up._settle_checks()
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("maddpg-train: note: coded learner 1 lost in round 4 "
                                               "(ActorUnavailableError); restarted by Ray"), err


def test_start_up_is_bounded_and_a_failed_constructor_is_one_line(setup):
    """Actors that never become ready (here a constructor that does not return) end the wait after
    the start-up timeout in one line; a constructor that raises ends it at once."""
    import ray

    from maddpg_tf2.distributed import runtime
    from maddpg_tf2.errors import UserError

    @ray.remote(num_cpus=0)
    class Stuck:
        def __init__(self, fail):
            if fail:
                raise ValueError("no such package here")
            time.sleep(3600)

        def ping(self):
            return os.getpid()

    stuck = Stuck.remote(False)
    start = time.monotonic()
    with pytest.raises(UserError) as e:
        runtime.wait_ready(ray, lambda k: stuck.ping.remote(), 1, "the test actors", "pass fewer of them", timeout=1.5)
    assert time.monotonic() - start < 30
    assert str(e.value).startswith("the test actors: 1 of 1 did not start within 2 s") and \
        str(e.value).endswith("; pass fewer of them") and "\n" not in str(e.value)
    failing = Stuck.remote(True)
    with pytest.raises(UserError, match=r"^the test actors could not start \(.*\); pass fewer of them$"):
        runtime.wait_ready(ray, lambda k: failing.ping.remote(), 1, "the test actors", "pass fewer of them",
                           timeout=120)
    for a in (stuck, failing):
        ray.kill(a)


def test_learners_beyond_the_memory_are_refused_before_ray_starts(monkeypatch, capsys, tmp_path):
    """--learners 1024 (each a process with TensorFlow, about 0.45 GiB): one line, and no Ray started
    for it (the check runs before a local Ray would start)."""
    from maddpg_tf2 import safety
    from maddpg_tf2.cli import main
    from maddpg_tf2.distributed import runtime

    monkeypatch.setattr(safety, "available_memory", lambda: 8 * 2**30)
    started = []
    monkeypatch.setattr(runtime, "connect", lambda *a, **k: started.append(a))
    rc = main(["--scenario", "simple_speaker_listener", "--coded-scheme", "none", "--learners", "1024",
               "--num-episodes", "2", "--max-episode-len", "5", "--quiet", "--save-dir", str(tmp_path / "p"),
               "--plots-dir", str(tmp_path / "c")])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc == 2 and len(lines) == 1, lines
    assert lines[0].startswith("maddpg-train: error: --learners 1024 needs about 4") and \
        "this machine has 8.0 GiB available; pass at most --learners 17," in lines[0], lines
    assert started == []


def test_room_in_a_cluster_is_its_memory_resource():
    from maddpg_tf2.distributed.runtime import WORKER_BYTES, check_room
    from maddpg_tf2.errors import UserError

    check_room(3, "--explorers", 2, WORKER_BYTES, 3 * WORKER_BYTES, "the Ray cluster has")  # fits exactly
    with pytest.raises(UserError, match=r"^--explorers 3 needs about 1.8 GiB for its 4 Ray worker processes .* but "
                                        r"the Ray cluster has 1.0 GiB available; pass at most --explorers 1, or"):
        check_room(4, "--explorers", 3, WORKER_BYTES, 2**30, "the Ray cluster has")
    with pytest.raises(UserError, match="available; free memory, or run on a Ray cluster"):
        check_room(2, "--learners", 2, WORKER_BYTES, 0.1 * 2**30, "this machine has")


@pytest.mark.slow  # about 45 s; test_start_up_is_bounded_and_a_failed_constructor_is_one_line checks the wait by default
def test_learners_killed_for_memory_while_they_start_end_in_one_line(tmp_path):
    """The fuzz case: coded learners that Ray's memory monitor kills while they start (a local Ray whose
    kill threshold is 1% of the memory, so every worker is killed) are restarted again and again; the
    run says so once, ends after the start-up timeout with one line and exit status 2, no crash."""
    from ray_kill import CRASH, ROOT

    code = ("import sys\n"
            "import maddpg_tf2.distributed.runtime as r\n"
            "r.STARTUP_TIMEOUT_S, r.STARTUP_NOTE_S = 20.0, 8.0\n"
            "from maddpg_tf2.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    env = dict(os.environ, RAY_memory_usage_threshold="0.01", RAY_memory_monitor_refresh_ms="200",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "compat"), os.environ.get("PYTHONPATH", "")]))
    env.pop("RAY_ADDRESS", None)
    out = subprocess.run([sys.executable, "-c", code, "--scenario", "simple_speaker_listener", "--coded-scheme", "none",
                          "--learners", "2", "--num-episodes", "20", "--max-episode-len", "5", "--batch-size", "16",
                          "--num-units", "8", "--quiet", "--save-dir", str(tmp_path / "p"), "--plots-dir",
                          str(tmp_path / "c")], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 2 and not CRASH.search(out.stderr), out.stderr[-3000:]
    assert len(lines) == 2 and lines[0].startswith("maddpg-train: note: --coded-scheme: the coded learners: "), lines
    assert lines[1].startswith("maddpg-train: error: --coded-scheme: the coded learners: 2 of 2 did not start within "
                               "20 s"), lines
