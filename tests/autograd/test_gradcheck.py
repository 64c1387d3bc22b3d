"""gradcheck / gradgradcheck: pass on correct derivatives (real and complex), fail on wrong
custom backwards, and agree with torch's verdicts."""
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd.gradcheck import GradcheckError

X = np.array([0.5, -1.2, 2.0])
Z = np.array([0.5 + 1j, -1.2 + 0.3j])


def square(lib, wrong=False, wrong_second=False):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            if wrong:
                return 3 * g * x
            if wrong_second:      # right value, but its own derivative w.r.t. x is wrong
                return 2 * g * x.detach()
            return 2 * g * x
    return Square.apply


def both(check, fn_of_lib, inputs_of_lib, **kw):
    """Run ``check`` (gradcheck or gradgradcheck by name) under torch and ember."""
    out = []
    for lib in (torch, ember):
        f = getattr(lib.autograd, check)
        out.append(f(fn_of_lib(lib), inputs_of_lib(lib), **kw))
    return out


def x_in(lib):
    return (lib.tensor(X, dtype=lib.float64, requires_grad=True),)


def z_in(lib):
    return (lib.tensor(Z, dtype=lib.complex128, requires_grad=True),)


def test_correct_function_passes():
    assert both("gradcheck", square, x_in) == [True, True]
    assert both("gradgradcheck", square, x_in) == [True, True]


def test_wrong_backward_fails():
    assert both("gradcheck", lambda lib: square(lib, wrong=True), x_in,
                raise_exception=False) == [False, False]
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0"):
        ember.autograd.gradcheck(square(ember, wrong=True), x_in(ember))
    with pytest.raises(RuntimeError):            # GradcheckError is a RuntimeError, as in torch
        ember.autograd.gradcheck(square(ember, wrong=True), x_in(ember))


def test_wrong_second_derivative_fails_only_gradgradcheck():
    fn = lambda lib: square(lib, wrong_second=True)    
    assert both("gradcheck", fn, x_in) == [True, True]
    assert both("gradgradcheck", fn, x_in, raise_exception=False) == [False, False]
    with pytest.raises(GradcheckError):
        ember.autograd.gradgradcheck(fn(ember), x_in(ember))


COMPLEX = {
    "exp_square": lambda lib: lambda z: (z * z).exp(),
    "abs": lambda lib: lambda z: z.abs(),
    "conj_mix": lambda lib: lambda z: (z * z.conj() * z).sin(),
    "real_imag": lambda lib: lambda z: z.real * z.imag,
    "angle": lambda lib: lambda z: z.angle(),
    "view_as_real": lambda lib: lambda z: lib.view_as_real(z * z),
}


@pytest.mark.parametrize("name", sorted(COMPLEX))
def test_complex_inputs(name):
    assert both("gradcheck", COMPLEX[name], z_in) == [True, True]
    assert both("gradgradcheck", COMPLEX[name], z_in) == [True, True]


def test_real_to_complex_and_multiple_outputs_and_constants():
    assert both("gradcheck", lambda lib: lambda x: x * (1 + 2j), x_in) == [True, True]
    two = lambda lib: (lambda a, b: (a * b, a + b, (a * b).sum()))    
    ins = lambda lib: (lib.tensor(X, dtype=lib.float64, requires_grad=True),
                       lib.tensor(X[::-1].copy(), dtype=lib.float64, requires_grad=True))
    assert both("gradcheck", two, ins) == [True, True]
    assert both("gradgradcheck", two, ins) == [True, True]
    scaled = lambda lib: (lambda a, k: a * k)   
    assert both("gradcheck", scaled, lambda lib: (x_in(lib)[0], 3)) == [True, True]


def test_wrong_complex_backward_fails():
    def bad(lib):
        class BadConj(lib.autograd.Function):
            @staticmethod
            def forward(ctx, z):
                ctx.save_for_backward(z)
                return z * z

            @staticmethod
            def backward(ctx, g):
                z, = ctx.saved_tensors
                return 2 * g * z            # should be 2 * g * conj(z)
        return BadConj.apply
    assert both("gradcheck", bad, z_in, raise_exception=False) == [False, False]


def test_non_contiguous_and_large_inputs():
    def t_in(lib):
        return (lib.tensor(np.arange(12.0).reshape(3, 4) / 7, dtype=lib.float64,
                           requires_grad=True).t(),)
    fn = lambda lib: lambda a: (a * a).sin()   
    assert both("gradcheck", fn, t_in) == [True, True]
    big = lambda lib: (lib.tensor(np.linspace(-1, 1, 90), dtype=lib.float64,
                                  requires_grad=True),)
    assert both("gradcheck", lambda lib: lambda a: a.tanh() * a, big) == [True, True]


def test_errors_and_warnings():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        ember.autograd.gradcheck(lambda a: a * 2, (ember.ones(2, dtype=ember.float64),))
    with pytest.warns(UserWarning, match="is not a double precision floating point"):
        ember.autograd.gradcheck(lambda a: a * 2, (ember.ones(2, requires_grad=True),),
                                 raise_exception=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.autograd.gradcheck(lambda a: a * 2, x_in(ember), fast_mode=True)
