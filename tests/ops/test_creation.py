"""Creation functions against torch: dtype inference in tensor(), memory sharing of as_tensor /
asarray / from_numpy, the size forms and dtypes of zeros/ones/full/empty (+ _like, new_*),
arange/linspace/logspace lengths and values, eye, the legacy Tensor(...) constructor and out=."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import assert_same, dtype_name, to_numpy


def same(fn, rtol=0, atol=0):
    """fn(lib) under torch and ember: same shape, dtype and values (exactly by default)."""
    t, e = fn(torch), fn(ember)
    assert_same(e, t, rtol=rtol, atol=atol)
    return e, t


def same_error(fn):
    """fn raises under torch; ember raises a subclass of torch's exception type."""
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as ee:
        fn(ember)
    assert isinstance(ee.value, type(te.value)), (type(ee.value), type(te.value))
    return str(ee.value), str(te.value)


# --- tensor(): dtype inference -----------------------------------------------------------------

DATA = {
    "int list": lambda L: [1, 2, 3],
    "float list": lambda L: [1.0, 2.5],
    "int and float": lambda L: [1, 2.5],
    "bool list": lambda L: [True, False],
    "bool and int": lambda L: [True, 2],
    "complex": lambda L: [1, 2j],
    "int scalar": lambda L: 3,
    "float scalar": lambda L: 3.5,
    "bool scalar": lambda L: True,
    "complex scalar": lambda L: 1 - 1j,
    "empty": lambda L: [],
    "empty nested": lambda L: [[], []],
    "empty deep": lambda L: [[[]]],
    "nested": lambda L: [[1, 2], [3, 4], [5, 6]],
    "tuple": lambda L: (1.5, 2),
    "tuples in list": lambda L: [(1, 2), [3, 4]],
    "range": lambda L: range(4),
    "numpy float64": lambda L: np.arange(3.0),
    "numpy float32": lambda L: np.ones((2, 2), np.float32),
    "numpy int32": lambda L: np.arange(3, dtype=np.int32),
    "numpy bool": lambda L: np.array([True, False]),
    "numpy float16": lambda L: np.array([0.1, 2], np.float16),
    "numpy complex": lambda L: np.array([1 + 1j]),
    "numpy 0-dim": lambda L: np.array(2.5),
    "numpy noncontiguous": lambda L: np.arange(12.0).reshape(3, 4)[:, ::2],
    "numpy scalar f64": lambda L: np.float64(2.5),
    "numpy scalar f32": lambda L: np.float32(2.5),
    "numpy scalar int16": lambda L: np.int16(3),
    "numpy scalar bool": lambda L: np.bool_(True),
    "list of numpy f64 scalars": lambda L: [np.float64(2.5), np.float64(1)],
    "numpy f16 scalar and float": lambda L: [np.float16(1), 2.5],
    "numpy f32 scalar and int": lambda L: [np.float32(1), 2],
    "numpy int32 scalar and bool": lambda L: [np.int32(1), True],
    "numpy int8 and uint8": lambda L: [np.int8(1), np.uint8(2)],
    "complex and numpy f64": lambda L: [1j, np.float64(1)],
    "list with numpy array": lambda L: [[1, 2], np.array([3, 4], np.int32)],
    "list of 0-dim float tensors": lambda L: [L.tensor(1.0), L.tensor(2.0)],
    "list of 0-dim int tensors": lambda L: [L.tensor(1), L.tensor(2)],
    "list of 0-dim f64 tensors": lambda L: [L.tensor(1.0, dtype=L.float64)] * 2,
    "0-dim int32 tensor and int": lambda L: [L.tensor(1, dtype=L.int32), 2],
    "0-dim f16 tensor and float": lambda L: [L.tensor(1.0, dtype=L.float16), 2.5],
    "0-dim int tensor and float": lambda L: [L.tensor(1), 2.5],
    "one-element 1-d tensors": lambda L: [L.tensor([1]), L.tensor([2])],
    "tensors requiring grad": lambda L: [L.tensor(1.0, requires_grad=True), 2.0],
    "big int": lambda L: [2 ** 62, -3],
    "Size": lambda L: L.Size([2, 3]),
}


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("name", list(DATA))
def test_tensor_infers_dtype_like_torch(name, default):
    ember.set_default_dtype(getattr(ember, default))
    torch.set_default_dtype(getattr(torch, default))
    with warnings.catch_warnings():
        # torch warns that lists of arrays are slow and that tensors requiring grad become
        # Python numbers; neither applies to ember, which stays silent
        warnings.simplefilter("ignore")
        t = torch.tensor(DATA[name](torch))
    assert_same(ember.tensor(DATA[name](ember)), t, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "int32", "int64",
                                   "uint8", "bool", "complex64"])
