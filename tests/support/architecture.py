"""How loom's modules meet: the import graph of `builder/` and `filters/`, read from the source (AST).

Two rules keep the packages easy to extend (docs/extending.md):

- no import cycle: a module is understood from the modules it imports, never from itself;
- no private reach-ins: a module imports only public names (no leading underscore) from another.

Run as a script it prints the cycles and the reach-ins it finds (the figures of issue 17).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGES = ("builder", "filters")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported from
    name: str | None  # the name imported (`from target import name`), None for `import target`
    line: int
    type_only: bool  # under `if TYPE_CHECKING:`: no import at run time


@cache
def _parse(path: Path, mtime: float) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def parse(path: Path) -> ast.Module:
    """The module's syntax tree (parsed once per version of the file)."""
    return _parse(path, path.stat().st_mtime)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(root, path)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(tree: ast.AST, type_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(tree):
        inner = type_only or (isinstance(child, ast.If) and _is_type_checking(child))
        yield child, inner
        yield from _walk(child, inner)


def imports_of(root: Path, name: str, path: Path, known: dict[str, Path]) -> list[Import]:
    tree = parse(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node, type_only in _walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:  # `from package import module`
                    out.append(Import(name, sub, None, node.lineno, type_only))
                else:
                    out.append(Import(name, target, alias.name, node.lineno, type_only))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    out.append(Import(name, alias.name, None, node.lineno, type_only))
    return out


def all_imports(root: Path) -> list[Import]:
    known = modules(root)
    return [imp for name, path in known.items() for imp in imports_of(root, name, path, known)]


def import_cycles(root: Path) -> list[list[str]]:
    """The strongly connected components (more than one module) of the run-time import graph.

    An import inside a function counts: it runs too, and only hides the cycle from Python's
    import machinery. Imports under ``if TYPE_CHECKING:`` do not. A package's ``__init__``
    importing its own submodules is how a package publishes its names, so those edges are left out.
    """
    known = modules(root)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for imp in all_imports(root):
        if imp.type_only or imp.target not in known or imp.target == imp.module:
            continue
        if known[imp.module].name == "__init__.py" and imp.target.startswith(imp.module + "."):
            continue
        graph[imp.module].add(imp.target)
    return [sorted(c) for c in _components(graph) if len(c) > 1]


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def private_imports(root: Path) -> list[Import]:
    """``from other_module import _name``: a reach-in to another module's private name."""
    return [imp for imp in all_imports(root)
            if imp.name is not None and imp.name.startswith("_") and imp.target != imp.module
            and not imp.name.startswith("__")]


def private_attribute_uses(root: Path) -> list[tuple[str, int, str]]:
    """``SomeClass._method`` / ``module._name`` read from a name imported from another of our modules.

    Python's own private names (``sys._getframe``) are documented API there; not counted.
    """
    known = modules(root)
    found = []
    for name, path in known.items():
        tree = parse(path)
        imported = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                    if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").split(".")[0] in PACKAGES)
                    or isinstance(n, ast.Import) and any(x.name.split(".")[0] in PACKAGES for x in n.names)
                    for a in n.names}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in imported):
                found.append((name, node.lineno, f"{node.value.id}.{node.attr}"))
    return found


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    cycles = import_cycles(root)
    private = private_imports(root)
    attrs = private_attribute_uses(root)
    for cycle in cycles:
        print("cycle:", " <-> ".join(cycle))
    for imp in private:
        print(f"private import: {imp.module}:{imp.line} from {imp.target} import {imp.name}")
    for module, line, attr in attrs:
        print(f"private attribute: {module}:{line} {attr}")
    print(f"import cycles: {len(cycles)}; private cross-module imports: {len(private)}; "
          f"private attributes of imported names: {len(attrs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
