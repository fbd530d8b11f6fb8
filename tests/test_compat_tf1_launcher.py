"""`python -m maddpg.tf1 script.py ...` runs scripts written for TensorFlow 1 unchanged: a script in
the original train.py's TF1 style (tests/data/train_tf1.py) trains, saves, restores, displays and
benchmarks through it; names it does not provide stop with one line; other programs see no change."""
import json
import os
import pathlib
import subprocess
import sys
import textwrap

from maddpg_tf2 import fileio

DATA = pathlib.Path(__file__).parent / "data"
SCRIPT = DATA / "train_tf1.py"


def _launch(args, cwd, timeout=300):
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "maddpg.tf1", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _launch_in_turn(runs, cwd, timeout=300):
    """{label: (status, stdout, stderr)} of the launcher's main run on each argv in turn, in one
    process (one TensorFlow import for several runs)."""
    probe = textwrap.dedent("""
        import json, sys
        from maddpg.tf1 import main
        for label, argv in json.loads(sys.argv[1]):
            for stream in (sys.stdout, sys.stderr):
                print('=== ' + label, file=stream, flush=True)
            try:
                status = main(argv)
            except SystemExit as e:
                status = e.code
            print('=== status %s' % status, flush=True)
    """)
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    out = subprocess.run([sys.executable, "-c", probe, json.dumps([[k, list(map(str, v))] for k, v in runs.items()])],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    results = {}
    stdouts = out.stdout.split("=== ")[1:]
    stderrs = dict(part.split("\n", 1) for part in out.stderr.split("=== ")[1:])
    for label in runs:
        text = next(part for part in stdouts if part.startswith(label + "\n"))
        status_part = stdouts[stdouts.index(text) + 1]
        results[label] = (int(status_part.split()[1]), text[len(label) + 1:], stderrs.get(label, ""))
    return results


def test_tf1_style_train_py_trains_restores_displays_and_benchmarks(tmp_path):
    # the original's output folders, relative to the working directory (it creates none itself)
    (tmp_path / "learning_curves").mkdir()
    (tmp_path / "benchmark_files").mkdir()
    common = ["--scenario", "simple", "--max-episode-len", "5", "--batch-size", "4", "--num-units", "16",
              "--save-dir", str(tmp_path / "policy") + "/", "--exp-name", "tf1"]
    # the command line itself, as a user runs it
    train = _launch([SCRIPT, "--num-episodes", "30", "--save-rate", "10", *common], tmp_path)
    assert train.returncode == 0, train.stderr[-3000:]
    lines = [l for l in train.stdout.splitlines() if l.startswith("steps:")]
    assert len(lines) == 3 and lines[0].startswith("steps: 45, episodes: 10, mean episode reward: ")
    assert train.stdout.rstrip().endswith("...Finished total of 31 episodes.")
    assert len(fileio.read_data_pickle(tmp_path / "learning_curves" / "tf1_rewards.pkl")) == 3
    assert (tmp_path / "policy" / ".index").exists() and (tmp_path / "policy" / "checkpoint").exists()

    wider = [a if a != "16" else "32" for a in common]
    runs = _launch_in_turn({
        "restore": [SCRIPT, "--restore", "--num-episodes", "10", "--save-rate", "5", *common],
        "misfit": [SCRIPT, "--restore", "--num-episodes", "10", *wider],
        "display": ["--display-frames", "6", "--display-file", tmp_path / "show.gif", SCRIPT, "--display", *common],
        "benchmark": [SCRIPT, "--benchmark", "--benchmark-iters", "12", *common],
    }, tmp_path)
    status, out, err = runs["restore"]
    assert status == 0, err[-3000:]
    assert "Loading previous state..." in out and "...Finished total of 11 episodes." in out
    # the restore reads the checkpoint: a network of another width does not fit it
    status, out, err = runs["misfit"]
    assert status == 2
    assert err.strip().startswith("maddpg-tf1: load_state: variable agent_0/")
    assert len(err.strip().splitlines()) == 1 and "shape [4, 16]" in err

    status, out, err = runs["display"]
    assert status == 0, err[-3000:]
    assert "No display available: wrote 6 frames to" in out
    import imageio.v3 as iio
    assert iio.imread(tmp_path / "show.gif", index=None).shape == (6, 700, 700, 3)

    status, out, err = runs["benchmark"]
    assert status == 0, err[-3000:]
    assert "Finished benchmarking, now saving..." in out
    episodes = fileio.read_data_pickle(tmp_path / "benchmark_files" / "tf1.pkl")
    assert [len(episode[0]) for episode in episodes] == [4, 5, 5]  # the original's layout and quirk


def test_names_the_launcher_does_not_provide_stop_with_one_line(tmp_path):
    cases = {
        "placeholder.py": ("import tensorflow as tf\nx = tf.placeholder(tf.float32, [None, 4])\n",
                           "tf.placeholder is not provided by maddpg-tf2's TF1 launcher: TensorFlow 2 runs eagerly"),
        "rnn.py": ("import tensorflow as tf\ncell = tf.contrib.rnn.LSTMCell(8)\n",
                   "tf.contrib.rnn is not provided by maddpg-tf2's TF1 launcher: tf.contrib was removed"),
        "slim.py": ("import tensorflow.contrib.slim as slim\n",
                    "tf.contrib.slim is not provided by maddpg-tf2's TF1 launcher"),
        "conv.py": ("import tensorflow.contrib.layers as layers\nlayers.conv2d\n",
                    "tf.contrib.layers.conv2d is not provided by maddpg-tf2's TF1 launcher: TensorFlow 2 "
                    "removed it and the launcher provides only tf.contrib.layers, tf.variable_scope"),
    }
    for name, (code, message) in cases.items():
        (tmp_path / name).write_text(code)
    # one process for all: each script in turn through the launcher's main
    probe = textwrap.dedent("""
        import sys
        from maddpg.tf1 import main
        for name in sys.argv[1:]:
            try:
                print(name, main([name]))
            except SystemExit as e:
                print(name, 'exit', e.code)
    """)
    out = subprocess.run([sys.executable, "-c", probe, *cases], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == [w for name in cases for w in (name, "2")]
    errors = [l for l in out.stderr.splitlines() if l.startswith("maddpg-tf1: ")]
    assert len(errors) == len(cases)
    for line, (_, message) in zip(errors, cases.values()):
        assert line.startswith("maddpg-tf1: " + message), line
    missing = _launch(["nowhere.py"], tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("maddpg-tf1: no script at nowhere.py")
    # a copy of the original's package beside the script: plain Python would run its TF1 code
    (tmp_path / "fork" / "maddpg").mkdir(parents=True)
    (tmp_path / "fork" / "maddpg" / "__init__.py").write_text("")
    (tmp_path / "fork" / "train.py").write_text("print('ran')\n")
    fork = _launch(["fork/train.py"], tmp_path)
    assert fork.returncode == 2 and "ran" not in fork.stdout
    assert fork.stderr.startswith("maddpg-tf1: %s is a maddpg package of its own" % (tmp_path / "fork" / "maddpg"))


def test_plain_import_of_maddpg_changes_nothing_in_tensorflow():
    probe = ("import sys, maddpg, maddpg.common.tf_util, maddpg.trainer.maddpg, maddpg.tf1; "
             "import tensorflow as tf; "
             "print(hasattr(tf, 'variable_scope'), hasattr(tf, 'contrib'), 'tensorflow.contrib' in sys.modules, "
             "hasattr(tf.train, 'Saver'), hasattr(tf, 'set_random_seed'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["False"] * 5
