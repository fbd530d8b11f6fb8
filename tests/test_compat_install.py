"""The `maddpg` compatibility package as a regular (non-editable) install sees it: a wheel of this
project in a fresh virtual environment (TensorFlow and the rest from the system's site-packages),
driven from a user's folder as a user would."""
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def _env_without_checkouts():
    """The test run's environment minus PYTHONPATH (which puts a checkout's compat/ first)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python, bin folder) of a venv holding a wheel of this checkout (no editable install)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    # Build from a copy: building in place would write build/ and *.egg-info into the checkout.
    src.mkdir()
    for name in ("setup.py", "README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("maddpg_tf2", "compat"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    env = _env_without_checkouts()
    run = lambda *cmd: subprocess.run(cmd, cwd=base, env=env, capture_output=True, text=True, timeout=300)
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                "-w", str(base / "dist"), str(src))
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((base / "dist").glob("maddpg_tf2-*.whl"))
    venv = base / "venv"
    made = run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv))
    assert made.returncode == 0, made.stderr[-2000:]
    python = venv / "bin" / "python"
    _see_the_running_pythons_packages(python)
    # the system's pip installs into the venv when run by the venv's python (no pip in the venv)
    inst = run(str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel))
    assert inst.returncode == 0, inst.stderr[-2000:]
    return python, venv


def _see_the_running_pythons_packages(python):
    """The new venv sees the packages of the Python running the tests, also when that Python is itself
    a venv: --system-site-packages only adds the base interpreter's site-packages. A .pth file lists
    the running Python's site-packages after the new venv's own (plain paths: their .pth files, such
    as an editable install of this checkout, stay out, so the wheel is what `maddpg` imports)."""
    import site

    probe = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                           capture_output=True, text=True, timeout=60, env=_env_without_checkouts())
    assert probe.returncode == 0, probe.stderr[-2000:]
    ours = pathlib.Path(probe.stdout.strip())
    theirs = [p for p in site.getsitepackages() if os.path.isdir(p) and pathlib.Path(p) != ours]
    (ours / "zz_running_python.pth").write_text("".join(p + "\n" for p in theirs))


def _run(python, args, cwd, timeout=300):
    return subprocess.run([str(python), *args], cwd=cwd, env=_env_without_checkouts(),
                          capture_output=True, text=True, timeout=timeout)


def _pytorch_port_layout(folder):
    """A PyTorch-port layout: maddpg/maddpg.py and maddpg/utils.py without __init__.py, a partial
    maddpg/trainer/ folder, and main.py at its root using them with the package's own modules."""
    (folder / "maddpg" / "trainer").mkdir(parents=True)  # a partial folder of the same name merges too
    (folder / "maddpg" / "maddpg.py").write_text("class MADDPG:\n    where = 'user'\n")
    (folder / "maddpg" / "utils.py").write_text("def helper():\n    return 42\n")
    (folder / "maddpg" / "trainer" / "extra.py").write_text("VALUE = 'user trainer module'\n")
    (folder / "main.py").write_text(textwrap.dedent("""
        import maddpg
        from maddpg.maddpg import MADDPG
        from maddpg.utils import helper
        import maddpg.common.tf_util as U
        from maddpg.trainer.maddpg import MADDPGAgentTrainer
        from maddpg.trainer.extra import VALUE
        from maddpg import AgentTrainer
        print(MADDPG.where, helper(), VALUE, issubclass(MADDPGAgentTrainer, AgentTrainer))
        print(maddpg.__file__)
        print(maddpg.maddpg.__file__)
        print(U.__file__)
    """))


def test_user_maddpg_folder_joins_the_installed_package(installed, tmp_path):
    """Run from the fork's root, beside the installed package's maddpg.common and maddpg.trainer."""
    python, venv = installed
    _pytorch_port_layout(tmp_path)
    out = _run(python, ["main.py"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    first, package, user_module, tf_util = out.stdout.strip().splitlines()[-4:]
    assert first == "user 42 user trainer module True"
    assert package.startswith(str(venv)), package  # the wheel, not an editable checkout
    assert user_module == str(tmp_path / "maddpg" / "maddpg.py")
    assert tf_util.startswith(str(venv)) and tf_util.endswith("maddpg/common/tf_util.py")


def test_user_maddpg_folder_with_this_checkouts_own_install(tmp_path):
    """The same with the install the test run uses (README's `pip install -e .`: an editable install,
    whose import finder comes after the fork's folder, so the folder first becomes a namespace
    package that `maddpg.common` then turns into this package)."""
    probe = _run(sys.executable, ["-c", "import maddpg_tf2, maddpg.common"], tmp_path)
    if probe.returncode != 0:
        pytest.skip("this checkout is not installed (pip install -e .)")
    _pytorch_port_layout(tmp_path)
    out = _run(sys.executable, ["main.py"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    first, package, user_module, tf_util = out.stdout.strip().splitlines()[-4:]
    assert first == "user 42 user trainer module True"
    assert package.endswith(os.path.join("maddpg", "__init__.py")) and str(tmp_path) not in package
    assert user_module == str(tmp_path / "maddpg" / "maddpg.py")
    assert tf_util.endswith(os.path.join("maddpg", "common", "tf_util.py")) and str(tmp_path) not in tf_util


def test_user_folder_via_pythonpath_and_module_of_the_same_name(installed, tmp_path):
    """PYTHONPATH puts the user's folder first; its modules win over the package's of the same name,
    and the package without a user folder is the original's layout."""
    python, venv = installed
    fork = tmp_path / "fork"
    (fork / "maddpg" / "common").mkdir(parents=True)
    (fork / "maddpg" / "common" / "distributions.py").write_text("WHO = 'user distributions'\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = ("import maddpg.common.distributions as d, maddpg.common.tf_util as U; "
             "print(d.WHO, U.__name__, U.__file__.startswith(%r))" % str(venv))
    env = dict(_env_without_checkouts(), PYTHONPATH=str(fork))
    out = subprocess.run([str(python), "-c", probe], cwd=elsewhere, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["user", "distributions", "maddpg.common.tf_util", "True"]
    plain = _run(python, ["-c", "import maddpg; from maddpg import AgentTrainer; print(maddpg.__path__)"],
                 elsewhere)
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert plain.stdout.strip() == str([str(venv / "lib" / ("python%d.%d" % sys.version_info[:2])
                                            / "site-packages" / "maddpg")])


def test_tf1_launcher_console_script_with_a_user_folder_beside_the_script(installed, tmp_path):
    """`maddpg-tf1 project/run.py` from another folder: the script's folder comes first on sys.path
    (its maddpg/ folder joins the package) and TF1's names are there."""
    python, venv = installed
    project = tmp_path / "project"
    (project / "maddpg").mkdir(parents=True)
    (project / "maddpg" / "maddpg.py").write_text("WHO = 'user'\n")
    (project / "run.py").write_text(textwrap.dedent("""
        import sys
        import tensorflow as tf
        import tensorflow.contrib.layers as layers
        from maddpg.maddpg import WHO
        import maddpg.common.tf_util as U
        print(WHO, layers.fully_connected.__module__, tf.train.Saver is U.Saver, sys.argv[1:])
    """))
    out = _run(venv / "bin" / "maddpg-tf1", ["project/run.py", "--flag", "x"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "user maddpg.common.layers True ['--flag', 'x']"
