"""autograd.Function against torch: both forward styles, ctx features, outputs, errors."""
import warnings

import numpy as np
import pytest

from tests.autograd._util import LIBS, grads, same, same_error, values

X = np.array([1.0, 2.0, 3.0])


def make(lib, body):
    """A Function subclass built from ``body(lib)`` (a dict of staticmethod bodies)."""
    ns = {k: staticmethod(v) for k, v in body(lib).items()}
    return type(body.__name__.capitalize(), (lib.autograd.Function,), ns)


def cube(lib):
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.k, None
    return {"forward": forward, "backward": backward}


def cube_setup(lib):
    def forward(x, k):
        return x ** 3 * k

    def setup_context(ctx, inputs, output):
        x, k = inputs
        ctx.save_for_backward(x, output)
        ctx.k = k

    def backward(ctx, g):
        x, _ = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.k, None
    return {"forward": forward, "setup_context": setup_context, "backward": backward}


@pytest.mark.parametrize("style", [cube, cube_setup])
def test_forward_backward_and_grad_fn(style):
    def prog(lib):
        F = make(lib, style)
        x = lib.tensor(X, requires_grad=True)
        y = F.apply(x, 2.0)
        r = [values(y), y.requires_grad, y.is_leaf, y.grad_fn.name(), type(y.grad_fn).__name__,
             [(type(f).__name__, i) for f, i in y.grad_fn.next_functions],
             y.grad_fn.k, y.grad_fn.needs_input_grad, values(y.grad_fn.saved_tensors)]
        y.sum().backward()
        return r + grads(x)
    same(prog)


@pytest.mark.parametrize("style", [cube, cube_setup])
def test_second_backward_and_saved_tensors_after_free(style):
    def backward_twice(lib):
        y = make(lib, style).apply(lib.tensor(X, requires_grad=True), 1.0)
        y.sum().backward()
        y.sum().backward()

    def saved_after_backward(lib):
        y = make(lib, style).apply(lib.tensor(X, requires_grad=True), 1.0)
        y.sum().backward()
        return y.grad_fn.saved_tensors
    same_error(backward_twice, prefix=True)
    same_error(saved_after_backward, prefix=True)


def test_retain_graph_keeps_saved_tensors():
    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        y = make(lib, cube).apply(x, 1.0)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        return grads(x)
    same(prog)


