"""Optional fused kernels through numba (``pip install "ember[numba]"``).

Some updates are many NumPy passes over one array: Adam's is twelve (Note [Chunked Adam]). A
loop compiled by numba makes them one pass with the same float operations in the same order,
so its results equal NumPy's bit for bit (``tests/test_jit.py`` checks each kernel against its
NumPy form) and only the time changes: Adam over MLP-784's 535 818 float32 parameters takes
0.42 ms against 1.50 ms (benchmarks/notes/numba.md).

Note [Optional kernels]. ``kernel(fn)`` returns a callable that compiles ``fn`` with numba at its
first call and runs it; ``None`` where numba is not installed or ``EMBER_JIT=0``, and callers
then keep their NumPy code. Whether numba is installed is looked up without importing it, so
``import ember`` does not pay numba's import (~0.4 s); the first kernel call does. The compiled
code is cached on disk where numba can write, so a later process loads it instead of compiling
again (~0.5 s per kernel and dtype otherwise). Kernels are compiled with
``error_model="numpy"`` (a float division by zero gives inf/nan as in NumPy, and the loop
vectorises) and without fastmath, so no operation is reordered or fused.

Note [Preloading kernels]. Loading numba and LLVM and a kernel's machine code takes ~0.8 s and
~100 MB of resident memory the first time, wherever the first call happens to be. ``preload()``
does it up front for every kernel that declares its signatures, as ``import torch`` loads
torch's code before a program starts: benchmarks/run.py calls it before it measures a step's
peak memory, and a program that wants its first step at full speed can too.
"""
import importlib.util
import os

_numba = None          # the numba module once imported
_state = None          # True/False once decided
_kernels = []          # (fn, signatures, compiled holder) of every kernel made


def available():
    """Whether numba kernels may be used: numba is installed and ``EMBER_JIT`` is not 0
    (``EMBER_JIT=1`` makes a missing numba an error). Does not import numba."""
    global _state
    if _state is None:
        want = os.environ.get("EMBER_JIT", "").strip().lower()
        if want in ("0", "off", "no", "false"):
            _state = False
        else:
            _state = importlib.util.find_spec("numba") is not None
            if not _state and want in ("1", "on", "yes", "true"):
                raise ImportError("EMBER_JIT=1 asks for ember's numba kernels, but numba is "
                                  "not installed: pip install numba")
    return _state


def kernel(fn, signatures=()):
    """``fn`` compiled by numba at its first call (Note [Optional kernels]), or None.
    ``signatures``: numba signature strings ``preload()`` compiles ahead (other argument
    types still compile at their first call)."""
    if not available():
        return None
    holder = []

    def run(*args):
        if not holder:
            holder.append(_compile(fn))
        return holder[0](*args)

    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    run.py_func = fn
    _kernels.append((fn, tuple(signatures), holder))
    return run


def preload():
    """Load numba and compile (or load from the cache) every kernel's declared signatures
    (Note [Preloading kernels]). Returns how many signatures are ready; 0 without numba."""
    n = 0
    for fn, sigs, holder in _kernels:
        if sigs and not holder:
            holder.append(_compile(fn))
        for sig in sigs:
            holder[0].compile(sig)
            n += 1
    return n


def _compile(fn):
    global _numba
    if _numba is None:
        # numba colours its error messages with colorama, whose exit handler then writes an
        # ANSI reset to stdout, after the program's last line (which broke a test that reads
        # it); plain messages unless the program asked otherwise before numba was imported
        os.environ.setdefault("NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING", "1")
        import numba
        _numba = numba
    try:
        return _numba.njit(fn, nogil=True, error_model="numpy", cache=True)
    except RuntimeError:             # nowhere to write numba's cache: compile in memory only
        return _numba.njit(fn, nogil=True, error_model="numpy")
