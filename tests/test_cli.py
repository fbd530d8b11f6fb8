"""The command line end to end (issue 4): experiments/train.py through a subprocess on tiny settings.

Importing TensorFlow costs several seconds per process on the 2-core CI machine, so the checks that
need a real process (stdout layout, exit codes, signals, console scripts, running from experiments/)
use subprocesses, and the many small cases (bad inputs, the 9 scenarios' benchmarks, display) call
the same `main(argv)` the script calls, inside the test process.
"""
import importlib.util
import json
import os
import pathlib
import pickle
import re
import shutil
import signal
import subprocess
import sys

import pytest

from maddpg_tf2 import fileio

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN = ROOT / "experiments" / "train.py"
TINY = ["--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--save-rate", "10"]
NUM = r"-?[\d.e+-]+"
SAVE_LINE = re.compile(rf"^steps: \d+, episodes: \d+, mean episode reward: {NUM}, time: [\d.]+$")
ADV_LINE = re.compile(
    rf"^steps: \d+, episodes: \d+, mean episode reward: {NUM}, agent episode reward: "
    rf"\[{NUM}(, {NUM})*\], time: [\d.]+$")
# TensorFlow's native start-up log (absl, before Python can silence it); not ours.
TF_NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} |To enable the following)")


def _env():
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    return env


def _cmd(*args, script=TRAIN):
    return [sys.executable, str(script), *map(str, args)]


def cli(*args, cwd, script=TRAIN, timeout=180):
    return subprocess.run(_cmd(*args, script=script), cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=timeout)


def outputs(tmp, name="run"):
    return ["--save-dir", tmp / "save", "--plots-dir", tmp / "plots", "--benchmark-dir", tmp / "bench",
            "--exp-name", name]


def own_stderr(err: str):
    return [l for l in err.splitlines() if l.strip() and not TF_NOISE.match(l)]


def load(path):
    return fileio.read_data_pickle(path)  # what a run writes loads as data only (issue 27)


