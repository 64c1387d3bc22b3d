"""Version counters and in-place ops inside graphs, against torch: the "modified by an inplace
operation" error (same text, bracketed type and shape, producer, versions), the leaf rules, and
the gradients of in-place writes through views of non-leaf tensors."""
import numpy as np
import pytest

import torch

import ember
from tests.autograd._util import grads, same, same_error


def x_of(lib, shape=(3,), dtype="float64"):
    n = int(np.prod(shape))
    return lib.tensor(np.arange(1.0, n + 1).reshape(shape), dtype=getattr(lib, dtype),
                      requires_grad=True)


MODIFIED = {}


def modified(fn):
    """A program that overwrites a value some backward needs; returns the tensor to backprop."""
    MODIFIED[fn.__name__] = fn
    return fn


@modified
def exp_output(lib, x):
    y = x.exp()
    y.add_(1)
    return y


@modified
def sigmoid_output(lib, x):
    y = x.sigmoid()
    y.mul_(2)
    return y


@modified
def tanh_output_view(lib, x):
    y = x.tanh()
    y[0:1].zero_()
    return y


@modified
def zero_on_slice_of_saved_output(lib, x):
    y = x.exp()
    y[1:].zero_()
    return y


@modified
def mul_saved_input(lib, x):
    b = x * 1
    c = b * b
    b.add_(1)
    return c


@modified
def sin_saved_then_setitem(lib, x):
    b = x.clone()
    c = b.sin()
    b[0] = 5.0
    return c


@modified
def leaf_modified_under_no_grad(lib, x):
    y = x * x
    with lib.no_grad():
        x.add_(1)
    return y


@modified
def constant_saved(lib, x):
    c = lib.ones(3, dtype=x.dtype)
    y = x * c
    c.mul_(2)
    return y


@modified
def mm_saved(lib, x):
    b = x.view(3, 1) * 1
    c = lib.ones(2, 3, dtype=x.dtype, requires_grad=True) @ b
    b.mul_(0)
    return c


@modified
def self_alias_mul_(lib, x):
    y = x.clone()
    y.mul_(y)
    return y


@modified
def twice_modified(lib, x):
    y = x.clone()
    y.sigmoid_()
    y.tanh_()
    return y * 1


@modified
def pow_saved(lib, x):
    b = x * 2
    c = b ** 3
    b.sub_(1)
    return c


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(MODIFIED))
def test_modified_saved_value_error_matches_torch(name, dtype):
    def prog(lib):
        x = x_of(lib, dtype=dtype)
        MODIFIED[name](lib, x).sum().backward()
    _, e = same_error(prog, prefix=True)
    assert "[torch." in e and "is at version" in e


