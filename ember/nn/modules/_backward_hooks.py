"""Full backward hooks for Modules: gradients w.r.t. a module's inputs and outputs, delivered
through identity autograd Functions wrapped around the module's tensors."""
from ...tensor import Tensor


class BackwardHook:
    def __init__(self, module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = 0

    def _identity_fn(self, on_grad):
        from ...autograd.function import Function

        class _Hook(Function):
            @staticmethod
            def forward(ctx, *xs):
                return tuple(x.detach() if isinstance(x, Tensor) else x for x in xs) \
                    if len(xs) > 1 else xs[0].detach()

            @staticmethod
            def backward(ctx, *gs):
                res = on_grad(gs)
                return tuple(res) if len(res) > 1 else res[0]
        return _Hook

    def setup_input(self, args):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not idx or not self.module._backward_hooks:
            return args
        self.n_inputs = len(idx)

        def on_grad(gs):
            gin = tuple(gs)
            for hook in self.module._backward_hooks.values():
                r = hook(self.module, gin, self.grad_outputs)
                if r is not None:
                    gin = tuple(r)
            return gin
        fn = self._identity_fn(on_grad)
        outs = fn.apply(*[args[i] for i in idx])
        outs = outs if isinstance(outs, tuple) else (outs,)
        args = list(args)
        for i, o in zip(idx, outs):
            args[i] = o
        return tuple(args)

    def setup_output(self, out):
        single = isinstance(out, Tensor)
        outs = (out,) if single else tuple(out) if isinstance(out, tuple) else None
        if outs is None:
            return out
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return out

        def on_grad(gs):
            gs = tuple(gs)
            for hook in self.module._backward_pre_hooks.values():
                r = hook(self.module, gs)
                if r is not None:
                    gs = tuple(r)
            self.grad_outputs = gs
            if self.n_inputs == 0 and self.module._backward_hooks:
                for hook in self.module._backward_hooks.values():
                    hook(self.module, (None,), gs)
            return gs
        fn = self._identity_fn(on_grad)
        res = fn.apply(*[outs[i] for i in idx])
        res = res if isinstance(res, tuple) else (res,)
        outs = list(outs)
        for i, o in zip(idx, res):
            outs[i] = o
        return outs[0] if single else tuple(outs)