def tree_bytes(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(pathlib.Path(folder).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def train_module():
    spec = importlib.util.spec_from_file_location("_train_cli", TRAIN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def main(train_module, monkeypatch, tmp_path):
    """train.py's main in this process, run from tmp_path; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    def call(capsys, *args):
        rc = train_module.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err
    return call


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """60 tiny episodes of `simple`, seeded, with the progress bar on (stderr)."""
    tmp = tmp_path_factory.mktemp("first")
    r = cli("--num-episodes", 60, "--seed", 1, *TINY, *outputs(tmp), cwd=tmp)
    assert r.returncode == 0, r.stderr
    return tmp, r, (tmp / "plots" / "run_rewards.pkl").read_bytes()


# ---------------------------------------------------------------------------- training outputs

def test_training_prints_original_lines_and_writes_outputs(first_run):
    tmp, r, _ = first_run
    lines = r.stdout.splitlines()
    assert lines[0] == "Using good policy maddpg and adv policy maddpg"
    assert lines[1] == "Starting iterations..."
    assert lines[-1] == "...Finished total of 61 episodes."
    saves = lines[2:-1]
    assert len(saves) == 6 and all(SAVE_LINE.match(l) for l in saves), saves
    assert [int(re.search(r"episodes: (\d+)", l).group(1)) for l in saves] == [10, 20, 30, 40, 50, 60]
    assert "Traceback" not in r.stderr and "60/60" in r.stderr  # the bar goes to stderr

    plots = tmp / "plots"
    rewards, agrewards = load(plots / "run_rewards.pkl"), load(plots / "run_agrewards.pkl")
    assert isinstance(rewards, list) and len(rewards) == 6 and all(type(x) is float for x in rewards)
    assert len(agrewards) == 6 * 1
    assert len((plots / "run_curve.csv").read_text().splitlines()) == 1 + 6
    assert (plots / "run_curve.png").read_bytes()[:4] == b"\x89PNG"
    # learning starts at batch * episode_len = 160 transitions: updates ran and their losses were logged
    metrics = (plots / "run_metrics.csv").read_text()
    assert re.search(r"^\d+,loss/critic", metrics, re.M), metrics
    # one rate per save line: save_rate episodes over the interval the line printed as its time
    rates = [float(v) for v in re.findall(r"^\d+,perf/episodes_per_second,(.*)$", metrics, re.M)]
    times = [float(re.search(r"time: ([\d.]+)", l).group(1)) for l in saves]
    assert len(rates) == 6 and all(r == pytest.approx(10 / t, rel=0.05) for r, t in zip(rates, times) if t > 0.01), (rates, times)
    save = tmp / "save"
    assert (save / "meta.json").is_file() and (save / "checkpoint").is_file()
    assert list(save.glob("ckpt-*.index"))


def test_seed_reproduces_bit_for_bit_and_script_runs_from_experiments(first_run, tmp_path):
    _, _, first_bytes = first_run
    same = subprocess.Popen(_cmd("--num-episodes", 60, "--seed", 1, "--quiet", *TINY, *outputs(tmp_path / "a")),
                            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # `python train.py` from inside experiments/, another seed
    other = subprocess.Popen([sys.executable, "train.py", "--num-episodes", "60", "--seed", "2", "--quiet",
                              *TINY, *map(str, outputs(tmp_path / "b"))],
                             cwd=ROOT / "experiments", env=_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    for p in (same, other):
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        assert "Traceback" not in err
    assert (tmp_path / "a" / "plots" / "run_rewards.pkl").read_bytes() == first_bytes
    assert load(tmp_path / "b" / "plots" / "run_rewards.pkl") != pickle.loads(first_bytes)


def test_restore_continues_counters_and_curves(first_run, main, capsys, tmp_path):
    src, _, _ = first_run
    shutil.copytree(src / "save", tmp_path / "save")
    shutil.copytree(src / "plots", tmp_path / "plots")
    before = load(tmp_path / "plots" / "run_rewards.pkl")
    rc, out, err = main(capsys, "--restore", "--num-episodes", 80, "--quiet", "--seed", 1, *TINY, *outputs(tmp_path))
    assert rc == 0, err
    lines = out.splitlines()
    assert "Loading previous state..." in lines
    saves = [l for l in lines if SAVE_LINE.match(l)]
    assert len(saves) == 2
    first = re.match(r"steps: (\d+), episodes: (\d+)", saves[0])
    assert int(first.group(2)) == 70 and int(first.group(1)) > 295  # the first run ended at 295 steps
    assert lines[-1] == "...Finished total of 81 episodes."
    after = load(tmp_path / "plots" / "run_rewards.pkl")
    assert len(after) == 8 and after[:6] == before
    assert len(load(tmp_path / "plots" / "run_agrewards.pkl")) == 8


def test_adversary_line_and_agent_curves(main, capsys, tmp_path):
    rc, out, err = main(capsys, "--scenario", "simple_adversary", "--num-adversaries", 1, "--num-episodes", 20,
                        "--quiet", *TINY, *outputs(tmp_path))
    assert rc == 0, err
    saves = [l for l in out.splitlines() if l.startswith("steps:")]
    assert len(saves) == 2 and all(ADV_LINE.match(l) for l in saves), saves
    assert len(load(tmp_path / "plots" / "run_agrewards.pkl")) == 2 * 3


# ---------------------------------------------------------------------------- signals

# SIGINT's save-and-resume is also checked mid-episode in test_user_safety.py, so it is slow here
@pytest.mark.parametrize("sig, code", [pytest.param(signal.SIGINT, 130, marks=pytest.mark.slow),
                                       (signal.SIGTERM, 143)])
def test_interrupt_saves_and_restore_resumes(sig, code, main, capsys, tmp_path):
    p = subprocess.Popen(_cmd("--num-episodes", 100000, "--quiet", *TINY, *outputs(tmp_path)), cwd=tmp_path,
                         env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in p.stdout:
            seen.append(line)
            if line.startswith("steps:"):
                break
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    out = "".join(seen) + out
    assert p.returncode == code, err
    assert "Traceback" not in err
    assert "--restore" in out and "Interrupted after" in out
    assert (tmp_path / "save" / "checkpoint").is_file()
    assert load(tmp_path / "plots" / "run_rewards.pkl")
    done = int(re.search(r"Interrupted after (\d+) episodes", out).group(1))
    rc, out, err = main(capsys, "--restore", "--num-episodes", done + 10, "--quiet", *TINY, *outputs(tmp_path))
    assert rc == 0, err
    assert out.splitlines()[-1] == f"...Finished total of {done + 11} episodes."


# ---------------------------------------------------------------------------- benchmark and display

SCENARIOS = {"simple": 0, "simple_adversary": 1, "simple_crypto": 1, "simple_push": 1, "simple_reference": 0,
             "simple_speaker_listener": 0, "simple_spread": 0, "simple_tag": 3, "simple_world_comm": 4}
AGENTS = {"simple": 1, "simple_adversary": 3, "simple_crypto": 3, "simple_push": 2, "simple_reference": 2,
          "simple_speaker_listener": 2, "simple_spread": 3, "simple_tag": 4, "simple_world_comm": 6}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_benchmark_every_scenario(scenario, main, capsys, tmp_path):
    common = ["--scenario", scenario, "--num-adversaries", SCENARIOS[scenario], "--max-episode-len", 5,
              "--batch-size", 8, "--quiet", *outputs(tmp_path, scenario)]
    rc, _, err = main(capsys, "--num-episodes", 2, "--save-rate", 1, *common)
    assert rc == 0, err
    rc, out, err = main(capsys, "--benchmark", "--benchmark-iters", 10, *common)
    assert rc == 0, err
    data = load(tmp_path / "bench" / f"{scenario}.pkl")
    assert isinstance(data, list) and len(data) == 2
    for episode in data:
        assert isinstance(episode, list) and len(episode) == 1
        steps = episode[0]
        assert len(steps) == 5 and all(len(step) == AGENTS[scenario] for step in steps)
    summary = json.loads((tmp_path / "bench" / f"{scenario}_summary.json").read_text())
    from maddpg_tf2.benchmark_metrics import METRIC_NAMES  # what a sweep's metric: is checked against
    assert summary["metrics"] and set(summary["metrics"]) <= set(METRIC_NAMES[scenario]), summary["metrics"]
    assert "Finished benchmarking, now saving..." in out and "benchmark summary" in out


def test_benchmark_deterministic_acts_with_the_mode(main, capsys, tmp_path, monkeypatch):
    from maddpg_tf2 import distributions

    common = ["--max-episode-len", 5, "--batch-size", 8, "--quiet", *outputs(tmp_path)]
    assert main(capsys, "--num-episodes", 2, "--save-rate", 1, *common)[0] == 0

    def no_sampling(self, params, rng):
        raise AssertionError("sampled an action")

    monkeypatch.setattr(distributions.SoftCategorical, "sample_np", no_sampling)
    rc, out, err = main(capsys, "--benchmark", "--benchmark-iters", 10, "--benchmark-deterministic", *common)
    assert rc == 0, err
    with pytest.raises(AssertionError, match="sampled an action"):
        main(capsys, "--benchmark", "--benchmark-iters", 10, *common)


def test_display_without_display_writes_gif(main, capsys, tmp_path):
    import imageio.v3 as iio

    common = ["--max-episode-len", 5, "--batch-size", 8, "--quiet", *outputs(tmp_path)]
    assert main(capsys, "--num-episodes", 2, "--save-rate", 1, *common)[0] == 0
    rc, out, err = main(capsys, "--display", "--display-episodes", 2, *common)
    assert rc == 0, err
    path = re.search(r"to (\S+\.gif)$", out.strip().splitlines()[-1]).group(1)
    frames = iio.imread(path, index=None)
    assert frames.shape[-1] in (3, 4)
    # Pillow merges a frame identical to the one before into it (adding up their durations), so count
    # the frames by time: 2 episodes x 5 steps at 100 ms each.
    from PIL import Image, ImageSequence
    with Image.open(path) as gif:
        shown_ms = sum(frame.info["duration"] for frame in ImageSequence.Iterator(gif))
    assert shown_ms == 2 * 5 * 100 and frames.shape[0] <= 2 * 5

    # MP4 (the optional imageio-ffmpeg package): the same episodes as a video file
    pytest.importorskip("imageio_ffmpeg")
    rc, out, err = main(capsys, "--display", "--display-episodes", 1, "--display-file", tmp_path / "run.mp4", *common)
    assert rc == 0, err
    video = iio.imread(tmp_path / "run.mp4", index=None)
    assert video.shape[0] == 5 and video.shape[-1] == 3
    assert abs(video.shape[1] - frames.shape[1]) <= 1 and abs(video.shape[2] - frames.shape[2]) <= 1  # even sides


# ---------------------------------------------------------------------------- bad inputs

def test_bad_input_in_a_real_process(tmp_path):
    r = cli("--scenario", "no_such_scenario", "--seed", 1, *outputs(tmp_path), cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = own_stderr(r.stderr)
    assert len(lines) == 1 and lines[0].startswith("maddpg-train: error: unknown scenario"), r.stderr
    assert "simple_spread" in lines[0]


@pytest.fixture(scope="module")
def saved_simple(tmp_path_factory, train_module):
    """A checkpoint of `simple` with 64 units (two tiny episodes, in this process)."""
    tmp = tmp_path_factory.mktemp("saved")
    rc = train_module.main([str(a) for a in ["--num-episodes", 2, "--save-rate", 1, "--max-episode-len", 5,
                                             "--batch-size", 8, "--quiet", *outputs(tmp)]])
    assert rc == 0
    return tmp


BAD = {
    "adversaries": (["--num-adversaries", 2], "--num-adversaries 2 exceeds"),
    "batch": (["--batch-size", 0], "--batch-size must be a whole number in 1..9223372036854775807, got 0"),
    "episodes": (["--num-episodes", -3], "--num-episodes must be a whole number in 1..9223372036854775807, got -3"),
    "save_rate": (["--save-rate", 0], "--save-rate must be a whole number in 1..9223372036854775807, got 0"),
    "episode_len": (["--max-episode-len", 0], "--max-episode-len must be a whole number in 1..9223372036854775807, got 0"),
    "actor_lr": (["--actor-lr", "-1"], "--actor-lr must be a number in (0, 1] (Adam's step size), got -1.0"),
    "variance_draws": (["--grad-variance-draws", 1], "--grad-variance-draws must be a whole number in 2..1024"),
    "threads": (["--inter-op-threads", -1], "--inter-op-threads must be a whole number in 0..1024 (0: TensorFlow's choice), got -1"),
    "restore_none": (["--restore", "--save-dir", "{tmp}/nothing"], "--restore found no checkpoint in"),
    "display_none": (["--display", "--load-dir", "{tmp}/nothing"], "--display found no checkpoint in"),
    "benchmark_none": (["--benchmark", "--save-dir", "{tmp}/nothing"], "--benchmark found no checkpoint in"),
    "plots_under_file": (["--plots-dir", "{tmp}/afile/plots"], "cannot write to --plots-dir"),
    "save_under_file": (["--save-dir", "{tmp}/afile/save"], "cannot write to --save-dir"),
    "save_is_file": (["--save-dir", "{tmp}/afile"], "cannot write to --save-dir"),
    "bench_under_file": (["--benchmark", "--load-dir", "{saved}/save", "--benchmark-dir", "{tmp}/afile/b"],
                         "cannot write to --benchmark-dir"),
    "other_scenario": (["--restore", "--scenario", "simple_spread", "--load-dir", "{saved}/save"],
                       "does not fit this model (scenario differs)"),
    "other_units": (["--benchmark", "--num-units", 32, "--load-dir", "{saved}/save"],
                    "does not fit this model (num_units differs)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_clean_line(case, main, capsys, tmp_path, saved_simple):
    (tmp_path / "afile").write_text("a regular file, not a folder")
    flags, expected = BAD[case]
    flags = [str(f).format(tmp=tmp_path, saved=saved_simple) for f in flags]
    defaults = ["--num-episodes", 20, "--quiet", *TINY, "--save-dir", tmp_path / "s", "--plots-dir", tmp_path / "p",
                "--benchmark-dir", tmp_path / "b", "--exp-name", "bad"]
    rc, out, err = main(capsys, *defaults, *flags)  # later flags win
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("maddpg-train: error: ") and expected in lines[0], err
    assert not any(SAVE_LINE.match(l) for l in out.splitlines())  # failed before training


def test_failing_restore_overwrites_nothing(main, capsys, tmp_path, saved_simple):
    shutil.copytree(saved_simple, tmp_path / "old")
    before = tree_bytes(tmp_path / "old")
    rc, _, err = main(capsys, "--restore", "--scenario", "simple_spread", "--num-episodes", 20, "--quiet", *TINY,
                      *outputs(tmp_path / "old"))
    assert rc == 2 and "scenario differs" in err
    assert tree_bytes(tmp_path / "old") == before


def test_yaml_config_and_command_line_wins(train_module, main, capsys, tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text("batch-size: 64\nsave_rate: 7\nscenario: simple_spread\n")
    c = train_module.parse_config(["--config", str(cfg), "--save-rate", "3"])
    assert (c.batch_size, c.save_rate, c.scenario) == (64, 3, "simple_spread")
    cfg.write_text("batch-size: 64\nno_such_key: 1\n")
    rc, _, err = main(capsys, "--config", cfg)
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "unknown key 'no_such_key'" in lines[0]


# ---------------------------------------------------------------------------- console scripts

def test_console_scripts(first_run, tmp_path):
    from installed_scripts import console_script

    exe = console_script("maddpg-train")  # beside the running Python: its venv need not be activated
    assert exe, "the package's console script maddpg-train is not installed"
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, env=_env(), timeout=60)
    assert r.returncode == 0 and "--scenario" in r.stdout and "--benchmark-iters" in r.stdout
    plot = console_script("maddpg-plot")
    assert plot
    out = tmp_path / "curve.png"
    r = subprocess.run([plot, str(first_run[0] / "plots" / "run_rewards.pkl"), "--save-rate", "10", "-o", str(out)],
                       capture_output=True, text=True, env=_env(), timeout=60)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"
