"""MkDocs hook: serve benchmarks/*.md and their figures as pages of the guide, from where they live.

The benchmark reports stay in benchmarks/ beside the scripts that produce them (README and the
scripts link them there); the guide shows the same files rather than a copy that could drift.
"""
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = ("benchmarks/*.md", "benchmarks/*.png", "benchmarks/paper/*.png", "benchmarks/paper/**/*.png")


def on_files(files, config):
    seen = set()
    for pattern in PATTERNS:
        for path in sorted(ROOT.glob(pattern)):
            rel = path.relative_to(ROOT).as_posix()
            if rel in seen:
                continue
            seen.add(rel)
            files.append(File(rel, src_dir=str(ROOT), dest_dir=config["site_dir"],
                              use_directory_urls=config["use_directory_urls"]))
    return files
