"""gradcheck / gradgradcheck: compare autograd's gradients with central finite differences.

For each output ``o`` and cotangent ``v`` the real scalar L = sum(Re(conj(v) * o)) defines one
vector-Jacobian product; the analytic gradient of each input must equal the numeric one,
dL/dRe(x) + i dL/dIm(x) for complex inputs (PyTorch's conjugate-Wirtinger convention). The
numeric Jacobian is built once (two evaluations per input element and per real/imaginary part);
when an output is small (at most ``_FULL_LIMIT`` elements) every basis cotangent is used, which
checks the whole Jacobian, otherwise a few random cotangents are (Chainer's directional check).
"""
import warnings

import numpy as np

from .._errors import EmberRuntimeError

_FULL_LIMIT = 64      # outputs up to this size get the full Jacobian checked
_RANDOM_DIRECTIONS = 3


class GradcheckError(EmberRuntimeError):
    """Raised by gradcheck/gradgradcheck when analytic and numeric gradients disagree.

    Example::

        >>> class BadSquare(torch.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return g * x          # wrong: the derivative of x * x is 2 * x
        >>> x = torch.ones(2, dtype=torch.float64, requires_grad=True)
        >>> try:
        ...     torch.autograd.gradcheck(BadSquare.apply, (x,))
        ... except torch.autograd.GradcheckError as e:
        ...     print(type(e).__name__, isinstance(e, RuntimeError))
        GradcheckError True
    """


def _as_tuple(x):
    from ..tensor import Tensor
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(fn, inputs):
    from ..tensor import Tensor
    out = fn(*inputs)
    if isinstance(out, Tensor):
        return [out]
    return [o for o in out if isinstance(o, Tensor)]


def _numeric_jacobians(func, inputs, diff, n_outs, eps):
    """For each differentiable input, a list over (element, part) of the outputs' derivatives:
    ``jac[k][j][p][o]`` is d(output o)/d(part p of element j of input diff[k])."""
    # Not under no_grad: gradgradcheck's function itself runs autograd.grad.
    jacs = []
    for i in diff:
        arr = inputs[i]._array
        parts = (1.0, 1j) if arr.dtype.kind == "c" else (1.0,)
        cols = []
        for idx in np.ndindex(arr.shape):     # any strides: writes go through the view
            orig = arr[idx]
            per_part = []
            for p in parts:
                arr[idx] = orig + p * eps
                plus = [_wide(o._array) for o in _outputs(func, inputs)]
                arr[idx] = orig - p * eps
                minus = [_wide(o._array) for o in _outputs(func, inputs)]
                arr[idx] = orig
                per_part.append([(a - b) / (2 * eps) for a, b in zip(plus, minus)])
            cols.append((idx, parts, per_part))
        jacs.append(cols)
    return jacs


def _wide(a):
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _cotangents(out, rng):
    """Cotangents for one output: the basis when small (full Jacobian), else random ones."""
    a = out._array
    cplx = a.dtype.kind == "c"
    if a.size <= _FULL_LIMIT:
        for j in range(a.size):
            for unit in ((1.0, 1j) if cplx else (1.0,)):
                v = np.zeros(a.size, dtype=a.dtype)
                v[j] = unit
                yield v.reshape(a.shape)
        return
    for _ in range(_RANDOM_DIRECTIONS):
        v = rng.standard_normal(a.shape)
        if cplx:
            v = v + 1j * rng.standard_normal(a.shape)
        yield v.astype(a.dtype)


