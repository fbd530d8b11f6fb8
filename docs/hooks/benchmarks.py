"""MkDocs hook: pages of the guide that live outside docs/, served from where they are.

- The home page is README.md, its links into docs/ made relative to the guide: one front door, not
  two copies that drift apart.
- The benchmark reports stay in benchmarks/ beside the scripts that produce them (README and the
  scripts link them there); the guide shows the same files with their figures.
"""
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = ("benchmarks/*.md", "benchmarks/*.png", "benchmarks/paper/*.png", "benchmarks/paper/**/*.png",
            "benchmarks/family/*.png")


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
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "index.md", content=re.sub(r"\]\(docs/", "](", readme)))
    return files
