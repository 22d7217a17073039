"""Write the Sphinx object inventories the docs link against, without the network.

Sphinx's intersphinx downloads each project's ``objects.inv``; the docs build has no
network, so the inventories are committed here instead. This script generates them from
the *installed* packages: it walks each package's public names (``__all__`` where a
module has one, else names not starting with ``_``) and maps every name to its page with
that site's URL scheme. Run it after upgrading one of the packages::

    python docs/inventories/make_inventories.py

A name the script maps to a page the site does not have gives a dead link, not a build
error: the schemes below are each site's rule for its API pages, with the exceptions
each site makes for the names these docs use.
"""

import builtins
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

import sphobjinv as soi

HERE = Path(__file__).resolve().parent


def public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name in vars(module) if not name.startswith("_")]
    present = []
    for name in names:
        try:
            getattr(module, name)
        except Exception:  # noqa: BLE001 (a lazy name needing an optional package)
            continue
        present.append(name)
    return present


def walk(module_names):
    """Yield ``(qualified name, role)`` for the public objects of the named modules."""
    seen = set()
    for module_name in module_names:
        module = importlib.import_module(module_name)
        yield module_name, "module"
        for name in public_names(module):
            obj = getattr(module, name)
            qualified = f"{module_name}.{name}"
            if inspect.ismodule(obj) or qualified in seen:
                continue
            seen.add(qualified)
            if inspect.isclass(obj):
                yield qualified, "exception" if issubclass(obj, BaseException) else "class"
                for member, value in vars(obj).items():
                    if member.startswith("_"):
                        continue
                    if isinstance(value, property):
                        yield f"{qualified}.{member}", "attribute"
                    elif callable(value) or isinstance(value, (classmethod, staticmethod)):
                        yield f"{qualified}.{member}", "method"
            elif callable(obj):
                yield qualified, "function"
            else:
                yield qualified, "data"


def submodules(package):
    """``package`` and its public sub-modules (none named ``_*`` or ``tests``)."""
    names = [package]
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, prefix=package + ".",
                                      onerror=lambda name: None):
        parts = info.name.split(".")[1:]
        if not any(part.startswith("_") or part in ("tests", "externals", "conftest", "integration")
                   for part in parts):
            names.append(info.name)
    importable = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 (needs an optional dependency: not linked)
            continue
        importable.append(name)
    return importable


def owner(name, role):
    """The object whose page documents ``name``: the class of a method, else itself."""
    return name.rsplit(".", 1)[0] if role in ("method", "attribute") else name


def sklearn_uri(name, role):
    if role == "module":
        return f"api/{name}.html#module-{name}"
    return f"modules/generated/{owner(name, role)}.html#{name}"


# numpy.random's classes live on pages of their own; their methods have generated pages.
NUMPY_RANDOM_PAGES = {"numpy.random.Generator": "generator",
                      "numpy.random.default_rng": "generator",
                      "numpy.random.RandomState": "legacy",
                      "numpy.random.BitGenerator": "bit_generators/generated/"
                                                   "numpy.random.BitGenerator",
                      "numpy.random.SeedSequence": "bit_generators/generated/"
                                                   "numpy.random.SeedSequence"}


def numpy_uri(name, role):
    if role == "module":
        page = {"numpy": "index", "numpy.random": "random/index",
                "numpy.linalg": "routines.linalg", "numpy.typing": "typing"}[name]
        return f"reference/{page}.html#module-{name}"
    if name.startswith("numpy.typing."):
        return f"reference/typing.html#{name}"
    if name in NUMPY_RANDOM_PAGES:
        return f"reference/random/{NUMPY_RANDOM_PAGES[name]}.html#{name}"
    if name.startswith("numpy.random."):
        return f"reference/random/generated/{name}.html#{name}"
    return f"reference/generated/{owner(name, role)}.html#{name}"


def pandas_uri(name, role):
    if role == "module":
        return f"reference/index.html#module-{name}"
    return f"reference/api/{name}.html#{name}"


def matplotlib_uri(name, role):
    module = name.split(".")[1] if name.count(".") else ""
    if role == "module":
        return f"api/{module or 'matplotlib'}_api.html#module-{name}"
    if module == "pyplot" or name.startswith(("matplotlib.axes.Axes", "matplotlib.figure.",
                                              "matplotlib.colors.")):
        return f"api/_as_gen/{name}.html#{name}"
    return f"api/{module}_api.html#{name}"


# Optuna's reference keeps the samplers and the plots in sub-folders of their own.
OPTUNA_FOLDERS = ("optuna.visualization.matplotlib", "optuna.visualization", "optuna.samplers")


