"""The guide cannot drift from the code: its getting-started commands run, it builds strictly, and
README's links into it resolve.

docs/getting-started.md marks what is checked with HTML comments (invisible on the rendered page):
`<!-- run -->` before a ```bash block: the test runs it, in page order, in one empty folder;
`<!-- stdout -->` before a ```text block: lines the run block before it prints on stdout, in this
order (every number in such a line stands for any number: rewards and times vary);
`<!-- files -->` before a ```text block: paths, relative to that folder, that exist afterwards,
and every file the run block before it created (a list that leaves out a file the command writes,
say the checkpoint's weights, fails).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from installed_scripts import console_script, path_with_bin_dir

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "getting-started.md"
MARKED = re.compile(r"<!-- (run|stdout|files) -->\s*\n```(\w+)\n(.*?)```", re.S)
NUMBER = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"


def marked_blocks(text):
    """[(kind, language, body)] of the marked blocks, in page order."""
    return [(m.group(1), m.group(2), m.group(3)) for m in MARKED.finditer(text)]


def line_pattern(expected: str) -> re.Pattern:
    """A regex for one expected stdout line, any number standing for any number."""
    parts = re.split(NUMBER, expected.strip())
    return re.compile("^" + NUMBER.join(re.escape(p) for p in parts) + "$")


def assert_lines_in_order(expected_block: str, stdout: str, command: str):
    lines = stdout.splitlines()
    at = 0
    for expected in filter(str.strip, expected_block.splitlines()):
        pattern = line_pattern(expected)
        while at < len(lines) and not pattern.match(lines[at].strip()):
            at += 1
        assert at < len(lines), f"`{command}` did not print {expected!r} (in order); stdout:\n{stdout}"
        at += 1


def docs_env():
    env = dict(os.environ)
    # this checkout first (the package may be installed from another one), quiet TensorFlow, no window
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "compat"), env.get("PYTHONPATH", "")])
    env.update(TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg")
    env["PATH"] = path_with_bin_dir(env.get("PATH", ""))  # the running Python's scripts, activated or not
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def test_marked_blocks_parse():
    """The markers are found: a page edit that breaks them must not silently turn the test off."""
    kinds = [kind for kind, _, _ in marked_blocks(PAGE.read_text(encoding="utf-8"))]
    assert kinds.count("run") >= 3 and "stdout" in kinds and "files" in kinds
    assert kinds[0] == "run"
    assert line_pattern("steps: 3200, episodes: 100, mean episode reward: -679.39, time: 0.836").match(
        "steps: 6400, episodes: 200, mean episode reward: -12.5, time: 1e-05")
    assert not line_pattern("...Finished total of 201 episodes.").match("...Finished total of episodes.")


@pytest.mark.skipif(console_script("maddpg-train") is None or console_script("maddpg-plot") is None,
                    reason="the console scripts are not installed (pip install -e .)")
def test_getting_started_blocks_run(tmp_path):
    env = docs_env()
    last_command, last_stdout = None, None
    before = set()
    for kind, lang, body in marked_blocks(PAGE.read_text(encoding="utf-8")):
        if kind == "run":
            before = {p for p in tmp_path.rglob("*") if p.is_file()}
            assert lang == "bash", f"a run block must be bash, not {lang}"
            proc = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, f"`{body.strip()}` exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            assert "Traceback" not in proc.stderr, proc.stderr
            last_command, last_stdout = body.strip(), proc.stdout
        elif kind == "stdout":
            assert last_stdout is not None, "a stdout block before any run block"
            assert_lines_in_order(body, last_stdout, last_command)
        else:
            listed = [rel.strip() for rel in body.splitlines() if rel.strip()]
            for rel in listed:
                path = tmp_path / rel
                assert path.is_file() and path.stat().st_size > 0, f"`{last_command}` did not write {rel}"
            created = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()} - \
                {p.relative_to(tmp_path).as_posix() for p in before}
            assert not created - set(listed), f"`{last_command}` also wrote {sorted(created - set(listed))}"


def test_guide_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e \".[docs]\")")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings is not installed (pip install -e \".[docs]\")")
    pytest.importorskip("material", reason="mkdocs-material is not installed (pip install -e \".[docs]\")")
    env = docs_env()
    env["NO_MKDOCS_2_WARNING"] = "1"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "getting-started" / "index.html").is_file()
    # the API reference is generated from the docstrings, not empty pages
    config_page = (tmp_path / "site" / "reference" / "config" / "index.html").read_text(encoding="utf-8")
    assert "num_episodes" in config_page and "Training stops once" in config_page


def test_readme_links_resolve():
    """Every relative link of README names an existing file; those into docs/ name pages of the nav."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = [link for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme) if "://" not in link]
    assert sum(link.startswith("docs/") for link in links) >= 10, "README links into the guide"
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for link in links:
        assert (ROOT / link).is_file(), f"README links {link}, which does not exist"
        if link.startswith("docs/"):
            assert f": {link[len('docs/'):]}" in nav, f"README links {link}, which is not in mkdocs.yml's nav"


def test_readme_starts_with_the_two_commands():
    """CI reads the test command from README; the install-and-train command comes first."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1).splitlines()
    assert block[:2] == ['pip install -e ".[test]" && maddpg-train --scenario simple_spread --exp-name spread',
                         'python3 -m pytest -q -m "not slow"']
    assert len(readme.splitlines()) <= 160


def test_every_flag_is_in_the_guide():
    """A flag added to the command line without a line in the guide fails here."""
    from maddpg_tf2.cli import build_parser

    guide = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", build_parser().format_help())) - {"--help"}
    assert len(flags) > 50
    missing = sorted(f for f in flags if not re.search(r"`" + re.escape(f) + r"(?![\w-])", guide))
    assert not missing, f"flags not documented in docs/*.md: {missing}"
