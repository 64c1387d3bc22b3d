"""A small MLP regression problem run identically under torch and ember, for optimizer tests."""
import numpy as np
import torch

import ember


def make_params(lib, dtype="float32", seed=0, complex_=False):
    """Leaf parameters w1 (4, 8), b1 (8,), w2 (8, 3), b2 (3,) with the same values per lib."""
    rng = np.random.default_rng(seed)
    out = []
    for s in [(4, 8), (8,), (8, 3), (3,)]:
        a = rng.standard_normal(s) * 0.5
        if complex_:
            a = (a + 1j * rng.standard_normal(s) * 0.5).astype(
                np.complex64 if dtype == "float32" else np.complex128)
        else:
            a = a.astype(dtype)
        out.append(lib.tensor(a, requires_grad=True))
    return out


def loss_fn(lib, params, x, y):
    w1, b1, w2, b2 = params
    if w1.is_complex():
        h = lib.tanh(x @ w1.real + b1.real) + lib.tanh(x @ w1.imag + b1.imag)
        out = h @ w2.real + b2.real - (h @ w2.imag + b2.imag)
    else:
        out = lib.tanh(x @ w1 + b1) @ w2 + b2
    return ((out - y) ** 2).mean()


class Run:
    """One optimizer on the problem. ``groups``: per-group option dicts (the optimized
    parameters are split in two halves); ``select``: indices of the parameters to optimize."""

    def __init__(self, lib, opt_name, kwargs, dtype="float32", complex_=False, groups=None,
                 select=None, params=None, opt=None):
        self.lib = lib
        self.params = params if params is not None else make_params(lib, dtype,
                                                                    complex_=complex_)
        rng = np.random.default_rng(1)
        self.x = lib.tensor(rng.standard_normal((16, 4)).astype(dtype))
        self.y = lib.tensor(rng.standard_normal((16, 3)).astype(dtype))
        if opt is None:
            ps = [self.params[i] for i in (select or range(len(self.params)))]
            if groups is not None:
                half = len(ps) // 2
                ps = [dict(g, params=c) for g, c in zip(groups, [ps[:half], ps[half:]])]
            opt = getattr(lib.optim, opt_name)(ps, **kwargs)
        self.opt = opt
        # maximize(-loss) must still descend, so runs stay bounded
        self.sign = -1 if kwargs.get("maximize") else 1

    def loss(self):
        return self.sign * loss_fn(self.lib, self.params, self.x, self.y)

    def steps(self, n):
        """Take n steps; the parameters after each, as an (n, numel) array."""
        out = []
        for _ in range(n):
            self.opt.zero_grad()
            self.loss().backward()
            self.opt.step()
            out.append(flat(self.params))
        return np.array(out)


def flat(params):
    return np.concatenate([to_numpy(p).ravel() for p in params])


def to_numpy(v):
    if isinstance(v, (torch.Tensor, ember.Tensor)):
        return np.array(v.detach().numpy())
    return np.asarray(v)


def to_ember(obj):
    """A torch state_dict (nested containers of tensors) with every tensor made an ember one."""
    if isinstance(obj, torch.Tensor):
        return ember.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_ember(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_ember(v) for v in obj)
    return obj
