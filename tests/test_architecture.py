"""The floors of the house (docs/contributing.md), checked on the import graph of maddpg_tf2/ and compat/.

The graph is read with `ast` from the source, imports inside functions included (a lazy import
still ties two modules together), so it needs neither TensorFlow nor Ray. Every failure prints the
offending edges as `importer -> imported (file:line)`.
"""
from __future__ import annotations

import ast
import os
from collections import defaultdict
from typing import Dict, List, NamedTuple, Optional, Set

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where each tree's modules are importable from: maddpg_tf2 from the repository root, the original's
# packages (maddpg, multiagent, make_env) from compat/.
SOURCES = {"maddpg_tf2": ROOT, "compat": os.path.join(ROOT, "compat")}


class Edge(NamedTuple):
    importer: str
    imported: str  # a project module
    name: Optional[str]  # the name taken from it (`from m import name`), None for `import m`
    path: str
    line: int

    def __str__(self):
        what = f"{self.imported}.{self.name}" if self.name else self.imported
        return f"{self.importer} -> {what} ({self.path}:{self.line})"


class Attr(NamedTuple):
    """`module.attribute` read through an imported module object."""
    importer: str
    module: str
    attr: str
    path: str
    line: int

    def __str__(self):
        return f"{self.importer} uses {self.module}.{self.attr} ({self.path}:{self.line})"


def _modules() -> Dict[str, str]:
    """Module name -> file path (relative to the repository root) of every project module."""
    out = {}
    for tree, base in (("maddpg_tf2", ROOT), ("compat", os.path.join(ROOT, "compat"))):
        top = os.path.join(ROOT, tree)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for f in sorted(filenames):
                if not f.endswith(".py"):
                    continue
                path = os.path.join(dirpath, f)
                parts = os.path.relpath(path, base)[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                out[".".join(parts)] = os.path.relpath(path, ROOT)
    return out


MODULES = _modules()


def tree_of(module: str) -> str:
    return "maddpg_tf2" if module.split(".")[0] == "maddpg_tf2" else "compat"


def _resolve(modules: Dict[str, str], importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = modules[importer].endswith("__init__.py")
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _dotted(node: ast.AST) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id] + parts[::-1])


def scan(modules: Dict[str, str], sources: Dict[str, str]):
    """(import edges between the modules, `module._name` reads through imported modules).

    modules: name -> path (a package's path ends in __init__.py); sources: name -> source text."""
    MODULES = modules
    edges: List[Edge] = []
    attrs: List[Attr] = []
    for mod, path in MODULES.items():
        tree = ast.parse(sources[mod], path)
        aliases: Dict[str, str] = {}  # local name -> project module bound to it
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    target = a.name
                    while target and target not in MODULES:
                        target = target.rpartition(".")[0]
                    if target:
                        edges.append(Edge(mod, target, None, path, node.lineno))
                    if a.asname and a.name in MODULES:
                        aliases[a.asname] = a.name
                    elif not a.asname:
                        top = a.name.split(".")[0]
                        if top in MODULES:
                            aliases[top] = top
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(MODULES, mod, node)
                for a in node.names:
                    sub = f"{source}.{a.name}"
                    if sub in MODULES:  # `from package import module`
                        edges.append(Edge(mod, sub, None, path, node.lineno))
                        aliases[a.asname or a.name] = sub
                    elif source in MODULES:
                        edges.append(Edge(mod, source, a.name, path, node.lineno))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                dotted = _dotted(node.value)
                if dotted is None:
                    continue
                head, _, rest = dotted.partition(".")
                if head not in aliases:
                    continue
                target = ".".join([aliases[head]] + ([rest] if rest else []))
                if target in MODULES and target != mod:
                    attrs.append(Attr(mod, target, node.attr, path, node.lineno))
    return edges, attrs


def _read_all() -> Dict[str, str]:
    out = {}
    for mod, path in MODULES.items():
        with open(os.path.join(ROOT, path)) as f:
            out[mod] = f.read()
    return out


SOURCES_TEXT = _read_all()
EDGES, ATTRS = scan(MODULES, SOURCES_TEXT)


def circles(edges: List[Edge]) -> List[Edge]:
    """The edges that lie on an import circle (within one strongly connected component)."""
    graph: Dict[str, Set[str]] = defaultdict(set)
    for e in edges:
        if e.imported != e.importer:
            graph[e.importer].add(e.imported)
    nodes = sorted(set(graph) | {w for ws in graph.values() for w in ws})
    # Tarjan's strongly connected components.
    index, low, stack, on_stack, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(comp)

    for v in nodes:
        if v not in index:
            visit(v)
    return [e for comp in sccs for e in edges if e.importer in comp and e.imported in comp and e.importer != e.imported]


def private_uses(edges: List[Edge], attrs: List[Attr]) -> List:
    """`from m import _name` across modules, and `m._name` reads through an imported module m."""
    bad = [e for e in edges if e.name and e.name.startswith("_") and not e.name.startswith("__")
           and e.importer != e.imported]
    return bad + list(attrs)


def _fail(what: str, bad: List) -> None:
    if bad:
        pytest.fail(f"{what}:\n  " + "\n  ".join(sorted({str(b) for b in bad})), pytrace=False)