@pytest.mark.parametrize("name", ["int and float", "nested", "numpy float64", "bool list",
                                  "list of 0-dim float tensors", "float scalar"])
def test_tensor_with_dtype(name, dtype):
    if "tensors" in name and dtype in ("int32", "int64", "uint8", "bool"):
        # torch refuses float tensors in a list converted to an integer dtype (TypeError:
        # "only integer tensors of a single element can be converted to an index"); ember
        # converts them like the equivalent Python floats
        assert ember.tensor(DATA[name](ember), dtype=getattr(ember, dtype)).tolist() == \
            torch.tensor([1.0, 2.0], dtype=getattr(torch, dtype)).tolist()
        return
    same(lambda L: L.tensor(DATA[name](L), dtype=getattr(L, dtype)))


@pytest.mark.parametrize("bad", [
    lambda L: [[1, 2], [3]],              # ragged
    lambda L: [[1, 2], 3],                # depth differs
    lambda L: [1, [2]],
    lambda L: "abc",                      # strings are not data
    lambda L: [object()],
    lambda L: [None],
    lambda L: 2 ** 63,                    # does not fit int64
    lambda L: [L.ones(2), L.ones(2)],     # multi-element tensors inside a list
    INT_DATA := (lambda L: [1, 2]),       # requires_grad on an integer tensor (below)
])
def test_tensor_rejects_like_torch(bad):
    if bad is INT_DATA:
        msg, _ = same_error(lambda L: L.tensor(bad(L), requires_grad=True))
        assert "floating point" in msg
        return
    same_error(lambda L: L.tensor(bad(L)))


def test_tensor_ragged_message_names_dim():
    msg, tmsg = same_error(lambda L: L.tensor([[1, 2], [3]]))
    assert tmsg in msg


def test_tensor_requires_grad_and_leaf():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad_fn is None


def test_tensor_copies_numpy_and_tensor_data():
    a = np.zeros(3)
    t = ember.tensor(a)
    a[0] = 5
    assert t[0].item() == 0
    src = ember.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match=r"To copy construct from a tensor, it is recommended to "
                                         r"use sourceTensor\.detach\(\)\.clone\(\)"):
        c = ember.tensor(src)
    assert not c.requires_grad and c.data_ptr() != src.data_ptr()
    with pytest.warns(UserWarning) as rec_t:
        torch.tensor(torch.ones(2))
    with pytest.warns(UserWarning) as rec_e:
        ember.tensor(ember.ones(2))
    assert str(rec_e[0].message) == str(rec_t[0].message)


def test_tensor_copy_keeps_source_dtype_unless_given():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(lambda L: L.tensor(L.arange(3, dtype=L.int32)))
        same(lambda L: L.tensor(L.arange(3, dtype=L.int32), dtype=L.float64))


# --- as_tensor / asarray / from_numpy: memory sharing --------------------------------------------

def shares(t, arr):
    return np.shares_memory(t.numpy(), arr)


def test_as_tensor_shares_with_numpy_when_dtype_matches():
    a = np.arange(4.0)
    t = ember.as_tensor(a)
    assert t.dtype is ember.float64 and shares(t, a)
    a[0] = 7
    assert t[0].item() == 7
    c = ember.as_tensor(a, dtype=ember.float32)
    assert c.dtype is ember.float32 and not shares(c, a)
    same(lambda L: L.as_tensor([1, 2.5]))
    same(lambda L: L.as_tensor(np.float64(2.5)))
    x = ember.ones(2)
    assert ember.as_tensor(x) is x
    assert ember.as_tensor(x, dtype=ember.float64).dtype is ember.float64


def test_as_tensor_keeps_graph_on_dtype_change():
    x = ember.ones(2, requires_grad=True)
    y = ember.as_tensor(x, dtype=ember.float64)
    assert y.requires_grad and y.grad_fn is not None


