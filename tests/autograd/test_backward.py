"""Tensor autograd state and the backward engine, program by program against torch."""
import gc
import weakref

import numpy as np
import pytest

import ember
from tests.autograd._util import LIBS, grads, same, same_error, values

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((3, 4)).astype(np.float32)


def leaves(lib, *arrays, dtype=None):
    return [lib.tensor(a, requires_grad=True) if dtype is None else
            lib.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


# --- requires_grad, is_leaf, grad_fn ---------------------------------------------------------
def test_requires_grad_flags():
    def prog(lib):
        x = lib.tensor(A)
        r = [x.requires_grad, x.is_leaf]
        x.requires_grad_()
        y = x * 2
        r += [x.requires_grad, x.is_leaf, x.grad_fn is None, y.requires_grad, y.is_leaf]
        z = lib.tensor(A, requires_grad=True)
        z.requires_grad = False
        r += [z.requires_grad, (z * 2).requires_grad]
        w = lib.ones(2, requires_grad=True)
        d = (w * 3).detach()
        r += [d.requires_grad, d.is_leaf, d.grad_fn is None]
        return r
    same(prog)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
def test_requires_grad_rejects_non_floating(dtype):
    same_error(lambda lib: lib.tensor([1, 0]).to(getattr(lib, dtype)).requires_grad_(),
               match="(?i)only Tensors of floating point.*can require gradients")
    same_error(lambda lib: lib.tensor([1, 0], dtype=getattr(lib, dtype), requires_grad=True),
               match="(?i)only Tensors of floating point.*can require gradients")


def test_requires_grad_on_non_leaf_errors():
    same_error(lambda lib: (lib.ones(2, requires_grad=True) * 2).requires_grad_(False),
               match="you can only change requires_grad flags of leaf variables")


def _structure(fn, depth=4):
    if fn is None or depth == 0:
        return None
    return [fn.name(), [(_structure(f, depth - 1), i) for f, i in fn.next_functions]]


GRAPHS = {
    "mul_add_sum": lambda lib, x, y: (x * y + x).sum(),
    "exp_div": lambda lib, x, y: (x.exp() / y).mean(),
    "sub_neg": lambda lib, x, y: -(x - y),
    "square_sigmoid": lambda lib, x, y: (x * x).sigmoid(),
    "mm_relu": lambda lib, x, y: (x @ y.t()).relu(),
    "tanh_clone": lambda lib, x, y: x.tanh().clone(),
    "scalar_ops": lambda lib, x, y: (x * 2 + 1) / 3,
    "views": lambda lib, x, y: x.view(12).reshape(4, 3).permute(1, 0).unsqueeze(0),
    "constant_input": lambda lib, x, y: x * y.detach(),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_grad_fn_names_and_next_functions(name):
    def prog(lib):
        x, y = leaves(lib, A, B)
        out = GRAPHS[name](lib, x, y)
        leaf_fn = out.grad_fn
        while leaf_fn.next_functions and leaf_fn.next_functions[0][0] is not None and \
                leaf_fn.next_functions[0][0].next_functions:
            leaf_fn = leaf_fn.next_functions[0][0]
        acc = leaf_fn.next_functions[0][0]
        return [_structure(out.grad_fn), type(acc).__name__, acc.variable is x]
    same(prog)


def test_accumulate_grad_is_shared_per_leaf():
    def prog(lib):
        x = lib.ones(2, requires_grad=True)
        a, b = x * 2, x * 3
        return [a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]]
    same(prog)


# --- accumulation into .grad -----------------------------------------------------------------
def test_grads_accumulate_across_backward_calls():
    def prog(lib):
        x, y = leaves(lib, A, B)
        (x * y).sum().backward()
        first = x.grad
        (x * x).sum().backward()
        (y.exp()).sum().backward()
        return grads(x, y) + [x.grad is first]
    same(prog)


SHARING = {
    "add": lambda lib, a, b: (a + b).sum(),
    "add_scaled": lambda lib, a, b: ((a + b) * 2).sum(),
    "add_expand": lambda lib, a, b: (a + b).mean(),
    "sub": lambda lib, a, b: (a - b).sum(),
    "same_leaf_twice": lambda lib, a, b: (a + a + b).sum(),
    "stack_like": lambda lib, a, b: (a * 1 + b * 1).sum(),
}


@pytest.mark.parametrize("name", sorted(SHARING))
def test_two_leaves_never_share_a_grad_buffer(name):
    def prog(lib):
        a, b = leaves(lib, A, B)
        SHARING[name](lib, a, b).backward()
        a.grad.mul_(2)
        b.grad.add_(100)
        return grads(a, b)
    same(prog)


def test_grad_not_aliasing_the_given_gradient():
    def prog(lib):
        a, = leaves(lib, A)
        g = lib.ones(3, 4)
        (a + 0).backward(g)
        a.grad.mul_(5)
        h = lib.ones(3, 4)
        b, = leaves(lib, B)
        b.backward(h)             # backward on a leaf itself
        b.grad.mul_(7)
        return [values(g), values(h)] + grads(a, b)
    same(prog)


def test_non_leaf_grad_warns():
    for lib in LIBS:
        y = lib.ones(2, requires_grad=True) * 2
        with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
            assert y.grad is None


def test_retain_grad():
    def prog(lib):
        x, = leaves(lib, A)
        h = x * 2
        h.retain_grad()
        h.retain_grad()                   # twice is harmless
        k = h.exp()
        k.retain_grad()
        (k * h).sum().backward()
        return grads(x, h, k) + [h.retains_grad, x.retains_grad, (x * 1).retains_grad]
    same(prog)


def test_retain_grad_errors_without_grad():
    same_error(lambda lib: lib.ones(2).retain_grad(),
               match="can't retain_grad on Tensor that has requires_grad=False")


# --- backward() arguments ----------------------------------------------------------------------
def test_backward_with_gradient_and_retain_graph():
    g = RNG.standard_normal((3, 4)).astype(np.float32)

    def prog(lib):
        x, y = leaves(lib, A, B)
        out = x.sin() * y
        out.backward(lib.tensor(g), retain_graph=True)
        out.backward(gradient=lib.tensor(g) * 2)
        return grads(x, y)
    same(prog)


def test_backward_inputs_restricts_accumulation():
    def prog(lib):
        x, y = leaves(lib, A, B)
        h = x * y
        h.sum().backward(inputs=[x], retain_graph=True)
        r = grads(x, y)
        lib.autograd.backward(h.sum(), inputs=y)
        return r + grads(x, y)
    same(prog)


def test_backward_inputs_non_leaf():
    def prog(lib):
        x, = leaves(lib, A)
        h = x.exp()
        (h * 3).sum().backward(inputs=[h])
        return [values(h.grad), x.grad]
    same(prog)


def test_autograd_backward_several_roots():
    def prog(lib):
        x, y = leaves(lib, A, B)
        a, b = (x * y).sum(), (x - y) ** 2
        lib.autograd.backward([a, b], [None, lib.ones(3, 4)])
        return grads(x, y)
    same(prog)


def test_autograd_grad_basic_and_grad_outputs():
    g = RNG.standard_normal((3, 4)).astype(np.float32)

    def prog(lib):
        x, y = leaves(lib, A, B)
        out = x * y.exp()
        gx, gy = lib.autograd.grad(out, (x, y), lib.tensor(g), retain_graph=True)
        (hx,) = lib.autograd.grad([out.sum()], [x])
        return [values(gx), values(gy), values(hx), x.grad, y.grad]
    same(prog)


def test_autograd_grad_of_non_leaf_input():
    def prog(lib):
        x, = leaves(lib, A)
        h = x * 2
        out = (h.exp() * h).sum()
        return values(lib.autograd.grad(out, h))
    same(prog)


def test_autograd_grad_unused_inputs():
    def prog(lib):
        x, y = leaves(lib, A, B)
        out = (x * 2).sum()
        r1 = lib.autograd.grad(out, [x, y], allow_unused=True, retain_graph=True)
        r2 = lib.autograd.grad(out, [x, y], materialize_grads=True)
        return [values(r1), values(r2)]
    same(prog)
    same_error(lambda lib: lib.autograd.grad((leaves(lib, A)[0] * 2).sum(),
                                             leaves(lib, A, B)[1:] + leaves(lib, A)))


def test_autograd_grad_errors():
    same_error(lambda lib: lib.autograd.grad(
        (lib.ones(2, requires_grad=True) * 2).sum(), [lib.ones(2)]),
        match="One of the differentiated Tensors does not require grad")
    def contradictory(lib):
        x = lib.ones(2, requires_grad=True)
        lib.autograd.grad((x * 2).sum(), [x], allow_unused=False, materialize_grads=True)
    same_error(contradictory, exc=ValueError, match="allow_unused")


# --- errors ------------------------------------------------------------------------------------
def test_backward_non_scalar_needs_gradient():
    _, e = same_error(lambda lib: (lib.ones(3, requires_grad=True) * 2).backward(),
                      match="grad can be implicitly created only for scalar outputs")
    assert "[3]" in e                      # ember also names the shape


def test_backward_complex_scalar_needs_gradient():
    same_error(lambda lib: (lib.ones(3, requires_grad=True) * 1j).sum().backward())


def test_backward_shape_mismatch():
    same_error(lambda lib: (lib.ones(3, requires_grad=True) * 2).backward(lib.ones(2)))
    same_error(lambda lib: (lib.ones(3, requires_grad=True) * 2).backward(lib.ones(3, 1)))


@pytest.mark.parametrize("why, reason", [
    ("plain", "requires_grad=False"),
    ("detached", "detach"),
    ("no_grad", "no_grad"),
    ("inference", "inference"),
])
def test_backward_without_graph_says_why(why, reason):
    def prog(lib):
        x = lib.ones(3, requires_grad=True)
        if why == "plain":
            y = lib.ones(3).sum()
        elif why == "detached":
            y = (x * 2).sum().detach()
        elif why == "no_grad":
            with lib.no_grad():
                y = (x * 2).sum()
                y.backward()
        else:
            with lib.inference_mode():
                y = (x * 2).sum()
        y.backward()
    t, e = same_error(prog)
    assert "element 0 of tensors does not require grad and does not have a grad_fn" in t
    assert reason in e, e


def test_second_backward_through_freed_graph():
    def twice(lib):
        y = (lib.ones(3, requires_grad=True).exp() * 2).sum()
        y.backward()
        y.backward()
    _, e = same_error(twice, prefix=True)
    assert "Trying to backward through the graph a second time" in e


def test_second_backward_through_nodes_without_saved_tensors():
    def prog(lib):
        x = lib.tensor(A, requires_grad=True)
        y = (x.view(12) + 1).neg().sum()
        y.backward()
        y.backward()
        return grads(x)
    same(prog)


def test_autograd_grad_frees_graph_unless_retained():
    def twice(lib):
        x = lib.ones(2, requires_grad=True)
        y = (x * x).sum()
        lib.autograd.grad(y, x)
        lib.autograd.grad(y, x)
    same_error(twice, prefix=True)


def test_saved_arrays_are_released_after_backward():
    x = ember.ones(4, requires_grad=True)
    big = ember.tensor(np.full(2_000_000, 2.0))
    ref = weakref.ref(big._array)
    out = ((x.sum() * big).sin() * big).sum()
    del big
    gc.collect()
    assert ref() is not None               # kept by the graph
    out.backward()
    gc.collect()
    assert ref() is None                   # freed with the graph's saved values
    assert out.grad_fn is not None


def test_saved_arrays_kept_with_retain_graph():
    x = ember.ones(4, requires_grad=True)
    big = ember.tensor(np.full(1000, 2.0))
    ref = weakref.ref(big._array)
    out = (x.sum() * big).sum()
    del big
    out.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    out.backward()
    gc.collect()
    assert ref() is None
    np.testing.assert_allclose(x.grad._array, np.full(4, 4000.0))


def test_deep_graph_has_no_recursion_limit():
    x = ember.ones(2, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad._array, [1.0, 1.0])


def test_grad_setter_checks():
    same_error(lambda lib: setattr(lib.ones(2, requires_grad=True), "grad", lib.ones(3)),
               match=r"attempting to assign a gradient of size '\[3\]' to a tensor of size "
                     r"'\[2\]'")
    same_error(lambda lib: setattr(lib.ones(2, requires_grad=True), "grad", 3), exc=TypeError)


def test_grad_fn_call_and_metadata():
    def prog(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        y.grad_fn.metadata["tag"] = 1
        gx = y.grad_fn(lib.ones(3))
        gx = gx[0] if isinstance(gx, tuple) else gx
        return [values(gx), y.grad_fn.metadata]
    same(prog)
