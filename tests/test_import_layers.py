"""Imports flow one way: the layers of docs/architecture.md, checked on the source with ``ast``.

Every module of ``src/plugtorch`` belongs to one layer of :data:`LAYERS` (bottom first). A
module imports modules of its own layer or of layers below, at module level and inside
functions alike; the module-level imports have no cycle. Importing a module runs the packages
above it first (``plugtorch.autograd.graph`` runs ``plugtorch/autograd/__init__.py``), so the
graph has those edges too.

Two ways up are allowed, both explicit:

* the package root: ``import plugtorch`` gives a module the whole API at call time (the root is
  always loaded before any of its modules). The modules below the ops that call up this way are
  listed in :data:`CALLS_UP_THROUGH_ROOT`, each with its reason;
* a package's ``__getattr__`` loading its own submodules on first use (PEP 562), which is not an
  ``import`` statement.

Imports inside functions are kept for what is optional or slow to load
(:data:`IMPORTED_ON_FIRST_USE`); anything else is imported at the top of the module.

Run as a script for the counts the design notes cite: ``python tests/test_import_layers.py``
(or ``... path/to/src`` for another checkout).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SOURCE = REPOSITORY / "src"
ROOT = "plugtorch"
# Backend packages: they build on the foundations and the backend protocol only.
BACKEND_SOURCES = sorted(REPOSITORY.glob("backends/*/src")) + [
    REPOSITORY / "examples" / "third_party_backend" / "src"
]

# Bottom first. A name stands for the module and everything under it; the longest match wins.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundations",
        ("plugtorch.dtypes", "plugtorch._settings", "plugtorch._lazy", "plugtorch.return_types"),
    ),
    ("backends", ("plugtorch.backend",)),
    ("runtime", ("plugtorch.device", "plugtorch.random", "plugtorch.formatting")),
    ("autograd and storage", ("plugtorch.autograd", "plugtorch.storage")),
    (
        "tensor",
        (
            "plugtorch.tensor",
            "plugtorch._array_api_methods",
            "plugtorch._sorting_methods",
            "plugtorch._surface_methods",
            "plugtorch._tensor_methods",
            "plugtorch._math_methods",
        ),
    ),
    ("ops", ("plugtorch.ops",)),
    (
        "library",
        (
            "plugtorch.nn",
            "plugtorch.optim",
            "plugtorch.utils",
            "plugtorch.data",
            "plugtorch.serialization",
            "plugtorch._checkpoint",
            "plugtorch.array_api",
            "plugtorch.linalg",
            "plugtorch.distributed",
            "plugtorch.profiler",
            "plugtorch.autograd.profiler",
            "plugtorch.amp",
            "plugtorch.cpu",
            "plugtorch.cuda",
            "plugtorch.accelerator",
            "plugtorch.backends",
            "plugtorch.compiler",
            "plugtorch.onnx",
            "plugtorch.testing",
        ),
    ),
    ("public API", ("plugtorch",)),
    ("applications", ("plugtorch.training", "plugtorch.commands", "plugtorch.cli")),
]

# Modules below the library that call the layers above through ``import plugtorch``.
CALLS_UP_THROUGH_ROOT = {
    "plugtorch.tensor": "Tensor's methods run the ops, which build tensors",
    "plugtorch._array_api_methods": "Tensor's array-API methods answer with plugtorch.array_api",
    "plugtorch._sorting_methods": "Tensor's sorting, counting and sampling methods run ops",
    "plugtorch._surface_methods": "Tensor's value tests, erf, norms and diag run ops",
    "plugtorch._tensor_methods": "Tensor's BLAS, scatter, repeat and numeric methods run ops",
    "plugtorch._math_methods": "Tensor's math, reduction and movement methods run ops",
    "plugtorch.autograd.graph": "a node gives its output as a Tensor; a stale view replays ops",
    "plugtorch.autograd.function": "Function.apply wraps its forward's Tensor in a node",
    "plugtorch.autograd.functional": "backward() seeds a scalar output with ones_like",
    "plugtorch.autograd.gradcheck": "gradcheck perturbs Tensors and compares their gradients",
    "plugtorch.random": "Generator.get_state returns a uint8 tensor",
}

# In-function imports, each with its reason: optional dependencies, and what would make
# ``import plugtorch`` slow for everyone who does not use it.
IMPORTED_ON_FIRST_USE = {
    "importlib.metadata": "backend discovery reads entry points only when a backend is needed",
    "difflib": "close matches for a misspelt backend name, only in the error",
    "ml_dtypes": "optional: bfloat16 checkpoints",
    "threadpoolctl": "optional: set_num_threads on the BLAS pools",
    "sklearn": "optional: the digits data set",
    "mpi4py": "optional: MPI process groups",
    "safetensors": "optional: writing checkpoints",
    "hypothesis": "optional: the op database's strategies for property tests",
    "pytest": "the conformance command runs the suite",
    "plugtorch_conformance": "optional: the conformance command",
    "tqdm": "optional: progress bars",
    "matplotlib": "optional: training curves",
    "plugtorch.training": "a command loads the trainer it runs",
    "plugtorch.distributed.run": "the train command loads the launcher for --nproc > 1",
}


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    top: set[str] = field(default_factory=set)  # imported when the module is imported
    inside: list[tuple[int, str]] = field(default_factory=list)  # (line, module) in functions
    root_imports: list[int] = field(default_factory=list)  # lines of `import plugtorch`


def _name_of(path: Path, source: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(source).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module is imported (not under TYPE_CHECKING,
    not in function bodies; class bodies and if/try/with blocks do run)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            found.append(statement)
        elif isinstance(statement, ast.ClassDef):
            found += _module_level(statement.body)
        elif isinstance(statement, ast.If):
            if not _is_type_checking(statement.test):
                found += _module_level(statement.body)
            found += _module_level(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                found += _module_level(block)
            for handler in statement.handlers:
                found += _module_level(handler.body)
        elif isinstance(statement, ast.With):
            found += _module_level(statement.body)
    return found


class Graph:
    """The import graph of ``src/plugtorch``."""

    def __init__(self, source: Path = SOURCE) -> None:
        self.modules: dict[str, Module] = {}
        for path in sorted((source / ROOT).rglob("*.py")):
            name, is_package = _name_of(path, source)
            self.modules[name] = Module(name, path, is_package)
        for module in self.modules.values():
            self._read(module)

    def _targets(self, module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
        """Full names of what ``node`` imports (modules where they are modules)."""
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        if node.level:
            package = module.name.split(".")
            if not module.is_package:
                package.pop()
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([node.module] if node.module else []))
        found = []
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            internal = base == ROOT or base.startswith(ROOT + ".")
            found.append(candidate if candidate in self.modules or not internal else base)
        return found

    def _internal(self, name: str) -> str | None:
        """The plugtorch module ``name`` is or lies in, else None."""
        while name and name not in self.modules:
            name = name.rpartition(".")[0]
        return name or None

    def _read(self, module: Module) -> None:
        tree = ast.parse(module.path.read_text(), str(module.path))
        top = _module_level(tree.body)
        for node in top:
            for target in self._targets(module, node):
                internal = self._internal(target)
                if internal == ROOT:
                    module.root_imports.append(node.lineno)
                elif internal is not None and internal != module.name:
                    module.top.add(internal)
        top_ids = {id(node) for node in top}
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top_ids:
                    top_ids.add(id(node))  # nested functions are walked twice
                    targets = {self._internal(t) or t for t in self._targets(module, node)}
                    module.inside += [(node.lineno, target) for target in sorted(targets)]
                    if ROOT in targets:
                        module.root_imports.append(node.lineno)

    def runs_first(self, importer: str, target: str) -> set[str]:
        """``target`` and the packages above it that importing it runs (the importer's own
        packages are running already; every module's root package is the entry point)."""
        own = {importer.rsplit(".", depth)[0] for depth in range(importer.count(".") + 1)}
        parts = target.split(".")
        packages = {".".join(parts[:i]) for i in range(2, len(parts))}
        return {target} | {p for p in packages if p not in own}

    def edges(self) -> dict[str, set[str]]:
        """Module-level dependencies, package initialisation included (not into the root)."""
        return {
            name: set().union(*(self.runs_first(name, t) for t in module.top)) - {name}
            for name, module in self.modules.items()
        }


def layer_of(name: str) -> int:
    best, best_length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = name.startswith(prefix + ".") and prefix != ROOT  # the root: itself only
            if (name == prefix or inside) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


GRAPH = Graph()


def test_every_module_has_a_layer() -> None:
    missing = sorted(name for name in GRAPH.modules if layer_of(name) < 0)
    assert not missing, f"modules in no layer: add them to LAYERS in {__file__}: {missing}"


def test_no_import_cycle_at_module_level() -> None:
    found = cycles(GRAPH.edges())
    assert not found, "modules that import each other (directly or around a loop):\n" + "\n".join(
        " <-> ".join(component) for component in found
    )


def test_imports_go_down_the_layers() -> None:
    problems = []
    for name, module in GRAPH.modules.items():
        level = layer_of(name)
        targets = [(0, t) for t in sorted(module.top)]
        targets += [(line, t) for line, t in module.inside if t in GRAPH.modules and t != ROOT]
        for line, target in targets:
            for ran in sorted(GRAPH.runs_first(name, target)):
                if layer_of(ran) > level:
                    where = f"{name}:{line}" if line else name
                    problems.append(
                        f"{where} ({LAYERS[level][0]}) imports {ran} ({LAYERS[layer_of(ran)][0]})"
                    )
    assert not problems, "imports that go up the layers:\n" + "\n".join(problems)


def test_only_the_listed_modules_below_the_library_call_up_through_the_root() -> None:
    library = [name for name, _ in LAYERS].index("library")
    unexpected = sorted(
        f"{name}:{module.root_imports[0]}"
        for name, module in GRAPH.modules.items()
        if module.root_imports and layer_of(name) < library and name not in CALLS_UP_THROUGH_ROOT
    )
    assert not unexpected, (
        "`import plugtorch` below the library: import the module you need, or list the module "
        f"in CALLS_UP_THROUGH_ROOT with the reason: {unexpected}"
    )
    stale = sorted(n for n in CALLS_UP_THROUGH_ROOT if not GRAPH.modules[n].root_imports)
    assert not stale, f"listed in CALLS_UP_THROUGH_ROOT but no longer importing plugtorch: {stale}"


def test_backends_import_only_the_foundations_and_the_protocol() -> None:
    """A backend never imports the tensor, the ops or anything above (STYLE.md, rule 3)."""
    highest = [name for name, _ in LAYERS].index("backends")
    problems = []
    for source in BACKEND_SOURCES:
        for path in sorted(source.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [f"{node.module}.{alias.name}" for alias in node.names]
                for name in names:
                    target = GRAPH._internal(name)
                    if target is not None and (target == ROOT or layer_of(target) > highest):
                        problems.append(f"{path.relative_to(REPOSITORY)}:{node.lineno}: {target}")
    assert not problems, "backends importing above plugtorch.backend:\n" + "\n".join(problems)


def _first_use_reason(target: str) -> str | None:
    """Why ``target`` is imported inside a function (a listed module or one under it)."""
    for name, reason in IMPORTED_ON_FIRST_USE.items():
        if target == name or target.startswith(name + "."):
            return reason
    return None


BACKEND_LIBRARIES = ("numba", "cupy", "plugtorch_numpy", "plugtorch_numba", "plugtorch_cupy")


def test_the_core_imports_no_backend_package_anywhere() -> None:
    """Not at module level, not inside a function: a backend reaches the core through the
    registry (and, for NCCL, the CUDA backend's ``cuda_runtime.nccl_modules()``)."""
    found = []
    for module in GRAPH.modules.values():
        for node in ast.walk(ast.parse(module.path.read_text(), str(module.path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            found += [
                f"{module.name}:{node.lineno}: {name}"
                for name in names
                if name.split(".")[0] in BACKEND_LIBRARIES
            ]
    assert not found, "the core imports a backend package:\n" + "\n".join(sorted(found))


def test_imports_inside_functions_are_only_for_what_loads_on_first_use() -> None:
    needless = sorted(
        f"{name}:{line}: {target}"
        for name, module in GRAPH.modules.items()
        for line, target in module.inside
        if _first_use_reason(target) is None
    )
    assert not needless, (
        "imports inside functions: move them to the top of the module (or, for something "
        "optional or slow to load, list it in IMPORTED_ON_FIRST_USE with the reason):\n"
        + "\n".join(needless)
    )


LAZY_CHECK = """
import sys
import plugtorch
loaded = sorted(m for m in sys.modules if m in {modules})
assert not loaded, f"import plugtorch loaded {{loaded}}"
assert plugtorch.nn.Linear is plugtorch.nn.modules.Linear
from plugtorch import optim, nn
assert optim.SGD and nn.functional.conv2d and plugtorch.save and plugtorch.compile
assert {{"nn", "optim", "utils", "save", "ops", "Tensor"}} <= set(dir(plugtorch))
missing = [name for name in plugtorch.__all__ if not hasattr(plugtorch, name)]
assert not missing, missing
assert plugtorch.autograd.profiler.profile and plugtorch.utils.data.DistributedSampler
assert plugtorch.nn.parallel.DistributedDataParallel
assert plugtorch.GradScaler is plugtorch.amp.GradScaler and plugtorch.cuda.amp.autocast
print("ok")
"""
LOADED_ON_FIRST_USE = [
    "plugtorch.nn",
    "plugtorch.optim",
    "plugtorch.utils",
    "plugtorch.data",
    "plugtorch.serialization",
    "plugtorch.distributed",
    "plugtorch.profiler",
    "plugtorch.autograd.profiler",
    "plugtorch.array_api",
    "plugtorch.amp",
    "plugtorch.cpu",
    "plugtorch.cuda",
    "importlib.metadata",
    "numpy.random",
]


def test_import_plugtorch_loads_the_rest_on_first_use() -> None:
    """``import plugtorch`` loads the core only; the rest is there on first use (PEP 562)."""
    code = LAZY_CHECK.format(modules=LOADED_ON_FIRST_USE)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def report(graph: Graph) -> None:
    """The counts for the design notes."""
    found = cycles(graph.edges())
    print(f"modules: {len(graph.modules)}")
    print(
        f"modules in import cycles (module level): {sum(map(len, found))} in {len(found)} cycle(s)"
    )
    for component in found:
        print("  " + " ".join(component))
    inside = [(n, line, t) for n, m in graph.modules.items() for line, t in m.inside]
    statements = {(n, line) for n, line, _ in inside}
    repeated = {(n, line) for n, line, t in inside if t in graph.modules[n].top}
    internal = {(n, line) for n, line, t in inside if t in graph.modules}
    print(
        f"import statements inside functions: {len(statements)} ({len(internal)} of plugtorch "
        f"modules; {len(repeated)} import a module the file also imports at its top)"
    )
    for name, line, target in inside:
        again = "  (also at the top)" if target in graph.modules[name].top else ""
        print(f"  {name}:{line}: {target}{again}")


if __name__ == "__main__":
    report(Graph(Path(sys.argv[1]).resolve()) if len(sys.argv) > 1 else GRAPH)
