"""Docstring examples run as doctests, and every public name has a docstring.

Each docstring with ``>>>`` lines anywhere in ember is one test case. Examples run with the
defining module's globals plus ``torch`` and ``ember`` (both the ember package), ``nn``
(``ember.nn``), ``F`` (``ember.nn.functional``) and ``optim`` (``ember.optim``); the autouse
fixture in tests/conftest.py seeds ember's generator with 0 first, so random values print the
same every run. Comparison uses ELLIPSIS and NORMALIZE_WHITESPACE.
"""
import doctest
import importlib
import inspect
import pkgutil
import types

import pytest

import ember
import ember.autograd
import ember.nn
import ember.nn.functional
import ember.optim
import ember.utils.data

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# The namespaces whose public classes and functions must all have docstrings.
NAMESPACES = [ember, ember.nn, ember.nn.functional, ember.optim, ember.utils.data, ember.autograd]

# Public names still without a docstring: op registrations in ember/ops/ and, for resize_as_,
# a lambda in ember/_tensor_methods.py. This list may only shrink: remove a name once it gets a
# docstring (the test fails on an entry that no longer needs to be here).
KNOWN_MISSING = set()


def _modules():
    """Every importable ember module (``__main__`` scripts excluded; a module that needs an
    optional third-party package that is not installed is skipped)."""
    mods = [ember]
    for info in pkgutil.walk_packages(ember.__path__, "ember."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        try:
            mods.append(importlib.import_module(info.name))
        except ModuleNotFoundError as e:
            if e.name is None or e.name.split(".")[0] == "ember":
                raise
    return mods


def _doctests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = {}
    for mod in _modules():
        for test in finder.find(mod, mod.__name__):
            if test.examples and test.name not in found:
                found[test.name] = test
    return [found[k] for k in sorted(found)]


DOCTESTS = _doctests()


@pytest.mark.parametrize("test", DOCTESTS, ids=[t.name for t in DOCTESTS])
def test_docstring_example(test):
    test.globs.update(torch=ember, ember=ember, nn=ember.nn, F=ember.nn.functional,
                      optim=ember.optim)
    report = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    try:
        result = runner.run(test, out=report.append, clear_globs=False)
    finally:
        test.globs.clear()
    assert result.failed == 0, "".join(report)


def _public_objects():
    """(qualified public name, object) for every class and function in NAMESPACES, once each."""
    seen = {}
    for mod in NAMESPACES:
        names = getattr(mod, "__all__", None) or dir(mod)
        for name in names:
            if name.startswith("_"):
                continue
            obj = getattr(mod, name)
            if isinstance(obj, types.ModuleType) or not callable(obj):
                continue
            if not (inspect.isclass(obj) or inspect.isroutine(obj) or hasattr(obj, "__wrapped__")):
                continue
            seen.setdefault(id(obj), (f"{mod.__name__}.{name}", obj))
    return sorted(seen.values(), key=lambda p: p[0])


def _own_doc(obj):
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return doc if isinstance(doc, str) and doc.strip() else None


def test_public_names_have_docstrings():
    objs = _public_objects()
    missing = {name for name, obj in objs if _own_doc(obj) is None}
    with_example = [name for name, obj in objs if ">>>" in (_own_doc(obj) or "")]
    print(f"\n{len(objs)} public classes/functions: {len(objs) - len(missing)} with a docstring, "
          f"{len(with_example)} with an example")
    assert not missing - KNOWN_MISSING, sorted(missing - KNOWN_MISSING)
    assert not KNOWN_MISSING - missing, ("documented now; remove from KNOWN_MISSING:",
                                         sorted(KNOWN_MISSING - missing))
    no_example = sorted(name for name, obj in objs if ">>>" not in (_own_doc(obj) or ""))
    assert not no_example, ("every public class and function needs an Example:", no_example)