def test_asarray():
    a = np.arange(3.0)
    t = ember.asarray(a)
    assert shares(t, a)
    assert not shares(ember.asarray(a, copy=True), a)
    with pytest.raises(ValueError):
        ember.asarray(a, dtype=ember.float32, copy=False)
    x = ember.ones(2)
    assert ember.asarray(x) is x
    assert ember.asarray(x, copy=True).data_ptr() != x.data_ptr()
    with pytest.raises(ValueError, match="can't alias tensor with dtype 'Float' into dtype "
                                         "'Double'"):
        ember.asarray(x, dtype=ember.float64, copy=False)
    same(lambda L: L.asarray([1, 2]))
    same(lambda L: L.asarray(3.0))
    same(lambda L: L.asarray([1.5, 2], dtype=L.float64))
    y = ember.asarray(x, requires_grad=True)
    assert y.requires_grad


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6.0).reshape(2, 3)
    t = ember.from_numpy(a)
    assert t.dtype is ember.float64 and t.shape == (2, 3)
    a[0, 0] = 10
    assert t[0, 0].item() == 10
    t[1, 2] = -1
    assert a[1, 2] == -1
    t.add_(1)
    assert a[0, 0] == 11
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)


@pytest.mark.parametrize("arr", [np.arange(3.0)[::-1], np.array(["a"]), np.zeros(2, np.uint32)])
def test_from_numpy_rejects_like_torch(arr):
    if arr.dtype == np.uint32:      # torch 2.13 added uint32; ember keeps torch's classic types
        with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint32"):
            ember.from_numpy(arr)
        return
    same_error(lambda L: L.from_numpy(arr))


def test_from_numpy_keeps_noncontiguous_layout():
    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    t = ember.from_numpy(a)
    assert t.stride() == torch.from_numpy(a).stride()
    assert not t.is_contiguous()


# --- zeros / ones / full / empty ---------------------------------------------------------------

SIZES = [lambda L: (2, 3), lambda L: ((2, 3),), lambda L: ([2, 3],), lambda L: (L.Size([2, 3]),),
         lambda L: ((),), lambda L: (0,), lambda L: (L.tensor(3),),
         lambda L: (4, 0, 2)]


@pytest.mark.parametrize("fn", ["zeros", "ones"])
@pytest.mark.parametrize("size", range(len(SIZES)))
@pytest.mark.parametrize("dtype", [None, "int64", "float64", "bool", "complex64", "bfloat16"])
def test_zeros_ones_sizes_and_dtypes(fn, size, dtype):
    same(lambda L: getattr(L, fn)(*SIZES[size](L), dtype=dtype and getattr(L, dtype)))


def test_empty_and_size_keyword():
    same(lambda L: L.empty(2, 3).shape)
    same(lambda L: str(L.empty(2, dtype=L.int32).dtype))
    same(lambda L: L.zeros(size=(2, 3)))
    same(lambda L: L.ones(size=[4], dtype=L.int16))


@pytest.mark.parametrize("bad", [lambda L: L.zeros(-1), lambda L: L.ones(2, -3),
                                 lambda L: L.zeros(2.5), lambda L: L.empty((2, "a")),
                                 lambda L: L.full(3, 1.0)])
def test_size_errors(bad):
    same_error(bad)


def test_negative_dimension_message():
    msg, tmsg = same_error(lambda L: L.ones(-1))
    assert tmsg in msg
    msg, _ = same_error(lambda L: L.zeros(2, -1))
    assert "negative dimension -1: [2, -1]" in msg


@pytest.mark.parametrize("fill", [3, 3.5, True, 1j, -2])
@pytest.mark.parametrize("dtype", [None, "int32", "float64", "bool"])
def test_full_dtype_follows_fill_value(fill, dtype):
    if isinstance(fill, complex) and dtype is not None:
        return
    same(lambda L: L.full((2, 3), fill, dtype=dtype and getattr(L, dtype)))
    same(lambda L: L.full([2], L.tensor(fill), dtype=dtype and getattr(L, dtype)))


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                "randn_like"])
@pytest.mark.parametrize("dtype", [None, "float64", "float16"])
def test_like_functions_shape_and_dtype(fn, dtype):
    src = lambda L: L.ones(2, 3, dtype=L.float32)      # noqa: E731
    kw = lambda L: {} if dtype is None else {"dtype": getattr(L, dtype)}  # noqa: E731
    t = getattr(torch, fn)(src(torch), **kw(torch))
    e = getattr(ember, fn)(src(ember), **kw(ember))
    assert tuple(e.shape) == tuple(t.shape) and dtype_name(e.dtype) == dtype_name(t.dtype)
    if fn in ("zeros_like", "ones_like"):
        assert_same(e, t)


