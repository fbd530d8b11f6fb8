"""Where the tests find the package's console scripts: beside the Python running them (where pip puts
them, whether or not that Python's virtual environment is activated), else on PATH."""
import os
import shutil
import sys


def bin_dir() -> str:
    """The folder of the running Python (not resolved: a venv's python is a link into the base)."""
    return os.path.dirname(sys.executable)


def console_script(name: str):
    """The path of console script `name` of the running Python's install, or None."""
    here = os.path.join(bin_dir(), name)
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    return shutil.which(name)


def path_with_bin_dir(path: str) -> str:
    """PATH with the running Python's folder first, so that commands run through a shell find the
    same install's scripts."""
    return os.pathsep.join([bin_dir()] + [p for p in path.split(os.pathsep) if p])
