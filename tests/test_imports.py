"""The import graph of `ganlab/` has no cycle.

Every `import` and `from ... import` in every module (at module level or inside a
function) is an edge; the families import the leaf `ganlab.registry` and
`ganlab.variants` imports the families, so with no cycle any module can be imported
first and no family reads a half-initialised one.
"""

import ast
from pathlib import Path

import ganlab

ROOT = Path(ganlab.__file__).resolve().parent


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the ganlab modules it imports (its own package's __init__ included)."""
    mods = {_module(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    target = base + ("." + node.module if node.module else "")
                else:
                    target = node.module or ""
                for alias in node.names:  # `from . import x` names a module x
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if sub in mods else target)
            elif isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None: depth-first search."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_find_cycle_sees_a_cycle_and_a_dag():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_graph_reads_relative_and_absolute_imports():
    g = import_graph()
    assert "ganlab.registry" in g["ganlab.collapse"]  # from .registry import ...
    assert "ganlab.collapse" in g["ganlab.variants"]  # from . import collapse as _collapse
    assert "ganlab.metrics._checks" in g["ganlab.metrics.fid"]  # from ._checks import ...


def test_ganlab_import_graph_is_acyclic():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_registry_is_a_leaf_that_names_no_family():
    g = import_graph()
    families = {m for m, deps in g.items() if "ganlab.registry" in deps} - {"ganlab.variants"}
    assert {"ganlab.collapse", "ganlab.style", "ganlab.translation", "ganlab.vqgan"} <= families

    def reach(v, seen):
        for w in g[v]:
            if w not in seen:
                seen.add(w)
                reach(w, seen)
        return seen

    assert not reach("ganlab.registry", set()) & (families | {"ganlab.variants"})


def test_one_family_imported_alone_still_finds_every_variant():
    """A fresh interpreter that imports only `ganlab.inference` builds BigGAN (registered by
    `ganlab.attention`) and reads CycleGAN's declared data kind (declared in `variants`)."""
    import subprocess
    import sys

    code = ("from ganlab import inference, registry\n"
            "g = registry.build('biggan', (1, 16, 16), n_classes=10)\n"
            "print(len(registry.variant_names()), registry.PRESETS['cyclegan'].data, "
            "sorted(g.nets) == sorted(['G', 'D']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={"OMP_NUM_THREADS": "1", "PATH": ""})
    assert out.returncode == 0, out.stderr[-2000:]
    n, kind, nets = out.stdout.split()
    from ganlab import variants
    assert int(n) == len(variants.variant_names()) and kind == "unpaired" and nets == "True"