def test_modified_error_with_anomaly_hint():
    import warnings

    def prog(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                y = x_of(lib).exp()
                y.add_(1)
                y.sum().backward()
    same_error(prog, prefix=True)


def test_version_counter_values():
    def prog(lib):
        x = lib.ones(3)
        r = [x._version]
        x.add_(1)
        x[0] = 2
        v = x[1:]
        v.mul_(3)
        r += [x._version, v._version]
        d = x.detach()
        d.zero_()
        r += [x._version, d._version]
        y = x + 1
        r.append(y._version)
        return r
    same(prog)


LEAF_ERRORS = {
    "leaf": lambda lib, x: x.add_(1),
    "leaf_setitem": lambda lib, x: x.__setitem__(0, 1.0),
    "leaf_view": lambda lib, x: x[0:2].mul_(2),
    "leaf_view_of_view": lambda lib, x: x.view(3, 1)[1:].zero_(),
    "leaf_relu_": lambda lib, x: x.relu_(),
    "leaf_iadd": lambda lib, x: x.__iadd__(1),
}


@pytest.mark.parametrize("name", sorted(LEAF_ERRORS))
def test_inplace_on_leaf_requiring_grad_errors(name):
    same_error(lambda lib: LEAF_ERRORS[name](lib, x_of(lib)), prefix=True)


def test_inplace_on_leaf_allowed_under_no_grad():
    def prog(lib):
        x = x_of(lib)
        with lib.no_grad():
            x.mul_(2)
            x[0] = -1
        (x * x).sum().backward()
        return [x.tolist(), x._version] + grads(x)
    same(prog)


GRAPHS = {}


def graph(*shape):
    """A program with in-place writes inside a graph; returns the output to backprop."""
    def register(fn):
        GRAPHS[fn.__name__] = (shape, fn)
        return fn
    return register


@graph(3)
def setitem_scalar(lib, x):
    y = x * 1
    y[0] = 0.0
    return y


@graph(3)
def slice_mul_(lib, x):
    y = x * 2
    y[1:].mul_(3)
    return y


@graph(2, 3)
def transpose_then_inplace(lib, x):
    y = x.clone().t()
    y.mul_(y.detach().clone())
    return y


@graph(3)
def relu_in_graph(lib, x):
    y = x * 1 - 2
    y.relu_()
    return y


@graph(6)
def column_mul_by_tensor(lib, x):
    y = x * 2
    y.view(3, 2)[:, 0].mul_(x[0:3])
    return y


@graph(3)
def chain_of_inplace(lib, x):
    y = x.clone()
    y.mul_(2)
    y.exp_()
    return y


@graph(3)
def view_add_returns_view(lib, x):
    z = (x * 2)[1:]
    z.add_(x[:2])
    return z


@graph(3)
def setitem_tensor(lib, x):
    y = x * 1
    y[1] = x[0] * 5
    return y


@graph(3)
def add_then_sigmoid_(lib, x):
    y = x * 1
    y.add_(1)
    y.sigmoid_()
    return y


@graph(3)
def old_view_sees_base_write(lib, x):
    y = x * 1
    v = y[1:]
    y.mul_(2)
    return v


@graph(2, 3)
def old_view_of_view_sees_write(lib, x):
    y = x * 1
    v = y.t()[1:]
    y[0].mul_(5)
    return v


@graph(4)
def view_written_through_sibling(lib, x):
    y = x * 1
    a, b = y[:3], y[1:]
    a.add_(10)
    b.mul_(3)
    return y


@graph(3)
def use_view_before_and_after(lib, x):
    y = x * 1
    v = y[:2]
    before = v.neg()
    y.mul_(3)
    return before + v


@graph(2, 3)
def zero_on_slice(lib, x):
    y = x * 3
    y[:, 1].zero_()
    return y


@graph(3)
def fill_with_tensor(lib, x):
    y = x * 1
    y[0:2].fill_(x[2])
    return y


@graph(3)
def buffer_filled_from_graph(lib, x):
    buf = lib.zeros(4, dtype=x.dtype)
    buf[1:4] = x * 2
    return buf


@graph(3)
def imul_operator(lib, x):
    y = x + 1
    y *= x
    return y


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_inplace_graph_gradients_match_torch(name):
    shape, fn = GRAPHS[name]

    def prog(lib):
        x = x_of(lib, shape)
        out = fn(lib, x)
        cot = lib.tensor(np.linspace(0.5, 2.0, out.numel()).reshape(tuple(out.shape)),
                         dtype=out.dtype)
        out.backward(cot)
        return [out.tolist(), out.requires_grad] + grads(x)
    same(prog)


@pytest.mark.parametrize("name", ["setitem_scalar", "slice_mul_", "column_mul_by_tensor",
                                  "setitem_tensor"])
def test_copyslices_grad_fn_name(name):
    shape, fn = GRAPHS[name]
    same(lambda lib: fn(lib, x_of(lib, shape)).grad_fn.name())


def test_inplace_graph_double_backward():
    def prog(lib):
        x = x_of(lib)
        y = x * x
        y[1:].mul_(x[1:])                   # y = [x0^2, x1^3, x2^3]
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        g2, = lib.autograd.grad(g.sum(), x)
        return [g.tolist(), g2.tolist()]
    same(prog)


def test_many_views_then_a_write():
    """Views made in a loop (most of them dropped) all see a later in-place write."""
    def prog(lib):
        x = x_of(lib, (50,))
        y = x * 1
        kept = [v for i, v in enumerate(y[i:i + 2] for i in range(49)) if i % 10 == 3]
        y.mul_(x.detach())
        out = sum((v * (k + 1)).sum() for k, v in enumerate(kept))
        out.backward()
        return grads(x)
    same(prog)


def test_constant_operand_is_not_saved_so_inplace_write_is_legal():
    """torch saves only what the inputs needing a gradient use: `v * 2` with v constant keeps
    nothing of v, so writing v in place afterwards must not raise."""
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        v = x * 1
        w = lib.ones(3)
        y = v * 2 + w * x        # w is constant: x's gradient needs w, w's would need x
        w.add_(1)                # w was saved (x needs it): torch raises on backward
        v.add_(1)                # v was not saved: legal
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
