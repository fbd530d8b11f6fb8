"""Learning-curve plots: `plot_curves` for the logger, and the `maddpg-plot` command.

`maddpg-plot RUN_rewards.pkl [more.pkl ...] [-o out.png] [--save-rate 1000] [--labels ...]
[--smooth N]` draws one or several runs' `_rewards.pkl` curves (the original's flat list of
mean episode rewards, one per save) on one figure, episodes on x.
"""
from __future__ import annotations

import argparse
import os
import sys
from numbers import Real
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from maddpg_tf2 import fileio
from maddpg_tf2.errors import CurveFileError, UserError

# Never open a window, even when a display is around: figures are files here.
os.environ.setdefault("MPLBACKEND", "Agg")


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing moving average; the first points average what exists so far (length kept)."""
    y = np.asarray(values, dtype=np.float64)
    if window <= 1 or y.size == 0:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(1, y.size + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def plot_curves(curves: Mapping[str, Sequence[float]], save_rate: int, path, title: Optional[str] = None,
                smooth_window: int = 1, episodes: Optional[Mapping[str, Sequence[int]]] = None) -> str:
    """Draw curves (label -> mean episode reward per save) into a PNG at `path`, atomically.

    x is (index + 1) * save_rate, as the original records one point per save, unless `episodes`
    gives a label's exact episode counts. Returns the path written.
    """
    # Figure + Agg canvas directly: no pyplot state, no backend choice, safe in threads.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for label, values in curves.items():
        y = smooth(values, smooth_window)
        if episodes is not None and label in episodes:
            x = np.asarray(episodes[label], dtype=np.float64)
        else:
            x = (np.arange(y.size) + 1) * save_rate
        ax.plot(x, y, label=label, marker="." if y.size < 30 else None)
    ax.set_xlabel("episodes")
    ax.set_ylabel("mean episode reward" + (" (smoothed over {})".format(smooth_window)
                                           if smooth_window > 1 else ""))
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if len(curves) > 1:
        ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    with fileio.atomic_path(path) as tmp:
        fig.savefig(tmp, format=image_format(path))  # the temp name has no suffix: say the format
    return os.fspath(path)


FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".pdf": "pdf", ".svg": "svg"}


def image_format(path) -> str:
    """The image format an output path's extension asks for (a CurveFileError for any other)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in FORMATS:
        raise CurveFileError("{}: unknown image extension {!r}; use one of {}".format(
            path, ext, ", ".join(sorted(FORMATS))))
    return FORMATS[ext]


def load_curve(path) -> list:
    """Read one `_rewards.pkl`, admitting data only (`fileio.read_data_pickle`: anything else is an
    UntrustedPickleError, since pickles can run code)."""
    if os.fspath(path).endswith("_agrewards.pkl"):
        raise CurveFileError("{}: this is the per-agent file (saves x agents, flat), not a reward curve; "
                             "pass the run's _rewards.pkl".format(path))
    try:
        data = fileio.read_data_pickle(path)
    except UserError:
        raise
    except FileNotFoundError:
        raise CurveFileError("{}: no such file".format(path)) from None
    except Exception as e:  # unpickling fails in many ways; all mean the same to the user
        raise CurveFileError("{}: cannot read a pickle ({}: {})".format(
            path, type(e).__name__, e)) from None
    if isinstance(data, np.ndarray) and data.ndim == 1:
        data = data.tolist()
    if not isinstance(data, (list, tuple)):
        raise CurveFileError("{}: expected a list of mean rewards, found {}".format(
            path, type(data).__name__))
    if not data:
        raise CurveFileError("{}: the curve is empty (no save happened yet)".format(path))
    bad = [v for v in data if isinstance(v, bool) or not isinstance(v, (Real, np.number))]
    if bad:
        raise CurveFileError("{}: expected numbers, found {!r}".format(path, bad[0]))
    return [float(v) for v in data]


def default_label(path) -> str:
    stem = os.path.basename(os.fspath(path))
    for suffix in (".pkl", "_rewards"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="maddpg-plot",
        description="Plot learning curves from one or more <exp-name>_rewards.pkl files.")
    p.add_argument("files", nargs="+", help="_rewards.pkl files written by training")
    p.add_argument("-o", "--output", default=None,
                   help="image to write, .png, .jpg, .pdf or .svg (default: <label>_plot.png beside a "
                        "single input, so training's own _curve.png stays, curves.png beside the first of several)")
    p.add_argument("--save-rate", type=int, default=1000,
                   help="episodes between curve points, the run's --save-rate (default 1000)")
    p.add_argument("--labels", nargs="+", default=None, help="one legend label per file")
    p.add_argument("--smooth", type=int, default=1, help="moving-average window in points (default 1: none)")
    p.add_argument("--title", default=None)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)

    def fail(msg: str) -> int:
        sys.stderr.write("maddpg-plot: error: {}\n".format(msg))
        return 2

    if args.save_rate <= 0:
        return fail("--save-rate must be positive")
    if args.smooth <= 0:
        return fail("--smooth must be positive")
    labels = args.labels or [default_label(f) for f in args.files]
    if len(labels) != len(args.files):
        return fail("{} labels for {} files".format(len(labels), len(args.files)))
    curves: Dict[str, list] = {}
    for label, path in zip(labels, args.files):
        try:
            curves[label] = load_curve(path)
        except UserError as e:
            return fail(str(e))
    if len(curves) != len(args.files):  # a repeated label would silently drop a run
        return fail("labels must be distinct: {}".format(", ".join(labels)))

    out = args.output
    if out is None:
        folder = os.path.dirname(os.path.abspath(args.files[0]))
        name = labels[0] + "_plot.png" if len(labels) == 1 else "curves.png"
        out = os.path.join(folder, name)
    try:
        image_format(out)
        plot_curves(curves, args.save_rate, out, title=args.title, smooth_window=args.smooth)
    except CurveFileError as e:
        return fail(str(e))
    except OSError as e:
        return fail("cannot write {}: {}".format(out, e.strerror or e))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