def _in(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


# ----------------------------------------------------------------------------- the floors

GROUND = ["maddpg_tf2.errors", "maddpg_tf2.notes", "maddpg_tf2.config", "maddpg_tf2.fileio", "maddpg_tf2.replay",
          "maddpg_tf2.checkpoint", "maddpg_tf2.logging", "maddpg_tf2.seeding", "maddpg_tf2.quiet_import",
          "maddpg_tf2.tf_threads", "maddpg_tf2.episode_snapshot", "maddpg_tf2.plot",
          "maddpg_tf2.stop_signals", "maddpg_tf2.tracking"]
KERNEL = ["maddpg_tf2.kernel", "maddpg_tf2.networks", "maddpg_tf2.distributions", "maddpg_tf2.estimators"]
UPDATE_RULES = ["maddpg_tf2.sequential", "maddpg_tf2.simultaneous", "maddpg_tf2.ensembles", "maddpg_tf2.inference"]
LEARNING = KERNEL + UPDATE_RULES + ["maddpg_tf2.learner", "maddpg_tf2.loop", "maddpg_tf2.collectors",
                                    "maddpg_tf2.distributed", "maddpg_tf2.api", "maddpg_tf2.agents",
                                    "maddpg_tf2.policy", "maddpg_tf2.grad_variance"]
# The one door from the library into compat/: a user's object-style scenario file is written against
# the original's `multiagent` package (core, scenario, environment), so loading and running it needs
# that package. Only the env factory may open it.
COMPAT_DOOR = {("maddpg_tf2.envs.make", "multiagent.scenarios"), ("maddpg_tf2.envs.make", "multiagent.environment")}


def test_the_floors_are_what_the_test_knows():
    """Every module named in a floor exists: a rename must update this test, not silently pass it."""
    missing = [m for m in GROUND + KERNEL + UPDATE_RULES if m not in MODULES]
    assert not missing, f"modules named in tests/test_architecture.py that do not exist: {missing}"


def test_no_import_circles():
    _fail("import circles (each edge below lies on one)", circles(EDGES))


def test_the_library_does_not_import_compat():
    bad = [e for e in EDGES if tree_of(e.importer) == "maddpg_tf2" and tree_of(e.imported) == "compat"
           and (e.importer, e.imported) not in COMPAT_DOOR]
    _fail("maddpg_tf2/ imports compat/ (only the env factory may, for users' scenario files)", bad)


def test_no_underscore_names_across_modules():
    _fail("modules reach into another module's private names", private_uses(EDGES, ATTRS))


def test_kernel_and_update_rules_import_neither_loop_nor_ray():
    above = ["maddpg_tf2.loop", "maddpg_tf2.collectors", "maddpg_tf2.distributed", "maddpg_tf2.learner",
             "maddpg_tf2.api", "maddpg_tf2.cli", "maddpg_tf2.playback"]
    bad = [e for e in EDGES if _in(e.importer, *KERNEL, *UPDATE_RULES) and _in(e.imported, *above)]
    _fail("the kernel or an update rule imports the loop, the learner facade or the distributed code", bad)
    ray = []
    for mod in MODULES:
        if _in(mod, *KERNEL, *UPDATE_RULES):
            for node in ast.walk(ast.parse(SOURCES_TEXT[mod])):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                ray += [f"{mod} imports {n} ({MODULES[mod]}:{node.lineno})" for n in names
                        if n.split(".")[0] == "ray"]
    _fail("the kernel or an update rule imports Ray", ray)


def test_update_rules_import_nothing_from_each_other():
    bad = [e for e in EDGES if e.importer in UPDATE_RULES and e.imported in UPDATE_RULES and e.importer != e.imported]
    _fail("update rules import each other (each builds on the kernel alone)", bad)


def test_envs_import_no_learning():
    bad = [e for e in EDGES if _in(e.importer, "maddpg_tf2.envs") and _in(e.imported, *LEARNING)]
    _fail("envs/ imports learning code", bad)


def test_the_ground_imports_nothing_above_it():
    bad = [e for e in EDGES if _in(e.importer, *GROUND) and not _in(e.imported, *GROUND)]
    _fail("the ground floor imports from a floor above it", bad)


def test_the_checker_finds_circles_and_private_names_in_a_made_up_tree():
    """The scan on a small invented project: a lazy import inside a function closes a circle, a
    relative import resolves, and both kinds of private use are seen (so the tests above can fail)."""
    modules = {"pkg": "pkg/__init__.py", "pkg.a": "pkg/a.py", "pkg.b": "pkg/b.py", "pkg.c": "pkg/c.py"}
    sources = {
        "pkg": "",
        "pkg.a": "import pkg.c as c\n\ndef f():\n    from pkg.b import _hidden\n    return c._secret\n",
        "pkg.b": "from .a import f\n_hidden = 1\n",
        "pkg.c": "_secret = 2\nfrom . import b\n",
    }
    edges, attrs = scan(modules, sources)
    assert {(e.importer, e.imported) for e in circles(edges)} == {("pkg.a", "pkg.b"), ("pkg.b", "pkg.a"),
                                                                 ("pkg.a", "pkg.c"), ("pkg.c", "pkg.b")}
    found = {str(x).split(" (")[0] for x in private_uses(edges, attrs)}
    assert found == {"pkg.a -> pkg.b._hidden", "pkg.a uses pkg.c._secret"}
    # Without c's import of b only the circle through the lazy import (a <-> b) is left.
    sources["pkg.c"] = "_secret = 2\n"
    edges, _ = scan(modules, sources)
    assert {(e.importer, e.imported) for e in circles(edges)} == {("pkg.a", "pkg.b"), ("pkg.b", "pkg.a")}
