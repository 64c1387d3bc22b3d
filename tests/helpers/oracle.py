"""Run the same code under torch and ember and compare shapes, dtypes, values and gradients.

torch 2.13.0 is a test-only dependency; every comparison goes through here so that a missing
oracle fails loudly instead of skipping silently."""
import numpy as np
import torch

import ember

DTYPES = {"float32": (np.float32, 1e-5, 1e-6), "float64": (np.float64, 1e-10, 1e-12),
          "complex64": (np.complex64, 1e-5, 1e-6), "complex128": (np.complex128, 1e-10, 1e-12)}


def dtype_name(d):
    return str(d).split(".")[-1]


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.resolve_conj().resolve_neg().numpy(force=True)
    if isinstance(x, ember.Tensor):
        return np.asarray(x.detach()._array)
    return np.asarray(x)


def assert_same(e, t, rtol=1e-5, atol=1e-6, what="output", check_dtype=True):
    """Compare an ember result with a torch result (tensors, numbers, or nested tuples)."""
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)), f"{what}: torch gave a sequence, ember {type(e)}"
        assert len(e) == len(t), f"{what}: lengths {len(e)} vs {len(t)}"
        for i, (ee, tt) in enumerate(zip(e, t)):
            assert_same(ee, tt, rtol, atol, f"{what}[{i}]", check_dtype)
        return
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: expected a Tensor, got {type(e)}"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} vs {tuple(t.shape)}"
        if check_dtype:
            assert dtype_name(e.dtype) == dtype_name(t.dtype), \
                f"{what}: dtype {e.dtype} vs {t.dtype}"
        np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=what)
        return
    if isinstance(t, (int, float, bool, complex)):
        assert isinstance(e, type(t)) or (isinstance(t, float) and isinstance(e, (int, float))), \
            f"{what}: {type(e)} vs {type(t)}"
        np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, err_msg=what)
        return
    assert e == t, f"{what}: {e!r} vs {t!r}"


def make_inputs(shapes, dtype="float32", low=-2.0, high=2.0, seed=0, requires_grad=True,
                transform=None):
    """Same random arrays as torch and ember tensors (leaves requiring grad when floating)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for s in shapes:
        if dtype.startswith("complex"):
            a = rng.uniform(low, high, s) + 1j * rng.uniform(low, high, s)
        elif dtype.startswith(("int", "uint")):
            a = rng.integers(int(low), int(high) + 1, s)
        elif dtype == "bool":
            a = rng.random(s) > 0.5
        else:
            a = rng.uniform(low, high, s)
        a = np.asarray(a).astype(dtype)
        if transform is not None:
            a = transform(a)
        arrays.append(a)
    grad = requires_grad and (dtype.startswith("float") or dtype.startswith("complex"))
    t_in = [torch.tensor(a, requires_grad=grad) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=grad) for a in arrays]
    return arrays, t_in, e_in


def check_against_torch(fn, shapes, dtype="float32", low=-2.0, high=2.0, rtol=None, atol=None,
                        seed=0, grad=True, transform=None, check_dtype=True, noncontig=False):
    """Run ``fn(lib, *inputs)`` with lib=torch and lib=ember; compare the outputs and, with a
    random cotangent, the input gradients."""
    rt, at = DTYPES.get(dtype, (None, 1e-5, 1e-6))[1:]
    rtol = rt if rtol is None else rtol
    atol = at if atol is None else atol
    arrays, t_in, e_in = make_inputs(shapes, dtype, low, high, seed, grad, transform)
    if noncontig:
        # exercise non-contiguous views: transpose twice-over through a doubled buffer
        t_in = [_noncontig_torch(t) for t in t_in]
        e_in = [_noncontig_ember(e) for e in e_in]
    t_out = fn(torch, *t_in)
    e_out = fn(ember, *e_in)
    assert_same(e_out, t_out, rtol, atol, check_dtype=check_dtype)
    if not grad or not isinstance(t_out, torch.Tensor) or not t_out.requires_grad:
        return e_out, t_out
    rng = np.random.default_rng(seed + 1)
    cot = rng.standard_normal(tuple(t_out.shape))
    if t_out.is_complex():
        cot = cot + 1j * rng.standard_normal(tuple(t_out.shape))
    cot = cot.astype(dtype_name(t_out.dtype))
    t_leaves = [t for t in t_in if t.requires_grad]
    e_leaves = [e for e in e_in if e.requires_grad]
    for t in t_leaves:
        if not t.is_leaf:
            t.retain_grad()
    for e in e_leaves:
        if not e.is_leaf:
            e.retain_grad()
    t_out.backward(torch.tensor(cot))
    e_out.backward(ember.tensor(cot))
    for i, (t, e) in enumerate(zip(t_leaves, e_leaves)):
        if t.grad is None:
            assert e.grad is None or np.all(to_numpy(e.grad) == 0), f"gradient of input {i}"
            continue
        assert e.grad is not None, f"gradient of input {i}: ember has none"
        assert_same(e.grad, t.grad, rtol, atol, what=f"gradient of input {i}")
    return e_out, t_out


def _noncontig_torch(t):
    big = torch.stack([t.detach(), t.detach()], dim=-1)[..., 0]
    return big.requires_grad_(t.requires_grad) if t.requires_grad else big


def _noncontig_ember(e):
    big = ember.stack([e.detach(), e.detach()], dim=-1)[..., 0]
    assert not big.is_contiguous() or big.numel() <= 1
    return big.requires_grad_(e.requires_grad) if e.requires_grad else big