def test_like_functions_requires_grad_and_int_source():
    e = ember.zeros_like(ember.ones(2, dtype=ember.int64), dtype=ember.float32,
                         requires_grad=True)
    assert e.requires_grad and e.is_leaf
    same(lambda L: L.zeros_like(L.ones(2, dtype=L.int64)))
    same(lambda L: L.full_like(L.ones(2, dtype=L.int32), 2.7))
    same(lambda L: L.full_like(L.ones(2), 7, dtype=L.float64))
    same(lambda L: L.ones_like(L.ones(2, 3).t()))


# --- arange / range ----------------------------------------------------------------------------

ARANGE = [(5,), (1, 4), (0, 1, 0.1), (1, 2.5, 0.5), (0.5,), (5, 0, -1), (1, 0, -0.1),
          (-1, 1, 0.3), (0, 0.3, 0.1), (-5, 5, 0.7), (3, 3), (0,), (10 ** 10, 10 ** 10 + 3),
          (-3, 7, 3), (7, -3, -3), (0, 2.9, 1), (1.9,), (-2.5, 3, 1), (0.5, 3.7, 1),
          (0, 5, 1.5), (2 ** 40, 2 ** 40 + 7, 2)]


@pytest.mark.parametrize("args", ARANGE)
@pytest.mark.parametrize("dtype", [None, "int64", "int32", "uint8", "float16", "bfloat16",
                                   "float32", "float64"])
def test_arange_length_and_values(args, dtype):
    kw = (lambda L: {}) if dtype is None else (lambda L: {"dtype": getattr(L, dtype)})
    try:
        t = torch.arange(*args, **kw(torch))
    except Exception as exc:          # e.g. int64 with step 0.5: the step truncates to 0
        with pytest.raises(type(exc)):
            ember.arange(*args, **kw(ember))
        return
    e = ember.arange(*args, **kw(ember))
    assert tuple(e.shape) == tuple(t.shape)
    assert dtype_name(e.dtype) == dtype_name(t.dtype)
    # values agree to the last bit or two: torch's vectorised kernel rounds block bases
    tol = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 2.5e-7}.get(dtype_name(t.dtype), 0)
    np.testing.assert_allclose(to_numpy(e).astype(np.float64), to_numpy(t).astype(np.float64),
                               rtol=tol, atol=tol * 4)


def test_arange_random_float_ranges_match_length():
    rng = np.random.default_rng(0)
    for _ in range(300):
        s = float(rng.uniform(-10, 10))
        st = float(rng.uniform(0.01, 3)) * (1 if rng.random() < 0.5 else -1)
        e = s + st * float(rng.integers(1, 200)) * float(rng.uniform(0.9, 1.1))
        for dt in ("float32", "float64"):
            t = torch.arange(s, e, st, dtype=getattr(torch, dt))
            m = ember.arange(s, e, st, dtype=getattr(ember, dt))
            assert m.shape == t.shape, (s, e, st)
            np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=3e-7 if dt == "float32"
                                       else 1e-15, atol=1e-6 if dt == "float32" else 1e-14)


@pytest.mark.parametrize("args", [(0, 5, 0), (0, 5, -1), (5, 0, 1), (0, float("nan")),
                                  (0, float("inf")), (0, 2, 0.5, "int64")])
def test_arange_errors(args):
    if args[-1] == "int64":
        same_error(lambda L: L.arange(*args[:-1], dtype=L.int64))
    else:
        msg, tmsg = same_error(lambda L: L.arange(*args))
        assert tmsg.split(" (")[0] in msg


