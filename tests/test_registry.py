"""The op registry is the single source: every op has a test entry, docs and a public name."""

from __future__ import annotations

import inspect

import plugtorch as pt
from plugtorch.ops import REGISTRY
from plugtorch.testing.op_db import BY_NAME


def test_every_registered_op_has_an_op_db_entry() -> None:
    missing = sorted(set(REGISTRY) - set(BY_NAME))
    assert not missing, f"ops without a test entry in plugtorch/testing/op_db.py: {missing}"


def test_op_db_names_only_registered_ops() -> None:
    unknown = sorted(set(BY_NAME) - set(REGISTRY))
    assert not unknown, f"op_db entries for ops that are not registered: {unknown}"


def test_every_op_has_a_docstring() -> None:
    undocumented = sorted(name for name, op in REGISTRY.items() if len(op.doc) < 10)
    assert not undocumented, f"ops without a docstring on their forward: {undocumented}"


def test_every_op_has_a_documented_public_name() -> None:
    problems = []
    for name in REGISTRY:
        info = BY_NAME[name]
        public = info.public or name
        namespace = pt
        for part in filter(None, info.namespace.split(".")):
            namespace = getattr(namespace, part)
        function = getattr(namespace, public, None) or getattr(pt.Tensor, public, None)
        if function is None:
            if not info.internal:
                problems.append(f"{name}: no plugtorch.{public} and no reason given")
            continue
        doc = inspect.getdoc(function) or ""
        if getattr(namespace, public, None) is not None and ">>>" not in doc:
            problems.append(
                f"{name}: {namespace.__name__}.{public} has no example in its docstring"
            )
    assert not problems, "\n".join(problems)


def test_public_functions_are_in_all() -> None:
    for name in pt.__all__:
        assert hasattr(pt, name), name


def test_mypy_sees_every_ops_module_plugtorch_re_exports() -> None:
    # mypy reads only literal __all__ lists, so plugtorch/__init__.py star-imports each ops
    # module again under TYPE_CHECKING: that list must name every module ops/__init__.py does.
    import ast
    from pathlib import Path

    def star_imports(path: Path, inside_type_checking: bool) -> set[str]:
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if inside_type_checking and not (
                isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            ):
                continue
            for statement in ast.walk(node):
                if isinstance(statement, ast.ImportFrom) and statement.names[0].name == "*":
                    found.add(str(statement.module))
        return found

    package = Path(pt.__file__).parent
    assert star_imports(package / "ops" / "__init__.py", False) == star_imports(
        package / "__init__.py", True
    )
