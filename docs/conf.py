"""Sphinx configuration for the toonsklearn documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``. Nothing is
downloaded: the other projects' object inventories are committed under
``docs/inventories/`` (``python docs/inventories/make_inventories.py`` regenerates them
from the installed packages), and Keras / TensorFlow names, which have no inventory,
are linked by ``docs/_ext/keras_links.py``.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import toonsklearn  # noqa: E402

project = "toonsklearn"
author = "The toonsklearn developers"
copyright = "the toonsklearn developers"
release = toonsklearn.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "keras_links",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
# sphinx-gallery writes each example's script, notebook and checksums beside its page.
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "sg_execution_times.rst"]
default_role = "literal"          # `name` in prose is code, never an unchecked reference
nitpicky = True                   # every reference must resolve; -W turns misses into errors
nitpick_ignore = []

# --- autodoc / autosummary -------------------------------------------------------------
autosummary_generate = True
# The numpydoc Parameters sections carry each type in plain words; type hints in the
# rendered signature would repeat them as long, unlinked ``Union[...]`` strings.
autodoc_typehints = "none"
autodoc_preserve_defaults = True


def skip_generated_members(app, what, name, obj, skip, options):
    """Leave out what scikit-learn documents on its own site: the ``set_*_request``
    methods it generates on every estimator (metadata routing), and its ``score``, which
    the estimators re-export under their own name with scikit-learn's docstring."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    if name == "score" and getattr(obj, "__module__", "").startswith("sklearn."):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_generated_members)


# --- numpydoc ------------------------------------------------------------------------
# autodoc documents each class's own methods below it (docs/_templates/autosummary/
# class.rst); numpydoc's extra "Methods" table would list the ones skipped below too.
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
# Link the types in Parameters / Returns sections: only the words below become links
# (each mapped to a role, so the nitpicky build checks it), and plain words ("of",
# "shape") are left alone.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    "array-like": ":term:`array-like <sklearn:array-like>`",
    "estimator": ":term:`estimator <sklearn:estimator>`",
    "str": ":class:`str`",
    "int": ":class:`int`",
    "float": ":class:`float`",
    "bool": ":class:`bool`",
    "dict": ":class:`dict`",
    "list": ":class:`list`",
    "tuple": ":class:`tuple`",
    "callable": ":term:`callable <python:callable>`",
    "path-like": ":term:`path-like <python:path-like object>`",
    "ndarray": "numpy.ndarray",
    "DataFrame": "pandas.DataFrame",
    "Pipeline": "sklearn.pipeline.Pipeline",
    "Generator": "numpy.random.Generator",
    "RandomState": "numpy.random.RandomState",
    "Memory": "joblib.Memory",
    "Axes": "matplotlib.axes.Axes",
    "Figure": "matplotlib.figure.Figure",
    "Study": "optuna.study.Study",
    "keras.Model": ":class:`keras.Model`",
    "keras.layers.Layer": ":class:`keras.layers.Layer`",
    "keras.callbacks.Callback": ":class:`keras.callbacks.Callback`",
    "keras.optimizers.Optimizer": ":class:`keras.optimizers.Optimizer`",
}
# Every public object's docstring is checked; the exceptions are the checks that ask for
# text the API reference would only repeat.
numpydoc_validation_checks = {
    "all",
    "ES01",  # no extended summary required: many short functions say all in one line
    "SA01",  # See Also only where a neighbour helps, not on every exception class
    "RT02",  # a Returns entry may be named ("result : Bunch") to say what it holds
}
# Private helpers and what scikit-learn / scikeras / Keras document themselves.
numpydoc_validation_exclude = {
    r"\._[a-z]",                      # private names
    r"\.__[a-z]+__$",                 # dunder methods
    r"\.(set_params|get_params|set_output|get_metadata_routing)$",
    r"\.(fit_transform|score|get_config|from_config|call|build|compute_output_shape)$",
    r"\.get_feature_names_out$",     # scikit-learn's, inherited
    # Constants have no docstring of their own; the `#:` comment is shown.
    r"^toonsklearn\.architectures\.ARCHITECTURES$",
    r"^toonsklearn\.augment\.POLICIES$",
    r"^toonsklearn\.io\.TRUSTED_TYPES$",
    r"^toonsklearn\.io\.FORMAT_VERSION$",
    r"^toonsklearn\.export\.FORMATS$",
    r"^toonsklearn\.datasets\.CHARACTERS$",
    r"^toonsklearn\.datasets\.CAST$",
    r"^toonsklearn\.datasets\.VEHICLES$",
    r"^toonsklearn\.datasets\.MULTILABEL_NAMES$",
    r"^toonsklearn\.estimators\.DEFAULT_PATH_SIZE$",
}

# --- intersphinx: local inventories, never the network --------------------------------
INVENTORIES = DOCS / "inventories"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", str(INVENTORIES / "python.inv")),
    "numpy": ("https://numpy.org/doc/stable/", str(INVENTORIES / "numpy.inv")),
    "sklearn": ("https://scikit-learn.org/stable/", str(INVENTORIES / "sklearn.inv")),
    "pandas": ("https://pandas.pydata.org/docs/", str(INVENTORIES / "pandas.inv")),
    "matplotlib": ("https://matplotlib.org/stable/", str(INVENTORIES / "matplotlib.inv")),
    "optuna": ("https://optuna.readthedocs.io/en/stable/", str(INVENTORIES / "optuna.inv")),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", str(INVENTORIES / "joblib.inv")),
}

# --- sphinx-gallery ------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "reference_url": {"toonsklearn": None},
    "doc_module": ("toonsklearn",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "matplotlib_animations": False,
    # Topics in reading order; within a topic, by file name.
    "subsection_order": [
        f"../examples/{topic}"   # relative to this file, as sphinx-gallery compares them
        for topic in ("classification", "embedding", "inspection", "multilabel",
                      "preprocessing", "search", "scaling", "persistence", "video")
    ],
    "within_subsection_order": "FileNameSortKey",
    # Two examples at a time, one a core: most of an example's time is TensorFlow
    # building graphs and Python, not arithmetic that would use both cores.
    "parallel": 2,
    "show_memory": False,
    "plot_gallery": "True",
}

# --- MyST (the changelog) ------------------------------------------------------------
myst_heading_anchors = 3

# --- HTML ----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"toonsklearn {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
}
html_show_sourcelink = False
