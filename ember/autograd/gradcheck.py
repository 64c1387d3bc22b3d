"""gradcheck / gradgradcheck: compare autograd's vector-Jacobian products with central finite
differences in float64.

For each output a random cotangent ``v`` defines the real scalar L = sum(Re(conj(v) * out)); the
analytic gradient of every input must equal the numeric one, dL/dRe(x) + i dL/dIm(x) for complex
inputs (PyTorch's conjugate-Wirtinger convention). Two cotangents make a false pass unlikely
while costing 2 × numel evaluations instead of a full Jacobian."""
import numpy as np

from .._errors import EmberRuntimeError


class GradcheckError(EmberRuntimeError):
    pass


def _outputs(fn, inputs):
    from ..tensor import Tensor
    out = fn(*inputs)
    if isinstance(out, Tensor):
        return [out]
    return [o for o in out if isinstance(o, Tensor)]


def _loss(outs, vs):
    total = 0.0
    for o, v in zip(outs, vs):
        a = o._array
        total += float(np.sum((np.conj(v) * a).real)) if a.dtype.kind == "c" else float(np.sum(v * a))
    return total


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False, seed=0, **_):
    """gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True) -> bool."""
    from .. import autograd
    from ..tensor import Tensor, wrap
    from .._state import state
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff:
        if inputs[i]._array.dtype not in (np.float64, np.complex128):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are not "
                          "of double precision floating point or complex.", UserWarning)
    rng = np.random.default_rng(seed)
    outs = _outputs(func, inputs)
    for trial in range(2):
        vs = []
        for o in outs:
            a = o._array
            v = rng.standard_normal(a.shape)
            if a.dtype.kind == "c":
                v = v + 1j * rng.standard_normal(a.shape)
            vs.append(v.astype(a.dtype) if a.dtype.kind in "fc" else v)
        live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        if live:
            analytic = autograd.grad([o for o, _ in live], [inputs[i] for i in diff],
                                     [wrap(np.asarray(v)) for _, v in live], allow_unused=True,
                                     retain_graph=True)
        else:
            analytic = [None] * len(diff)
        for k, i in enumerate(diff):
            x = inputs[i]
            arr = x._array
            num = np.zeros(arr.shape, dtype=arr.dtype)
            flat = arr.reshape(-1) if arr.flags.c_contiguous else None
            if flat is None:
                raise GradcheckError("gradcheck needs contiguous inputs")
            parts = (1.0, 1j) if arr.dtype.kind == "c" else (1.0,)
            for j in range(flat.size):
                orig = flat[j]
                for p in parts:
                    flat[j] = orig + p * eps
                    lp = _loss(_outputs(func, inputs), vs)
                    flat[j] = orig - p * eps
                    lm = _loss(_outputs(func, inputs), vs)
                    flat[j] = orig
                    num.reshape(-1)[j] += p * (lp - lm) / (2 * eps)
            got = analytic[k]
            got = np.zeros_like(num) if got is None else got._array
            if not np.allclose(got, num, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output 0 with respect to input {i},\n"
                        f"numerical:{num}\nanalytical:{got}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **_):
    """gradgradcheck(func, inputs, grad_outputs=None, ...) -> bool: gradcheck of the
    create_graph=True backward (second derivatives)."""
    from .. import autograd
    from ..tensor import Tensor, wrap
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    outs = _outputs(func, inputs)
    rng = np.random.default_rng(1)
    if grad_outputs is None:
        grad_outputs = []
        for o in outs:
            v = rng.standard_normal(o._array.shape)
            if o._array.dtype.kind == "c":
                v = v + 1j * rng.standard_normal(o._array.shape)
            grad_outputs.append(wrap(v.astype(o._array.dtype)).requires_grad_())
    grad_outputs = list(grad_outputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    n = len(inputs)

    def first_order(*args):
        xs, gs = args[:n], args[n:]
        os = _outputs(func, xs)
        live = [(o, g) for o, g in zip(os, gs) if o.requires_grad]
        res = autograd.grad([o for o, _ in live], [xs[i] for i in diff], [g for _, g in live],
                            create_graph=True, allow_unused=True)
        return tuple(r for r in res if r is not None)

    return gradcheck(first_order, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
