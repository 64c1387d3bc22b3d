"""Build ember's API reference as HTML with pdoc, from the docstrings.

    python docs/build_api.py              # writes docs/_build/api/index.html
    python docs/build_api.py -o some/dir  # writes somewhere else

Every warning raised while building (a module that fails to import, a docstring pdoc cannot
parse, a cross-reference it cannot resolve) is turned into an error, so a clean exit means a
clean reference. The test suite runs this script (tests/docs/test_api_build.py).

ember's top-level namespaces re-export functions defined deep inside the package (``ember.exp``
lives in ``ember.ops.elementwise``). pdoc only lists names a module defines or names in its
``__all__``, so for the build this script gives each public namespace an ``__all__`` of its
public names: the reference then shows ``ember.exp`` where users look for it.
"""
import argparse
import importlib
import pathlib
import sys
import types
import warnings

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "_build" / "api"

# The namespaces users import; each one's re-exported names are listed on its page.
PUBLIC_NAMESPACES = ["ember", "ember.nn", "ember.nn.functional", "ember.nn.init", "ember.optim",
                     "ember.optim.lr_scheduler", "ember.utils.data", "ember.autograd",
                     "ember.linalg", "ember.fft", "ember.special"]

# Module patterns left out of the reference: the op registry and backends are internals
# (documented in DESIGN.md), modules whose name starts with "_" are private, and the files that
# implement a namespace (ember/nn/modules/linear.py, ember/optim/adam.py, ...) would only repeat
# what the namespace's own page (ember.nn, ember.optim) already lists.
EXCLUDE = [r"ember\.ops(\.|$)", r"ember\.backends(\.|$)", r".*\._", r".*\.__main__$",
           r"ember\.nn\.modules(\.|$)", r"ember\.nn\.functional\.",
           r"ember\.optim\.(?!lr_scheduler)", r"ember\.utils\.data\.", r"ember\.autograd\."]


def _give_all(name):
    """Set ``__all__`` on module ``name`` to its public names (if it has none).

    Submodules are listed only when they belong to the package (``ember.nn`` in ``ember``, not
    ``numpy`` imported somewhere): pdoc walks exactly the submodules named in ``__all__``.
    """
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name == name:   # an optional namespace that does not exist (yet)
            return
        raise
    if hasattr(mod, "__all__"):
        return
    mod.__all__ = sorted(
        n for n, v in vars(mod).items() if not n.startswith("_") and (
            not isinstance(v, types.ModuleType) or v.__name__ == f"{name}.{n}"))


def build(out_dir=DEFAULT_OUT, search=True, source=True):
    """Write the HTML reference into ``out_dir``; raise on any warning. Returns the path.

    ``search``: also write the search index; ``source``: show each function's source code.
    """
    import pdoc
    import pdoc.render

    out_dir = pathlib.Path(out_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in PUBLIC_NAMESPACES:
            _give_all(name)
        pdoc.render.configure(docformat="google", search=search, show_source=source,
                              footer_text="ember API reference")
        specs = ["ember"] + ["!" + p for p in EXCLUDE]
        pdoc.pdoc(*specs, output_directory=out_dir)
    return out_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUT), help="output directory")
    parser.add_argument("--no-search", action="store_true", help="skip the search index")
    parser.add_argument("--no-source", action="store_true",
                        help="leave out the highlighted source of each function (faster)")
    args = parser.parse_args(argv)
    out = build(args.output, search=not args.no_search, source=not args.no_source)
    print(f"API reference written to {out / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())
