"""The house plan of src/toonsklearn/: package ``__init__`` files only re-export, modules
stay small, no module imports from a package that is still loading it, and the
package imports under ``python -OO``. The layers themselves are checked by
``lint-imports`` (the contract in pyproject.toml)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import toonsklearn

PACKAGE = Path(toonsklearn.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every ``from module import names`` in the file, made
    absolute, including imports inside functions."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            found.append((source, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def imported_modules(path: Path) -> set[str]:
    """The toonsklearn modules the file imports (a name from a package that is one of its
    submodules counts as that submodule)."""
    modules = set()
    for source, names in imports(path):
        if not source.startswith("toonsklearn"):
            continue
        modules.add(source)
        for name in names:
            if is_package(source) and (is_package(f"{source}.{name}") or (
                    PACKAGE.parent / f"{source}.{name}".replace(".", "/")).with_suffix(
                    ".py").exists()):
                modules.add(f"{source}.{name}")
    return modules


def file_of(name: str) -> Path:
    path = PACKAGE.parent / name.replace(".", "/")
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def reached_from(start: str) -> set[str]:
    """Every toonsklearn module that importing ``start`` imports, however indirectly."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or not file_of(name).exists():
            continue
        seen.add(name)
        todo.extend(imported_modules(file_of(name)))
    return seen


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_no_module_takes_a_name_from_a_package_still_loading_it(path):
    # A module whose package's __init__ imports it, and which imports a name back from
    # that __init__, sees the package half-loaded: it works only while the __init__
    # defines the name before importing the module (the old backbones registry).
    name = module_name(path)
    for source, names in imports(path):
        if name.startswith(source + ".") and is_package(source):
            own = [n for n in names if not file_of(f"{source}.{n}").exists()]
            if own and name in reached_from(source):
                pytest.fail(f"{name} imports {own} from {source}, whose __init__ imports "
                            f"{name}: import them from the module that defines them.")


@pytest.mark.parametrize("path", [p for p in MODULES if p.name == "__init__.py"],
                         ids=lambda p: module_name(p))
def test_package_init_files_only_re_export(path):
    tree = ast.parse(path.read_text())
    defined = [node.name for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))
               and not node.name.startswith("__")]   # the root's PEP 562 __getattr__
    assert not defined, f"{module_name(path)} defines {defined}: move them to a module"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_no_module_is_over_600_lines(path):
    assert len(path.read_text().splitlines()) <= 600, (
        f"{module_name(path)} is over 600 lines: split it by concept")


def test_the_package_imports_without_docstrings():
    code = ("import toonsklearn, toonsklearn.estimators, toonsklearn.plotting, "
            "toonsklearn.tuning, toonsklearn.io, toonsklearn.cli, toonsklearn.datasets\n"
            "from toonsklearn import CNNClassifier\n"
            "assert CNNClassifier.__doc__ is None\n"
            "print(CNNClassifier(dropout=0.2).get_params()['dropout'])")
    done = subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True)
    if done.returncode:  # only then the slow check (-OO compiles TensorFlow anew each time)
        tensorflow = subprocess.run([sys.executable, "-OO", "-c", "import tensorflow"],
                                    capture_output=True, text=True)
        if tensorflow.returncode:  # TensorFlow 2.16 reads its own docstrings as it imports
            pytest.skip("TensorFlow itself does not import under python -OO here")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0.2"