def test_double_backward_through_function():
    def prog(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(make(lib, cube_setup).apply(x, 1.0).sum(), x, create_graph=True)
        g2, = lib.autograd.grad(g.sum(), x)
        return [values(g), values(g2)]
    same(prog)


def test_needs_input_grad_in_forward_and_backward():
    def body(lib):
        def forward(ctx, a, b, c):
            seen.append(ctx.needs_input_grad)
            return a * b

        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g, g, None
        return {"forward": forward, "backward": backward}

    def prog(lib):
        seen.clear()
        a, b = lib.ones(2, requires_grad=True), lib.ones(2)
        make(lib, body).apply(a, b, 3).sum().backward()
        with lib.no_grad():
            make(lib, body).apply(a, b, 3)
        return list(seen) + grads(a)
    seen = []
    same(prog)


def test_mark_dirty():
    def body(lib):
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        def backward(ctx, g):
            return g * 2
        return {"forward": forward, "backward": backward}

    def prog(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        c = make(lib, body).apply(b)
        r = [c is b, c.grad_fn.name(), values(c), b._version]
        (c * c).sum().backward()
        return r + grads(a)
    same(prog)
    same_error(lambda lib: make(lib, body).apply(lib.tensor([1.0], requires_grad=True)),
               prefix=True)


def test_input_returned_as_is_is_a_new_tensor():
    def body(lib):
        def forward(ctx, x):
            return x

        def backward(ctx, g):
            return g * 5
        return {"forward": forward, "backward": backward}

    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        o = make(lib, body).apply(x)
        r = [o is x, o.grad_fn.name(), o.data_ptr() == x.data_ptr()]
        o.sum().backward()
        return r + grads(x)
    same(prog)


def test_non_differentiable_and_multiple_outputs():
    def sort(lib):
        def forward(ctx, x):
            idx = lib.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x[idx], idx

        def backward(ctx, g, gidx):
            idx, = ctx.saved_tensors
            out = lib.zeros_like(g)
            out[idx] = g
            return out
        return {"forward": forward, "backward": backward}

    def prog(lib):
        a = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
        s, i = make(lib, sort).apply(a)
        r = [s.requires_grad, i.requires_grad, i.grad_fn is None, s.grad_fn.name()]
        (s * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return r + grads(a)
    same(prog)


@pytest.mark.parametrize("materialize", [True, False])
@pytest.mark.parametrize("used", [0, 1])
def test_unused_output_gradients(materialize, used):
    def two(lib):
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            return (0 if g1 is None else g1 * 2) + (0 if g2 is None else g2 * 3)
        return {"forward": forward, "backward": backward}

    def prog(lib):
        seen.clear()
        a = lib.tensor(X, requires_grad=True)
        outs = make(lib, two).apply(a)
        outs[used].sum().backward()
        return list(seen) + grads(a)
    seen = []
    same(prog)


def test_integer_outputs_do_not_require_grad():
    def body(lib):
        def forward(ctx, x):
            return x * 2, lib.tensor([1, 2])

        def backward(ctx, g, gi):
            return g * 2
        return {"forward": forward, "backward": backward}
    same(lambda lib: [o.requires_grad for o in make(lib, body).apply(
        lib.tensor(X, requires_grad=True))])


def test_non_tensor_args_kwargs_and_outputs():
    def body(lib):
        def forward(ctx, x, scale=2.0, name="n"):
            ctx.name = name
            return x * scale

        def backward(ctx, g):     # one gradient per forward parameter, defaults included
            return g * 2, None, None
        return {"forward": forward, "backward": backward}

    def number(lib):
        def forward(ctx, x):
            return 3

        def backward(ctx, g):
            return g
        return {"forward": forward, "backward": backward}

    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        y = make(lib, body).apply(x, scale=3.0, name="k")
        z = make(lib, body).apply(x)
        r = [values(y), y.grad_fn.name, z.grad_fn.name, make(lib, number).apply(x)]
        (y + z).sum().backward()
        return r + grads(x)
    same(prog)


def test_no_graph_when_not_needed():
    def prog(lib):
        F = make(lib, cube)
        o = F.apply(lib.ones(2), 1.0)
        r = [o.requires_grad, o.grad_fn is None]
        with lib.no_grad():
            o = F.apply(lib.ones(2, requires_grad=True), 1.0)
        return r + [o.requires_grad, o.grad_fn is None]
    same(prog)


def test_backward_returning_none_for_an_input():
    def body(lib):
        def forward(ctx, x, y):
            return x * y

        def backward(ctx, g):
            return g, None
        return {"forward": forward, "backward": backward}

    def prog(lib):
        p, q = lib.ones(3, requires_grad=True), lib.ones(3, requires_grad=True)
        make(lib, body).apply(p, q).sum().backward()
        return grads(p, q)
    same(prog)


def test_backward_gradient_is_summed_and_cast():
    def body(lib):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, g):
            return g.double().expand(2, 3) * 1.5     # broadcast and wrong dtype: fixed up
        return {"forward": forward, "backward": backward}

    def prog(lib):
        p = lib.ones(3, requires_grad=True)
        make(lib, body).apply(p).sum().backward()
        return [values(p.grad), str(p.grad.dtype)]
    same(prog)


def _bad(returned, n_inputs=1):
    def body(lib):
        def forward(ctx, *xs):
            return xs[0] * 2

        def backward(ctx, g):
            return returned(lib, g)
        return {"forward": forward, "backward": backward}
    return body


BAD = {
    "too_few": (_bad(lambda lib, g: g), 2),
    "too_many": (_bad(lambda lib, g: (g, g)), 1),
    "wrong_shape": (_bad(lambda lib, g: lib.ones(4)), 1),
    "not_expandable": (_bad(lambda lib, g: lib.ones(1)), 1),
    "grad_for_non_tensor": (_bad(lambda lib, g: (g, g)), "k"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_wrong_gradients_error_like_torch(name):
    body, extra = BAD[name]

    def prog(lib):
        p = lib.ones(3, requires_grad=True)
        args = (p,) if extra == 1 else ((p, lib.ones(3, requires_grad=True)) if extra == 2
                                        else (p, 2))
        make(lib, body).apply(*args).sum().backward()
    same_error(prog, prefix=True)


def test_saved_tensor_modified_in_place():
    def body(lib):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x
        return {"forward": forward, "backward": backward}

    def prog(lib):
        b = lib.ones(3, requires_grad=True) * 1
        o = make(lib, body).apply(b)
        b.add_(1)
        o.sum().backward()
    same_error(prog, prefix=True)


def test_save_for_backward_rejects_non_tensors():
    def body(lib):
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        def backward(ctx, g):
            return g
        return {"forward": forward, "backward": backward}
    same_error(lambda lib: make(lib, body).apply(lib.ones(2, requires_grad=True)), exc=TypeError,
               match="save_for_backward can only save variables, but argument 1 is of type int")


def test_save_none_and_view_outputs():
    def body(lib):
        def forward(ctx, x):
            ctx.save_for_backward(x, None)
            return x[:2]

        def backward(ctx, g):
            x, nothing = ctx.saved_tensors
            assert nothing is None
            return lib.cat([g, lib.zeros(1)]) * x
        return {"forward": forward, "backward": backward}

    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        make(lib, body).apply(x).sum().backward()
        return grads(x)
    same(prog)


def test_once_differentiable():
    def body(lib):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x.exp()
        return {"forward": forward, "backward": backward}

    def prog(lib):
        x = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(make(lib, body).apply(x).sum(), x, create_graph=True)
        return [values(g), g.requires_grad, g.grad_fn is None]
    same(prog)

    def twice(lib):
        x = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
        y = make(lib, body).apply(x)
        v = lib.ones(2, dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(y, x, v, create_graph=True)
        assert g.requires_grad
        g.sum().backward()
    same_error(twice, match="trying to differentiate twice a function that was marked with "
                            "@once_differentiable")


def test_missing_backward_and_legacy_use():
    def no_backward(lib):
        def forward(ctx, x):
            return x * 2
        return {"forward": forward}
    same_error(lambda lib: make(lib, no_backward).apply(lib.ones(2, requires_grad=True)).sum()
               .backward(), exc=NotImplementedError, prefix=True)
    for lib in LIBS:
        F = make(lib, cube)
        with pytest.warns(DeprecationWarning, match="should not be instantiated"):
            inst = F()
        with pytest.raises(RuntimeError, match="Legacy autograd function with non-static"):
            inst(lib.ones(2), 1.0)


def test_function_inside_module_style_graph():
    """A Function between ordinary ops: gradients flow through both sides."""
    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = make(lib, cube).apply(x * w, 0.5).sin() * w
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y.sum().backward()
        return grads(x, w)
    same(prog)