def _numeric_vjp(cols, out_idx, v, shape, dtype):
    """The numeric gradient of L = sum(Re(conj(v) * out)) for one input."""
    num = np.zeros(shape, dtype=np.complex128 if np.dtype(dtype).kind == "c" else np.float64)
    for idx, parts, per_part in cols:
        total = 0
        for p, douts in zip(parts, per_part):
            total = total + p * float(np.sum((np.conj(v) * douts[out_idx]).real))
        num[idx] = total
    return num


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None,
              seed=0):
    """gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
    fast_mode=False) -> bool: True when autograd's gradients of ``func`` at ``inputs`` match
    central finite differences; otherwise raises GradcheckError (or returns False when
    ``raise_exception=False``). Use float64/complex128 inputs.

    Example::

        >>> x = torch.randn(3, dtype=torch.float64, requires_grad=True)
        >>> torch.autograd.gradcheck(torch.sin, (x,))
        True
    """
    from .. import autograd
    from ..tensor import Tensor, wrap
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i in diff:
        if inputs[i]._array.dtype not in (np.float64, np.complex128):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are not "
                          "of double precision floating point or complex. ", UserWarning,
                          stacklevel=2)
    outs = _outputs(func, inputs)
    jacs = _numeric_jacobians(func, inputs, diff, len(outs), eps)
    rng = np.random.default_rng(seed)
    for o_idx, out in enumerate(outs):
        if not out.requires_grad:
            # a non-differentiable output must not depend on the inputs numerically either
            for k, i in enumerate(diff):
                for _, _, per_part in jacs[k]:
                    if any(np.any(np.abs(d[o_idx]) > atol) for d in per_part):
                        return _fail(raise_exception, f"Numerical gradient for function expected "
                                     f"to be zero (output {o_idx} does not require grad, input "
                                     f"{i})")
            continue
        for v in _cotangents(out, rng):
            # fresh outputs each time: the graph of ``out`` may only be used once
            fresh = _outputs(func, inputs)[o_idx]
            analytic = autograd.grad([fresh], [inputs[i] for i in diff], [wrap(v)],
                                     allow_unused=True)
            for k, i in enumerate(diff):
                x = inputs[i]
                num = _numeric_vjp(jacs[k], o_idx, v, x._array.shape, x._array.dtype)
                got = analytic[k]
                got = np.zeros_like(num) if got is None else got._array
                if got.shape != num.shape:
                    return _fail(raise_exception, f"Gradient for input {i} has shape "
                                 f"{list(got.shape)}, expected {list(num.shape)}")
                if not np.allclose(got, num, rtol=rtol, atol=atol):
                    return _fail(raise_exception, _mismatch(jacs[k], o_idx, i, func, inputs,
                                                             diff, k, out))
    return True


def _mismatch(cols, o_idx, i, func, inputs, diff, k, out):
    """torch's message: both Jacobians (rows: input elements, columns: output elements)."""
    from .. import autograd
    from ..tensor import wrap
    n_out = out._array.size
    rows = [np.ravel(d[o_idx]) for _, _, per_part in cols for d in per_part]
    num = np.stack(rows) if rows else np.zeros((0, n_out))
    rows = []
    if n_out <= _FULL_LIMIT:
        for j in range(n_out):
            v = np.zeros(n_out, dtype=out._array.dtype)
            v[j] = 1
            fresh = _outputs(func, inputs)[o_idx]
            g = autograd.grad([fresh], [inputs[i]], [wrap(v.reshape(out._array.shape))],
                              allow_unused=True)[0]
            rows.append(np.zeros(inputs[i]._array.size) if g is None else np.ravel(g._array))
        ana = np.stack(rows, axis=1) if rows else np.zeros((0, 0))
        ana_text = np.array2string(ana, precision=4)
    else:
        ana_text = "(output too large to print its Jacobian)"
    return (f"Jacobian mismatch for output {o_idx} with respect to input {i},\n"
            f"numerical:{np.array2string(num, precision=4)}\nanalytical:{ana_text}\n")


def _fail(raise_exception, msg):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False, seed=1):
    """gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
    raise_exception=True) -> bool: gradcheck of the ``create_graph=True`` backward of
    ``func`` with respect to both the inputs and the cotangents (second derivatives).

    Example::

        >>> x = torch.randn(3, dtype=torch.float64, requires_grad=True)
        >>> torch.autograd.gradgradcheck(lambda t: t ** 3, (x,))
        True
    """
    from .. import autograd
    from ..tensor import Tensor, wrap
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = []
        for o in outs:
            if not o.requires_grad:
                continue
            v = rng.standard_normal(o._array.shape)
            if o._array.dtype.kind == "c":
                v = v + 1j * rng.standard_normal(o._array.shape)
            grad_outputs.append(wrap(v.astype(o._array.dtype)).requires_grad_())
    grad_outputs = list(_as_tuple(grad_outputs))
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    n = len(inputs)

    def first_order(*args):
        xs, gs = args[:n], args[n:]
        os = [o for o in _outputs(func, xs) if o.requires_grad]
        res = autograd.grad(os, [xs[i] for i in diff], list(gs), create_graph=True,
                            allow_unused=True)
        return tuple(r for r in res if r is not None)

    return gradcheck(first_order, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