def test_arange_tensor_arguments_and_out():
    same(lambda L: L.arange(L.tensor(3)))
    same(lambda L: L.arange(L.tensor(3.0)))
    same(lambda L: L.arange(L.tensor(1), 5, L.tensor(2)))
    for dt in ("float32", "float64", "int64", "int32"):
        def f(L):
            o = L.zeros(0, dtype=getattr(L, dt))
            r = L.arange(5, out=o)
            assert r is o
            return o
        same(f)


def test_range_is_inclusive_and_deprecated():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        e = ember.range(0, 3)
    with pytest.warns(UserWarning):
        t = torch.range(0, 3)
    assert_same(e, t)
    with pytest.warns(UserWarning):
        same(lambda L: L.range(1, 2, 0.25, dtype=L.float64))


# --- linspace / logspace -----------------------------------------------------------------------

LIN = [(0, 1, 5), (0, 1, 1), (0, 1, 0), (0, 10, 4), (3, -3, 7), (-1.3, 2.9, 7), (0.5, 9.7, 7),
       (0, -7, 4), (-3, 10, 6), (2, 2, 3), (1e-3, 1e3, 11)]


@pytest.mark.parametrize("args", LIN)
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "int32", "int16"])
def test_linspace_exact(args, dtype):
    same(lambda L: L.linspace(*args, dtype=dtype and getattr(L, dtype)))


def test_linspace_random_ranges_exact_in_float32_and_float64():
    rng = np.random.default_rng(1)
    for _ in range(300):
        s, e = (float(v) for v in rng.uniform(-10, 10, 2) * 10.0 ** rng.integers(-3, 3))
        n = int(rng.integers(2, 60))
        for dt in ("float32", "float64"):
            t = torch.linspace(s, e, n, dtype=getattr(torch, dt))
            m = ember.linspace(s, e, n, dtype=getattr(ember, dt))
            np.testing.assert_array_equal(m.numpy(), t.numpy(), err_msg=f"{s}, {e}, {n}")


@pytest.mark.parametrize("args", LIN[:8])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "complex64", "uint8"])
def test_linspace_narrow_and_complex_dtypes(args, dtype):
    if dtype == "uint8" and min(args[:2]) < 0:
        same_error(lambda L: L.linspace(float(min(args[:2])) - 1.5, 3, args[2], dtype=L.uint8))
        if all(isinstance(a, int) for a in args[:2]):
            same(lambda L: L.linspace(*args, dtype=L.uint8))     # ints wrap instead
        return
    tol = {"float16": 2e-3, "bfloat16": 1.6e-2}.get(dtype, 1e-6)
    same(lambda L: L.linspace(*args, dtype=getattr(L, dtype)), rtol=tol, atol=tol * 4)


def test_linspace_complex_tensor_args_and_out():
    same(lambda L: L.linspace(0, 1 + 1j, 4), rtol=1e-6)
    same(lambda L: L.linspace(L.tensor(0.0), L.tensor(1.0), 3))

    def f(L):
        o = L.zeros(0)
        assert L.linspace(0, 1, 3, out=o) is o
        return o
    same(f)
    msg, tmsg = same_error(lambda L: L.linspace(0, 1, -1))
    assert tmsg in msg


@pytest.mark.parametrize("args", [(0, 2, 5), (0, 3, 4, 2), (-1, 2, 4, 3), (2, -1, 7),
                                  (0.5, 3.5, 4), (1, 1, 1), (0, 2, 0)])
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "int32"])
def test_logspace(args, dtype):
    same(lambda L: L.logspace(*args, dtype=dtype and getattr(L, dtype)), rtol=3e-6)


def test_logspace_random_ranges_close():
    rng = np.random.default_rng(2)
    for _ in range(100):
        s, e = (float(v) for v in rng.uniform(-3, 3, 2))
        n, base = int(rng.integers(1, 30)), float(rng.choice([2.0, 10.0, 3.5]))
        for dt in ("float32", "float64"):
            t = torch.logspace(s, e, n, base=base, dtype=getattr(torch, dt))
            m = ember.logspace(s, e, n, base=base, dtype=getattr(ember, dt))
            np.testing.assert_allclose(m.numpy(), t.numpy(),
                                       rtol=2e-6 if dt == "float32" else 1e-14)