def optuna_uri(name, role):
    folder = next((f for f in OPTUNA_FOLDERS if name == f or name.startswith(f + ".")), None)
    path = folder.split(".", 1)[1].replace(".", "/") + "/" if folder else ""
    if role == "module":
        if name == folder:
            return f"reference/{path}index.html#module-{name}"
        page = name.split(".", 1)[1] if "." in name else "index"
        return f"reference/{page}.html#module-{name}"
    return f"reference/{path}generated/{owner(name, role)}.html#{name}"


def joblib_uri(name, role):
    if role == "module":
        return f"index.html#module-{name}"
    return f"generated/{owner(name, role)}.html#{name}"


# Each project: its name, the modules whose public names its API reference documents
# (a callable, so sub-modules are listed when the script runs), its URL scheme.
PROJECTS = {
    "sklearn": ("scikit-learn", lambda: submodules("sklearn"), sklearn_uri),
    "numpy": ("NumPy", lambda: ["numpy", "numpy.random", "numpy.typing", "numpy.linalg"],
              numpy_uri),
    "pandas": ("pandas", lambda: ["pandas", "pandas.errors"], pandas_uri),
    "matplotlib": ("Matplotlib", lambda: ["matplotlib", "matplotlib.pyplot",
                                          "matplotlib.axes", "matplotlib.figure",
                                          "matplotlib.colors", "matplotlib.image"],
                   matplotlib_uri),
    "optuna": ("Optuna", lambda: submodules("optuna"), optuna_uri),
    "joblib": ("joblib", lambda: ["joblib"], joblib_uri),
}

# The standard library: built-ins live on three pages, modules on one page each.
STDLIB_MODULES = ["os", "os.path", "pathlib", "logging", "warnings", "collections",
                  "collections.abc", "typing", "numbers", "io", "zipfile", "json", "csv",
                  "tempfile", "pickle", "concurrent.futures", "dataclasses", "argparse",
                  "functools", "hashlib", "shutil", "sys", "types"]
GLOSSARY = ["path-like object", "file object", "iterable", "callable", "mapping", "generator",
            "sequence", "context manager"]


# Built-in types documented with their operations rather than among the functions.
STDTYPES = {"str", "bytes", "bytearray", "list", "tuple", "dict", "set", "frozenset",
            "range", "memoryview"}


def python_objects():
    for name, value in vars(builtins).items():
        if name.startswith("_"):
            continue
        if inspect.isclass(value) and issubclass(value, BaseException):
            yield name, "exception", f"library/exceptions.html#{name}"
        elif inspect.isclass(value):
            page = "stdtypes" if name in STDTYPES else "functions"
            yield name, "class", f"library/{page}.html#{name}"
        elif callable(value):
            yield name, "function", f"library/functions.html#{name}"
    for name in ("None", "True", "False", "NotImplemented", "Ellipsis"):
        yield name, "data", f"library/constants.html#{name}"
    for module_name in STDLIB_MODULES:
        module = importlib.import_module(module_name)
        page = f"library/{module_name}.html"
        yield module_name, "module", f"{page}#module-{module_name}"
        for name in public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            if inspect.isclass(obj):
                role = "exception" if issubclass(obj, BaseException) else "class"
            elif callable(obj):
                role = "function"
            else:
                role = "data"
            yield f"{module_name}.{name}", role, f"{page}#{module_name}.{name}"


def add(inventory, name, role, uri, domain="py"):
    inventory.objects.append(soi.DataObjStr(name=name, domain=domain, role=role,
                                            priority="1", uri=uri, dispname="-"))


def write(inventory, stem):
    path = HERE / f"{stem}.inv"
    soi.writebytes(path, soi.compress(inventory.data_file(contract=True)))
    print(f"{path.name}: {len(inventory.objects)} objects ({inventory.project} "
          f"{inventory.version})", file=sys.stderr)


def main():
    python = soi.Inventory()
    python.project, python.version = "Python", f"{sys.version_info[0]}.{sys.version_info[1]}"
    for name, role, uri in python_objects():
        add(python, name, role, uri)
    for term in GLOSSARY:
        add(python, term, "term", "glossary.html#term-" + term.replace(" ", "-"), "std")
    write(python, "python")

    for stem, (project, modules, uri_of) in PROJECTS.items():
        inventory = soi.Inventory()
        inventory.project = project
        inventory.version = importlib.import_module(stem).__version__
        for name, role in walk(modules()):
            add(inventory, name, role, uri_of(name, role))
        if stem == "sklearn":
            for term in ("array-like", "estimator", "cross-validation estimator",
                         "classifier", "transformer", "random_state", "n_jobs",
                         "pipeline", "predict_proba", "multilabel", "fit", "scorer"):
                add(inventory, term, "term", "glossary.html#term-" + term.replace(" ", "-"),
                    "std")
        write(inventory, stem)


if __name__ == "__main__":
    main()
