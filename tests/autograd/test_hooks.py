"""Tensor hooks, post-accumulate-grad hooks and grad_fn hooks, against torch."""
import numpy as np

from tests.autograd._util import grads, same, same_error, values

X = np.array([1.0, 2.0, 3.0])


def test_leaf_and_non_leaf_hooks_see_and_replace_grads():
    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        log = []
        hx = x.register_hook(lambda g: log.append(("x", g.tolist())))
        y = x * 2
        hy = y.register_hook(lambda g: g * 10)
        (y * y).sum().backward()
        r = [list(log)] + grads(x)
        hy.remove()
        x.grad = None
        y = x * 2
        (y * y).sum().backward()
        r += [list(log)] + grads(x)
        hx.remove()
        hx.remove()                                 # removing twice is harmless
        h3 = x.register_hook(lambda g: g + 1)
        x.grad = None
        (x * 3).sum().backward()
        r += grads(x) + [len(log)]
        h3.remove()
        return r
    same(prog)


def test_hook_order_and_retain_grad_sees_all_hooks():
    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        y = x * 2
        order = []
        y.register_hook(lambda g: order.append(1))
        y.register_hook(lambda g: order.append(2))
        y.retain_grad()
        y.register_hook(lambda g: g * 0 + 7)
        y.sum().backward()
        z = x * 2
        z.register_hook(lambda g: g * 5)
        z.retain_grad()
        z.sum().backward()
        return [order, values(y.grad), values(z.grad)] + grads(x)
    same(prog)


def test_hook_on_multi_use_tensor_runs_once_with_total():
    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        y = x.exp()
        seen = []
        y.register_hook(lambda g: seen.append(g.tolist()))
        (y * 2 + y * 3).sum().backward()
        return [np.round(seen, 6).tolist()] + grads(x)
    same(prog)


def test_post_accumulate_grad_hook():
    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        acc = []
        h = x.register_post_accumulate_grad_hook(lambda t: acc.append(t.grad.tolist()))
        (x * 3).sum().backward()
        (x * 3).sum().backward()
        h.remove()
        (x * 3).sum().backward()
        return acc + grads(x)
    same(prog)


def test_hook_errors():
    same_error(lambda lib: (lib.ones(2, requires_grad=True) * 2)
               .register_post_accumulate_grad_hook(lambda t: None), prefix=True)
    same_error(lambda lib: lib.ones(2).register_hook(lambda g: g), prefix=True)


def test_grad_fn_hooks():
    def prog(lib):
        x = lib.tensor(X, requires_grad=True)
        y = x.exp()
        rec = []
        y.grad_fn.register_hook(lambda gi, go: rec.append((len(gi), len(go), go[0].tolist())))
        y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
        y.sum().backward()
        return [np.round(rec[0][2], 6).tolist(), rec[0][:2]] + grads(x)
    same(prog)


def test_hooks_under_create_graph():
    def prog(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = x ** 3
        y.register_hook(lambda g: g * x)          # the replacement is itself differentiable
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        g2, = lib.autograd.grad(g.sum(), x)
        return [values(g), values(g2)]
    same(prog)
