"""The package's layout rules (docs/architecture.md), checked on the source: where modules
live, which way imports point, no import circles, small modules. Read from the files with
``ast``, so a rule broken by an import inside a function is caught too."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "zns_notify"

#: Django's entry points, the only modules directly in zns_notify/.
ENTRY_POINTS = {
    "__init__", "apps", "broker", "checks", "conf", "exceptions", "signals", "tasks", "urls",
}  # fmt: skip

#: The dependency rule: a folder imports only from itself and the folders before it.
#: Same order as docs/architecture.md; the entry points above may import anything.
LAYERS = [
    ("lib", "conf", "exceptions"),
    ("zalo",),
    ("sms",),
    ("models",),
    ("signals",),
    ("rendering",),
    ("account",),
    ("policy",),
    ("journeys",),
    ("events",),
    ("fallback",),
    ("receipts",),
    ("sending",),
    ("otp",),
    ("display",),
    ("log",),
    ("bindings",),
    ("reports",),
    ("admin", "api", "management", "sandbox"),
    ("contrib",),
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
TOP = len(LAYERS)
#: Largest module a newcomer is asked to read in one sitting.
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


def room(module: str) -> str:
    """The folder (or entry point) a module belongs to: ``zns_notify.sending.claim`` -> sending."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def rank(module: str) -> int:
    name = room(module)
    if name in ENTRY_POINTS and name not in RANK:
        return TOP
    return RANK[name]


class Import:
    def __init__(self, source: str, target: str, names: list[str], node: ast.stmt, deferred: bool):
        self.source, self.target, self.names = source, target, names
        self.line, self.deferred = node.lineno, deferred

    def __repr__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def resolve(source: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = source.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def imports() -> list[Import]:
    found = []
    known = modules()
    for source, path in known.items():
        tree = ast.parse(path.read_text())
        for node, deferred in walk(tree, False):
            if isinstance(node, ast.Import):
                targets = [(alias.name, []) for alias in node.names]
            else:
                base = resolve(source, path, node)
                names = [alias.name for alias in node.names]
                submodules = [f"{base}.{name}" for name in names if f"{base}.{name}" in known]
                targets = [(sub, []) for sub in submodules]
                if len(submodules) < len(names):
                    targets.append((base, [n for n in names if f"{base}.{n}" not in known]))
            for target, names in targets:
                if target == "zns_notify" and set(names) <= {"__version__"}:
                    continue  # the package's root: always imported before any of its modules
                if target.split(".")[0] == "zns_notify":
                    found.append(Import(source, owning_module(target), names, node, deferred))
    return found


def owning_module(target: str) -> str:
    while target not in modules() and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def walk(node: ast.AST, deferred: bool):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            continue  # annotations only: never executed
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, deferred
        inner = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
        yield from walk(child, inner)


def test_only_django_entry_points_sit_directly_in_the_package():
    loose = {path.stem for path in PACKAGE.glob("*.py")} - ENTRY_POINTS
    assert not loose, f"move into a domain folder: {sorted(loose)}"
    for folder in PACKAGE.iterdir():
        if folder.is_dir() and (folder / "__init__.py").exists() and folder.name != "migrations":
            assert folder.name in RANK, f"{folder.name}/ is not in the dependency rule"


def test_imports_point_down_the_layers():
    upward = [
        imp
        for imp in imports()
        if room(imp.source) != room(imp.target) and rank(imp.target) > rank(imp.source)
    ]
    assert not upward, "imports against the dependency rule:\n" + "\n".join(map(repr, upward))


def test_no_import_circles_even_through_imports_inside_functions():
    graph: dict[str, set[str]] = {module: set() for module in modules()}
    for imp in imports():
        if imp.target in graph and imp.target != imp.source:
            graph[imp.source].add(imp.target)
    circles = [component for component in strongly_connected(graph) if len(component) > 1]
    assert not circles, f"import circles: {circles}"


def test_no_folder_imports_another_folder_s_private_names():
    private = [
        imp
        for imp in imports()
        if room(imp.source) != room(imp.target)
        and any(name.startswith("_") and not name.startswith("__") for name in imp.names)
    ]
    assert not private, "private names used across folders:\n" + "\n".join(map(repr, private))


def test_every_import_inside_a_function_says_why():
    unexplained = []
    for source, path in modules().items():
        lines = path.read_text().splitlines()
        for node, deferred in walk(ast.parse("\n".join(lines)), False):
            if deferred and not explained(lines, node):
                unexplained.append(f"{source}:{node.lineno}")
    assert not unexplained, "imports inside functions without a comment: " + ", ".join(unexplained)


def explained(lines: list[str], node: ast.stmt) -> bool:
    """A comment in words on the import's own lines or on the line just above it (a bare
    ``# noqa`` or ``# type: ignore`` explains nothing)."""
    span = lines[node.lineno - 2 : node.end_lineno]
    comments = [line.split("#", 1)[1] for line in span if "#" in line]
    words = [NOT_AN_EXPLANATION.sub("", comment).strip(" ():") for comment in comments]
    return any(words)


NOT_AN_EXPLANATION = re.compile(r"noqa(:\s*[A-Z]+\d+(,\s*[A-Z]+\d+)*)?|type:\s*ignore(\[[^\]]*\])?")


@pytest.mark.parametrize("module", sorted(modules()))
def test_modules_read_in_one_sitting(module):
    length = len(modules()[module].read_text().splitlines())
    assert length <= MAX_LINES, f"{module} has {length} lines; split it where its jobs differ"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph is a few hundred modules deep at most)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
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
                components.append(component)
    return components


#: Shop frameworks an adapter in contrib/ supports: only that adapter may import one, so the
#: core installs and runs without any of them (they are extras: `zns-notify[oscar]`).
FRAMEWORKS = {"oscar": "zns_notify.contrib.oscar"}


def test_only_its_adapter_imports_a_shop_framework():
    found = []
    for source, path in modules().items():
        for node, _deferred in walk(ast.parse(path.read_text()), False):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif not node.level:
                targets = [node.module or ""]
            else:
                continue
            for target in targets:
                adapter = FRAMEWORKS.get(target.split(".")[0])
                if adapter and not (source == adapter or source.startswith(adapter + ".")):
                    found.append(f"{source}:{node.lineno} imports {target}")
    assert not found, found
    assert any(source.startswith("zns_notify.contrib.oscar") for source in modules())
