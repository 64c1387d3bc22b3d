"""Optional fused kernels through numba (``pip install "ember[numba]"``).

Some updates are many NumPy passes over one array: Adam's is twelve (Note [Chunked Adam]). A
loop compiled by numba makes them one pass with the same float operations in the same order,
so its results equal NumPy's bit for bit (``tests/test_jit.py`` checks each kernel against its
NumPy form) and only the time changes: Adam over MLP-784's 535 818 float32 parameters takes
0.42 ms against 1.50 ms (benchmarks/notes/numba.md).

Note [Optional kernels]. ``kernel(fn)`` returns a callable that compiles ``fn`` with numba at its
first call and runs it; ``None`` where numba is not installed or ``EMBER_JIT=0``, and callers
then keep their NumPy code. The compiled code is cached on disk where numba can write, so a
later process loads it instead of compiling again (~0.5 s per kernel and dtype otherwise).
Kernels are compiled with ``error_model="numpy"`` (a float division by zero gives inf/nan as in
NumPy, and the loop vectorises) and without fastmath, so no operation is reordered or fused.
"""
import os

_numba = None          # the numba module once imported, False when unavailable


def available():
    """Whether numba kernels may be used: numba is installed and ``EMBER_JIT`` is not 0."""
    global _numba
    if _numba is None:
        want = os.environ.get("EMBER_JIT", "").strip().lower()
        if want in ("0", "off", "no", "false"):
            _numba = False
        else:
            try:
                import numba
                _numba = numba
            except ImportError:
                if want in ("1", "on", "yes", "true"):
                    raise ImportError("EMBER_JIT=1 asks for ember's numba kernels, but numba "
                                      "is not installed: pip install numba") from None
                _numba = False
    return _numba is not False


def kernel(fn):
    """``fn`` compiled by numba at its first call (Note [Optional kernels]), or None."""
    if not available():
        return None
    state = {}

    def run(*args):
        compiled = state.get("fn")
        if compiled is None:
            compiled = state["fn"] = _compile(fn)
        return compiled(*args)

    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    run.py_func = fn
    return run


def _compile(fn):
    try:
        return _numba.njit(fn, nogil=True, error_model="numpy", cache=True)
    except RuntimeError:             # nowhere to write numba's cache: compile in memory only
        return _numba.njit(fn, nogil=True, error_model="numpy")
