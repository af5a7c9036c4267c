"""Meta tests: every module imports cleanly (warnings are errors), ``__all__`` is sorted and
complete, and the independence rule of DESIGN.md §2 holds."""

import ast
import importlib
import pkgutil
import warnings
from pathlib import Path

import pytest

PACKAGES = ("dlnverify", "derivations", "numerics", "reports")
ROOT = Path(__file__).resolve().parents[1]


def _modules(package: str) -> list[str]:
    pkg = importlib.import_module(package)
    names = [package]
    names += [m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}.")]
    return [name for name in names if not name.endswith(".__main__")]


ALL_MODULES = [name for package in PACKAGES for name in _modules(package)]


@pytest.mark.parametrize("name", ALL_MODULES)
def test_module_imports_without_warnings_and_exports_sorted_all(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(exported), f"{name}.__all__ is not sorted"
    for attribute in exported:
        assert hasattr(module, attribute), f"{name}.__all__ names missing {attribute!r}"


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("numerics", {"sympy", "derivations", "reports"}),
        ("derivations", {"numerics", "reports"}),
    ],
)
def test_independence_rule(package, forbidden):
    for path in (ROOT / package).rglob("*.py"):
        leaked = _imported_roots(path) & forbidden
        assert not leaked, f"{path.relative_to(ROOT)} imports {sorted(leaked)}"


def test_ci_runs_the_readme_test_line_verbatim():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_lines = [
        line for line in readme.splitlines() if "pytest" in line and "pip install" in line
    ]
    assert len(test_lines) == 1, "README must hold exactly one install-and-test line"
    assert test_lines[0] in ci_script.splitlines()


def test_shipped_packages_import_only_declared_runtime_dependencies():
    """The main job installs ``.`` without extras, so every third-party import of a shipped
    package must be a main dependency (import names equal distribution names here)."""
    import re
    import sys
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0] for dep in project["dependencies"]}
    first_party = {"dlnverify", "derivations", "numerics", "reports"}
    for package in first_party:
        for path in (ROOT / package).rglob("*.py"):
            third_party = _imported_roots(path) - set(sys.stdlib_module_names) - first_party
            assert third_party <= declared, (
                f"{path.relative_to(ROOT)} imports {third_party - declared}"
            )


#: The layers of ``reports`` (DESIGN.md §2), bottom to top: a module imports only from its
#: own layer or lower ones.  ``reports/__init__.py``, the front door, stands above them all.
REPORTS_LAYERS = (
    "engine",
    "render",
    "laws",
    "experiments",
    "claims",
    "formulas",
    "documents",
    "cli",
)


def _reports_modules() -> dict[str, Path]:
    modules = {}
    for path in sorted((ROOT / "reports").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _reports_imports(path: Path, known: set[str]) -> set[str]:
    """The ``reports`` modules that ``path`` imports, at module level or inside functions
    (``from reports.x import name`` counts as ``reports.x.name`` when that is a module, else
    as ``reports.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name for name in submodules if name in known]
            if len(names) < len(submodules):  # some names are the package's own
                names.append(node.module)
        else:
            continue
        found |= {name for name in names if name in known and name != "reports"}
    return found


def _layer(module: str) -> int:
    parts = module.split(".")
    return REPORTS_LAYERS.index(parts[1]) if len(parts) > 1 else len(REPORTS_LAYERS)


def test_reports_modules_live_in_a_layer():
    for module in _reports_modules():
        parts = module.split(".")
        assert len(parts) == 1 or parts[1] in REPORTS_LAYERS, f"{module} is outside the layers"


def test_reports_imports_only_its_own_layer_or_lower_ones():
    modules = _reports_modules()
    for module, path in modules.items():
        for imported in _reports_imports(path, set(modules)):
            assert _layer(imported) <= _layer(module), (
                f"{module} (layer {REPORTS_LAYERS[_layer(module)] if _layer(module) < len(REPORTS_LAYERS) else 'front door'}) "
                f"imports {imported} from a higher layer"
            )


def test_reports_import_graph_has_no_cycle():
    modules = _reports_modules()
    graph = {module: _reports_imports(path, set(modules)) for module, path in modules.items()}
    # a package's __init__ and its own submodules are one unit only through real imports
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                cycle = (
                    [*trail[trail.index(imported) :], imported]
                    if imported in trail
                    else [module, imported]
                )
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if imported not in state:
                visit(imported, [*trail, imported])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_reports_names_no_code_in_strings():
    """Code is referenced, never loaded by name: no ``importlib.import_module`` or
    ``__import__`` in ``reports`` (the front door imports lazily with plain imports)."""
    for path in (ROOT / "reports").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = (isinstance(node, ast.Attribute) and node.attr == "import_module") or (
                isinstance(node, ast.Name) and node.id in {"__import__", "import_module"}
            )
            imports_importlib = isinstance(node, ast.Import) and any(
                alias.name == "importlib" for alias in node.names
            )
            assert not named, f"{path.relative_to(ROOT)}:{node.lineno} loads code by name"
            assert not imports_importlib, (
                f"{path.relative_to(ROOT)}:{node.lineno} imports importlib"
            )