# --- eye ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [(3,), (2, 3), (3, 2), (0,), (1, 0)])
@pytest.mark.parametrize("dtype", [None, "int64", "bool", "float64"])
def test_eye(args, dtype):
    same(lambda L: L.eye(*args, dtype=dtype and getattr(L, dtype)))


def test_eye_errors_and_out():
    for bad in (lambda L: L.eye(-1), lambda L: L.eye(2, -1)):
        msg, tmsg = same_error(bad)
        assert tmsg in msg

    def f(L):
        o = L.ones(5, dtype=L.float64)
        assert L.eye(2, 3, out=o) is o
        return o
    same(f)


# --- out= for the other factories --------------------------------------------------------------

OUT_CASES = {
    "zeros": lambda L, o: L.zeros(2, 3, out=o),
    "ones": lambda L, o: L.ones(4, out=o),
    "full": lambda L, o: L.full((2,), 3, out=o),
    "empty": lambda L, o: L.empty(3, out=o).zero_(),
    "logspace": lambda L, o: L.logspace(0, 2, 3, out=o),
}


@pytest.mark.parametrize("name", list(OUT_CASES))
@pytest.mark.parametrize("out_dtype", ["float32", "float64", "int64"])
def test_out_resizes_and_keeps_out_dtype(name, out_dtype):
    def f(L):
        o = L.zeros(1, dtype=getattr(L, out_dtype))
        r = OUT_CASES[name](L, o)
        assert r is o
        return o
    same(f, rtol=1e-6)


def test_out_refuses_tensor_requiring_grad():
    same_error(lambda L: L.zeros(2, out=L.ones(2, requires_grad=True)))


# --- new_* methods -----------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda L, x: x.new_zeros(3), lambda L, x: x.new_zeros((3, 2)), lambda L, x: x.new_ones(3, 1),
    lambda L, x: x.new_ones([2], dtype=L.float64), lambda L, x: x.new_full((2,), 3.5),
    lambda L, x: x.new_full([2, 1], 7), lambda L, x: x.new_empty(3).shape,
    lambda L, x: x.new_tensor([1.5, 2]), lambda L, x: x.new_tensor(np.ones(2)),
    lambda L, x: x.new_tensor([1.5], dtype=L.float64), lambda L, x: x.new_zeros(()),
    lambda L, x: x.new_empty((2, 0)).shape,
])
@pytest.mark.parametrize("dtype", ["int32", "float64", "bool"])
def test_new_methods_take_self_dtype(call, dtype):
    same(lambda L: call(L, L.ones(2, dtype=getattr(L, dtype))))


def test_new_methods_requires_grad_and_copy_warning():
    x = ember.ones(2)
    assert x.new_zeros(2, requires_grad=True).requires_grad
    assert x.new_tensor([1.0], requires_grad=True).is_leaf
    with pytest.warns(UserWarning, match="tensor.new_tensor"):
        y = x.new_tensor(ember.ones(2, requires_grad=True))
    assert not y.requires_grad


# --- legacy Tensor(...) constructor --------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda L: L.Tensor(), lambda L: L.Tensor(2, 3).shape, lambda L: L.Tensor([1, 2]),
    lambda L: L.Tensor(L.Size([2])).shape, lambda L: L.Tensor(np.ones(2)),
    lambda L: L.Tensor((2, 3)), lambda L: L.Tensor([[1, 2], [3, 4]]),
    lambda L: L.Tensor(L.ones(2, dtype=L.float64)), lambda L: L.Tensor(0).shape,
])
def test_legacy_constructor(call):
    same(call)


def test_legacy_constructor_aliases_tensor_and_rejects_numbers():
    x = ember.ones(3)
    y = ember.Tensor(x)
    assert y.data_ptr() == x.data_ptr()
    same_error(lambda L: L.Tensor(1.5))
    assert isinstance(ember.Tensor([1.0]), ember.Tensor)


def test_device_argument():
    same(lambda L: L.zeros(2, device="cpu"))
    same(lambda L: L.tensor([1.0], device=L.device("cpu")))
    assert str(ember.ones(1, device="cpu:0").device) == str(torch.ones(1, device="cpu:0").device)
    with pytest.raises(RuntimeError, match="cuda"):
        ember.zeros(2, device="cuda")
    with pytest.raises(AssertionError):
        ember.arange(3, device="cuda:0")
