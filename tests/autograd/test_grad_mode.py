"""no_grad, enable_grad, set_grad_enabled, inference_mode against torch: as functions, context
managers, decorators (with and without parentheses), nested, around generators and errors."""
import pytest

from tests.autograd._util import LIBS, same, same_error


def probe(lib, x):
    return [(x * 2).requires_grad, lib.is_grad_enabled()]


def test_no_grad_and_enable_grad_nesting():
    def prog(lib):
        x = lib.ones(2, requires_grad=True)
        r = [probe(lib, x)]
        with lib.no_grad():
            r.append(probe(lib, x))
            with lib.enable_grad():
                r.append(probe(lib, x))
                with lib.no_grad():
                    r.append(probe(lib, x))
                r.append(probe(lib, x))
            r.append(probe(lib, x))
        r.append(probe(lib, x))
        return r
    same(prog)


def test_set_grad_enabled_function_context_and_decorator():
    def prog(lib):
        x = lib.ones(2, requires_grad=True)
        r = []
        lib.set_grad_enabled(False)
        r.append(probe(lib, x))
        lib.set_grad_enabled(True)
        r.append(probe(lib, x))
        with lib.set_grad_enabled(False):
            r.append(probe(lib, x))
            with lib.set_grad_enabled(True):
                r.append(probe(lib, x))
            r.append(probe(lib, x))
        r.append(probe(lib, x))

        @lib.set_grad_enabled(False)
        def off():
            return probe(lib, x)
        r.append(lib.is_grad_enabled())         # decorating must not switch the mode
        r.append(off())
        r.append(lib.is_grad_enabled())
        with lib.no_grad():
            r.append(lib.set_grad_enabled(True)(lambda: probe(lib, x))())
            r.append(lib.is_grad_enabled())
        return r
    same(prog)


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "inference_mode"])
@pytest.mark.parametrize("parens", [True, False])
def test_decorators(mode, parens):
    def prog(lib):
        x = lib.ones(2, requires_grad=True)
        deco = getattr(lib, mode)() if parens else getattr(lib, mode)

        @deco
        def f(a, k=1):
            """doc"""
            return probe(lib, a) + [k, lib.is_inference_mode_enabled()]
        r = [f(x, k=3), lib.is_grad_enabled(), f.__name__, f.__doc__]
        with lib.no_grad():
            r.append(f(x))
            r.append(lib.is_grad_enabled())
        return r
    same(prog)


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "inference_mode"])
def test_generator_functions(mode):
    def prog(lib):
        x = lib.ones(2, requires_grad=True)

        @getattr(lib, mode)()
        def gen(n):
            total = 0
            for i in range(n):
                got = yield probe(lib, x) + [lib.is_inference_mode_enabled()]
                total += got or 0
            return total
        r = []
        g = gen(3)
        r.append(next(g))
        r.append(probe(lib, x))              # the caller's mode between resumptions
        r.append(g.send(5))
        try:
            g.send(7)
            g.send(1)
        except StopIteration as stop:
            r.append(stop.value)
        with lib.no_grad():
            r.append(list(gen(2)))
        r.append(probe(lib, x))
        return r
    same(prog)


def test_generator_throw_and_close():
    def prog(lib):
        @lib.no_grad()
        def gen():
            try:
                yield lib.is_grad_enabled()
            except ValueError:
                yield ("caught", lib.is_grad_enabled())
            finally:
                seen.append(lib.is_grad_enabled())
        seen = []
        g = gen()
        r = [next(g), g.throw(ValueError("x")), lib.is_grad_enabled()]
        g.close()
        return r + seen + [lib.is_grad_enabled()]
    same(prog)


def test_modes_restore_after_exceptions():
    def prog(lib):
        r = []
        for mode in (lambda: lib.no_grad(), lambda: lib.set_grad_enabled(False),
                     lambda: lib.inference_mode()):
            try:
                with mode():
                    raise KeyError
            except KeyError:
                pass
            r.append([lib.is_grad_enabled(), lib.is_inference_mode_enabled()])
        return r
    same(prog)


def test_enter_returns_none_and_class_decoration_warns():
    for lib in LIBS:
        assert lib.no_grad().__enter__() is None
        lib.set_grad_enabled(True)

        class K:
            def __init__(self, lib=lib):
                self.mode = lib.is_grad_enabled()
        with pytest.warns(FutureWarning, match="Decorating classes is deprecated"):
            K2 = lib.no_grad()(K)
        assert K2().mode is False and lib.is_grad_enabled()


def test_inference_mode_flags_and_nesting():
    def prog(lib):
        x = lib.ones(2, requires_grad=True)
        r = []
        with lib.inference_mode():
            r.append(probe(lib, x) + [lib.is_inference_mode_enabled()])
            with lib.inference_mode(False):
                r.append(probe(lib, x) + [lib.is_inference_mode_enabled()])
            with lib.enable_grad():
                r.append(lib.is_inference_mode_enabled())
            r.append(probe(lib, x) + [lib.is_inference_mode_enabled()])
        with lib.inference_mode(False):
            r.append(probe(lib, x) + [lib.is_inference_mode_enabled()])
        r.append(probe(lib, x) + [lib.is_inference_mode_enabled()])
        return r
    same(prog)


def test_inference_tensors():
    def prog(lib):
        x = lib.ones(3, requires_grad=True)
        n = lib.ones(3)
        with lib.inference_mode():
            made = lib.ones(3)
            computed = x * 2
            view_of_normal = n[:2]
            n.add_(1)                           # in-place on a normal tensor is allowed
            viewed = computed[1:]
            computed.mul_(2)                    # and on an inference tensor inside
        r = [made.is_inference(), computed.is_inference(), view_of_normal.is_inference(),
             viewed.is_inference(), n.is_inference(), x.is_inference(),
             computed.requires_grad, computed.is_leaf, computed.detach().is_inference()]
        y = computed + x                        # nothing saved: allowed
        y.sum().backward()
        r.append(x.grad.tolist())
        r.append((made.clone() * x).requires_grad)     # a clone is a normal tensor
        return r
    same(prog)


INFERENCE_ERRORS = {
    "saved_by_mul": lambda lib, x, t: (t * x).sum().backward(),
    "saved_by_mul_right": lambda lib, x, t: x * t,
    "saved_by_exp_chain": lambda lib, x, t: (x * 1) * t,
    "requires_grad_": lambda lib, x, t: t.requires_grad_(),
    "inplace_outside": lambda lib, x, t: t.add_(1),
    "inplace_outside_no_grad": lambda lib, x, t: lib.no_grad()(lambda: t.mul_(2))(),
}


@pytest.mark.parametrize("name", sorted(INFERENCE_ERRORS))
@pytest.mark.parametrize("made_by", ["factory", "op"])
def test_inference_tensors_cannot_join_autograd(name, made_by):
    def prog(lib):
        x = lib.ones(3, requires_grad=True)
        with lib.inference_mode():
            t = lib.ones(3) if made_by == "factory" else lib.ones(3) * 3
        INFERENCE_ERRORS[name](lib, x, t)
    same_error(prog)


def test_requires_grad_on_inference_tensor_inside_inference_mode():
    def prog(lib):
        with lib.inference_mode():
            t = lib.ones(2)
            t.requires_grad_()
            return [t.requires_grad, t.is_leaf]
    same(prog)


def test_set_grad_enabled_requires_a_bool():
    for mode in (1, None, "yes"):
        same_error(lambda lib, mode=mode: lib.set_grad_enabled(mode), exc=TypeError, prefix=True)
