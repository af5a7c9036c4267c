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
