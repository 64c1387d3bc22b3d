"""ember.compat: run PyTorch code as it is, with ``import torch`` resolving to ember.

``install_torch_alias()`` puts a finder at the front of ``sys.meta_path`` that answers every
``torch`` / ``torch.X.Y`` import with the module ``ember`` / ``ember.X.Y`` itself (the same
object, so ``torch.nn is ember.nn``); ``uninstall_torch_alias()`` takes it away and puts back
any real torch modules that were imported before. ``python -m ember.run script.py`` does the
same around an unmodified script.

Where ember lacks something, the error names the torch API: importing a missing module raises
``ModuleNotFoundError: No module named 'torch.foo': torch.foo is not implemented in ember
(ember 0.1.0)``; reading a missing attribute raises ``AttributeError: torch.foo_bar is not
implemented in ember (ember 0.1.0)`` (still an AttributeError, so ``hasattr`` answers False).

Note [Friendly misses cost nothing on hits]
The attribute message comes from a module-level ``__getattr__`` (PEP 562) that the alias puts
into each public ember module while it is installed, and removes afterwards. Python consults a
module's ``__getattr__`` only after a normal lookup fails, so ember's own attribute reads are
exactly as fast as without it. A ``__getattr__`` a module already has is kept and asked first.
The same fallback imports an ember submodule that exists but is not imported yet (``torch.X``
works after a bare ``import torch`` for every submodule, as it does in PyTorch).
"""
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading

__all__ = [
    "install_torch_alias",
    "is_torch_alias_installed",
    "torch_alias",
    "uninstall_torch_alias",
]

_TORCH = "torch"
_EMBER = "ember"
_lock = threading.RLock()
_finder = None                 # the installed finder, or None
_saved_torch = {}              # real torch modules taken out of sys.modules, to put back later
_patched = {}                  # ember module -> the __getattr__ it had before (or _NONE)
_NONE = object()


def _version():
    return getattr(sys.modules.get(_EMBER), "__version__", "?")


def _not_implemented(torch_name):
    return f"{torch_name} is not implemented in ember (ember {_version()})"


def _is_torch_name(name):
    return name == _TORCH or name.startswith(_TORCH + ".")


def _ember_name(torch_name):
    return _EMBER + torch_name[len(_TORCH):]


def _torch_name(ember_name):
    return _TORCH + ember_name[len(_EMBER):]


def _is_public(ember_name):
    return not any(part.startswith("_") for part in ember_name.split("."))


# =============================================================================================
# the import hook
# =============================================================================================

class _TorchAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch.X`` as ``ember.X`` and loads it by handing over the ember module itself."""

    def find_spec(self, fullname, path=None, target=None):
        if not _is_torch_name(fullname):
            return None
        ember_name = _ember_name(fullname)
        try:
            module = importlib.import_module(ember_name)
        except ModuleNotFoundError as e:
            # only the module asked for (or a parent of it) being absent means "ember lacks
            # it"; a missing dependency inside an ember module is a different error, kept as is
            if e.name is not None and (ember_name == e.name
                                       or ember_name.startswith(e.name + ".")):
                raise ModuleNotFoundError(
                    f"No module named {fullname!r}: {_not_implemented(fullname)}",
                    name=fullname) from None
            raise
        return importlib.machinery.ModuleSpec(
            fullname, self, loader_state=(module, module.__spec__),
            is_package=hasattr(module, "__path__"))

    def create_module(self, spec):
        return spec.loader_state[0]

    def exec_module(self, module):
        # the import system has just set module.__spec__ to the torch-named spec; the module
        # is ember's, already executed, and keeps its own spec (reload, pickling, runpy use it)
        module.__spec__ = module.__spec__.loader_state[1]
        _patch(module)


# =============================================================================================
# friendly attribute misses
# =============================================================================================

def _make_getattr(module, previous):
    ember_name = module.__name__
    torch_name = _torch_name(ember_name)

    def __getattr__(name):
        if previous is not None:
            try:
                return previous(name)
            except AttributeError:
                pass
        if name.startswith("__") and name.endswith("__"):
            # dunder probes (``__path__``, ``__wrapped__``…) are questions, not API calls
            raise AttributeError(f"module {torch_name!r} has no attribute {name!r}")
        if name.isidentifier() and not name.startswith("_") and hasattr(module, "__path__"):
            sub = f"{ember_name}.{name}"
            try:
                found = importlib.util.find_spec(sub) is not None
            except (ImportError, ValueError):
                found = False
            if found:
                submodule = importlib.import_module(sub)
                if _finder is not None:
                    _patch(submodule)
                return submodule
        raise AttributeError(_not_implemented(f"{torch_name}.{name}"), name=name, obj=module)

    __getattr__._ember_torch_alias = True
    return __getattr__


def _patch(module):
    """Give ``module`` (an ember module) the friendly ``__getattr__`` for as long as the alias
    is installed."""
    name = getattr(module, "__name__", "")
    if module in _patched or not (name == _EMBER or name.startswith(_EMBER + ".")):
        return
    if not _is_public(name):
        return
    current = module.__dict__.get("__getattr__")
    if getattr(current, "_ember_torch_alias", False):
        return
    _patched[module] = _NONE if current is None else current
    module.__getattr__ = _make_getattr(module, current)


def _unpatch_all():
    for module, previous in _patched.items():
        if getattr(module.__dict__.get("__getattr__"), "_ember_torch_alias", False):
            if previous is _NONE:
                del module.__getattr__
            else:
                module.__getattr__ = previous
    _patched.clear()


# =============================================================================================
# public API
# =============================================================================================

def install_torch_alias():
    """install_torch_alias() -> None: make ``import torch`` (and ``torch.nn``, ``torch.optim``,
    ``torch.utils.data``…) give ember's modules until ``uninstall_torch_alias()``.

    Real torch modules already imported are taken out of ``sys.modules`` (and put back by
    ``uninstall_torch_alias``); objects that hold them keep them. Installing twice is a no-op.
    """
    global _finder
    with _lock:
        if _finder is not None:
            return
        importlib.import_module(_EMBER)
        for name in [n for n in sys.modules if _is_torch_name(n)]:
            _saved_torch[name] = sys.modules.pop(name)
        _finder = _TorchAliasFinder()
        sys.meta_path.insert(0, _finder)
        for name, module in list(sys.modules.items()):
            if module is not None and (name == _EMBER or name.startswith(_EMBER + ".")):
                _patch(module)


def uninstall_torch_alias():
    """uninstall_torch_alias() -> None: undo ``install_torch_alias()``: ``import torch`` finds
    the real PyTorch again (if installed), and real torch modules that were imported before
    the alias are back in ``sys.modules``. A no-op when the alias is not installed."""
    global _finder
    with _lock:
        if _finder is None:
            return
        try:
            sys.meta_path.remove(_finder)
        except ValueError:
            pass
        _finder = None
        for name in [n for n in sys.modules if _is_torch_name(n)]:
            del sys.modules[name]
        sys.modules.update(_saved_torch)
        _saved_torch.clear()
        _unpatch_all()


def is_torch_alias_installed():
    """is_torch_alias_installed() -> bool."""
    return _finder is not None


@contextlib.contextmanager
def torch_alias():
    """``with torch_alias(): import torch`` gives ember inside the block only (a no-op when the
    alias is already installed, which it then leaves installed)."""
    if _finder is not None:
        yield
        return
    install_torch_alias()
    try:
        yield
    finally:
        uninstall_torch_alias()
