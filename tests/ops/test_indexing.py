"""Indexing against torch: t[index] (views for basic indices, copies for advanced ones),
t[index] = value (casting, broadcasting, autograd through views), and the gather/scatter family
with their in-place variants, gradients (repeated indices add up), gradcheck and errors."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import assert_same, check_against_torch

MASK345 = np.random.default_rng(7).random((3, 4, 5)) > 0.5
MASK34 = np.array([[True, False, True, True], [False, False, False, False],
                   [True, True, False, True]])
MASK4 = np.array([True, False, True, True])
MASK3 = np.array([True, False, True])


def _quiet(fn):
    """torch warns about list-as-tuple indices; ember follows the same rule silently."""
    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args)
    return run


# name -> fn(lib) -> index, applied to a (3, 4, 5) tensor
GET = {
    "int": lambda L: 1,
    "neg_int": lambda L: -1,
    "slice": lambda L: slice(1, 3),
    "basic_tuple": lambda L: (1, slice(None, None, 2), None, Ellipsis),
    "list": lambda L: [0, 2, 2],
    "list_neg": lambda L: [-1, 0],
    "list_of_lists": lambda L: [[0, 1], [1, 2]],
    "list_of_floats": lambda L: [0.7, 2.2],
    "list_with_slice": lambda L: [slice(0, 2), 1],
    "list_empty": lambda L: [],
    "tuple_in_tuple": lambda L: ((0, 2), 3),
    "tensor_int64": lambda L: L.tensor([2, 0, 2]),
    "tensor_int32": lambda L: L.tensor([1, 0], dtype=L.int32),
    "tensor_2d": lambda L: L.tensor([[0, 1], [2, 2]]),
    "tensor_0d": lambda L: L.tensor(2),
    "tensor_0d_pair": lambda L: (L.tensor(-1), slice(None), L.tensor(3)),
    "tensor_empty": lambda L: L.tensor([], dtype=L.int64),
    "numpy_index": lambda L: np.array([0, 2]),
    "mask_full": lambda L: L.tensor(MASK345),
    "mask_2d": lambda L: L.tensor(MASK345[:, :, 0]),
    "mask_dim1": lambda L: (slice(None), L.tensor(MASK4)),
    "mask_after_ellipsis": lambda L: (Ellipsis, L.tensor(MASK345[0])),
    "mask_all_false": lambda L: L.tensor(np.zeros(3, bool)),
    "bool_list": lambda L: [True, False, True],
    "py_true": lambda L: True,
    "py_false": lambda L: False,
    "py_true_with_list": lambda L: (True, [0, 1]),
    "list_with_py_true": lambda L: ([0, 1], True),
    "bool_0d_tensor": lambda L: L.tensor(True),
    "adv_separated": lambda L: ([0, 2], slice(None), [1, 3]),
    "adv_adjacent": lambda L: (slice(None), [0, 2], [1, 3]),
    "int_then_adv_separated": lambda L: (0, slice(None), [0, 1]),
    "adv_then_int_separated": lambda L: ([0, 1], slice(None), 0),
    "int_adv_adjacent": lambda L: (slice(None), 0, [0, 1]),
    "adv_broadcast": lambda L: (L.tensor([[0], [2]]), slice(None), L.tensor([1, 3, 4])),
    "adv_none_adv": lambda L: ([0, 1], None, [1, 2]),
    "none_adv": lambda L: (None, [0, 1]),
    "ellipsis_adv": lambda L: (Ellipsis, [0, 4]),
    "adv_ellipsis_adv": lambda L: ([0, 1], Ellipsis, [1, 2]),
    "slice_mask": lambda L: (slice(1, None), L.tensor(MASK4)),
    "mask_and_index": lambda L: (L.tensor(MASK3), L.tensor([0, 3])),
    "step_slice_adv": lambda L: (slice(None, None, 2), [1, 2]),
    "adv_dupes_2d": lambda L: (L.tensor([[0, 0], [2, 0]]), L.tensor([[1, 1], [1, 1]])),
}


@pytest.mark.parametrize("name", sorted(GET))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_getitem_matches_torch(name, dtype):
    e, t = check_against_torch(_quiet(lambda L, x: x[GET[name](L)]), [(3, 4, 5)], dtype)
    assert e._is_view() == t._is_view(), "a view exactly when torch makes one"


@pytest.mark.parametrize("name", ["int", "basic_tuple", "list", "mask_dim1", "adv_separated",
                                  "int_then_adv_separated", "adv_broadcast", "slice_mask"])
def test_getitem_noncontiguous_input(name):
    check_against_torch(_quiet(lambda L, x: x[GET[name](L)]), [(3, 4, 5)], "float32",
                        noncontig=True)


@pytest.mark.parametrize("index", [None, Ellipsis, (), True, False, "true_tensor", "false_tensor",
                                   (None, None)])
def test_getitem_of_0d_tensor(index):
    def fn(L, x):
        i = {"true_tensor": L.tensor(True), "false_tensor": L.tensor(False)}.get(
            index if isinstance(index, str) else None, index)
        return x[i]
    check_against_torch(fn, [()], "float64")


@pytest.mark.parametrize("name", ["list", "mask_full", "adv_separated", "int_then_adv_separated",
                                  "adv_dupes_2d", "py_true_with_list", "tensor_2d"])
def test_getitem_gradcheck_float64(name):
    x = ember.tensor(np.random.default_rng(0).standard_normal((3, 4, 5)), requires_grad=True)
    f = lambda x: x[GET[name](ember)]       # noqa: E731
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


def test_getitem_duplicate_indices_accumulate_gradient():
    def fn(L, x):
        return x[[0, 0, 2, 0]] * L.tensor([1.0, 2.0, 3.0, 4.0], dtype=x.dtype).unsqueeze(1)
    e, _ = check_against_torch(fn, [(3, 2)], "float64")


@pytest.mark.parametrize("op", ["getitem", "mask", "gather", "index_select", "take",
                                "masked_select", "index_add"])
def test_writing_to_the_index_after_the_op_leaves_the_gradient_alone(op):
    x = ember.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    idx = ember.tensor([1, 1]) if op != "gather" else ember.tensor([[1, 1, 0]])
    mask = ember.tensor([[True, False, True], [False, False, True]])
    y = {"getitem": lambda: x[idx], "mask": lambda: x[mask],
         "gather": lambda: x.gather(0, idx), "index_select": lambda: x.index_select(1, idx),
         "take": lambda: x.take(idx), "masked_select": lambda: x.masked_select(mask),
         "index_add": lambda: x.index_add(0, idx, ember.ones(2, 3, dtype=x.dtype))}[op]()
    want = ember.autograd.grad(y.sum(), x, retain_graph=True)[0].numpy().copy()
    idx.zero_()
    mask.fill_(True)
    got = ember.autograd.grad(y.sum(), x)[0].numpy()
    np.testing.assert_array_equal(got, want)


def test_uint8_index_is_a_deprecated_mask():
    a = np.arange(12.0).reshape(3, 4)
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        t = torch.tensor(a)[torch.tensor([1, 0, 1], dtype=torch.uint8)]
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        e = ember.tensor(a)[ember.tensor([1, 0, 1], dtype=ember.uint8)]
    assert_same(e, t)


# --- setitem ------------------------------------------------------------------------------------
S = "scalar"
# name -> (fn(lib) -> index, value shape or S)
SET = {
    "int_scalar": (lambda L: 1, S),
    "int_tensor": (lambda L: 1, (4, 5)),
    "int_broadcast": (lambda L: -1, (5,)),
    "int_leading_ones": (lambda L: 1, (1, 1, 5)),
    "slice_tensor": (lambda L: slice(0, 2), (2, 4, 5)),
    "slice_broadcast": (lambda L: slice(1, None), (4, 1)),
    "basic_tuple": (lambda L: (0, slice(None, None, 2), None, Ellipsis), S),
    "ellipsis": (lambda L: Ellipsis, (5,)),
    "none": (lambda L: None, (3, 4, 5)),
    "tensor_0d": (lambda L: L.tensor(1), (4, 5)),
    "py_true": (lambda L: True, (3, 4, 5)),
    "py_false": (lambda L: False, (5,)),
    "list": (lambda L: [0, 2], (2, 4, 5)),
    "list_dupes_scalar": (lambda L: [0, 0, 2], S),
    "list_broadcast": (lambda L: [2, 0], (5,)),
    "list_leading_ones": (lambda L: [2, 0], (1, 1, 4, 5)),
    "tensor_int32": (lambda L: L.tensor([1], dtype=L.int32), (1, 4, 5)),
    "tensor_2d": (lambda L: L.tensor([[0, 1], [2, 1]]), S),
    "mask_scalar": (lambda L: L.tensor(MASK345), S),
    "mask_values": (lambda L: L.tensor(MASK345), (int(MASK345.sum()),)),
    "mask_one_value": (lambda L: L.tensor(MASK345), (1,)),
    "mask_0d_value": (lambda L: L.tensor(MASK345), ()),
    "mask_dim1": (lambda L: (slice(None), L.tensor(MASK4)), (3, 3, 5)),
    "mask_dim1_broadcast": (lambda L: (slice(None), L.tensor(MASK4)), (3, 1, 1)),
    "mask_2d_rows": (lambda L: L.tensor(MASK34), (int(MASK34.sum()), 5)),
    "mask_2d_broadcast": (lambda L: L.tensor(MASK34), (5,)),
    "int_adv_separated": (lambda L: (0, slice(None), [0, 1]), (4, 2)),
    "adv_separated": (lambda L: ([0, 2], slice(None), [1, 3]), (2, 4)),
    "adv_adjacent": (lambda L: (slice(None), [0, 2], [1, 3]), (3, 2)),
    "adv_broadcast_value": (lambda L: (slice(None), [0, 2], [1, 3]), (2,)),
    "slice_then_adv": (lambda L: (slice(1, 3), [3, 0]), (2, 2, 5)),
    "bool_list": (lambda L: [True, False, True], S),
}


def _set_fn(index, shape):
    if shape == S:
        def fn(L, x):
            y = x * 1
            y[index(L)] = 2.5
            return y * y
    else:
        def fn(L, x, v):
            y = x * 1
            y[index(L)] = v
            return y * y
    return _quiet(fn)


@pytest.mark.parametrize("name", sorted(SET))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_setitem_in_graph_matches_torch(name, dtype):
    index, vshape = SET[name]
    shapes = [(3, 4, 5)] + ([] if vshape == S else [vshape])
    check_against_torch(_set_fn(index, vshape), shapes, dtype)


@pytest.mark.parametrize("name", sorted(SET))
def test_setitem_without_grad_matches_torch(name):
    index, vshape = SET[name]
    shapes = [(3, 4, 5)] + ([] if vshape == S else [vshape])
    check_against_torch(_set_fn(index, vshape), shapes, "float32", grad=False)


@pytest.mark.parametrize("name", ["int_tensor", "list", "mask_values", "mask_one_value",
                                  "adv_separated", "slice_then_adv"])
def test_setitem_into_tensor_without_grad_flows_to_value(name):
    index, vshape = SET[name]

    def fn(L, x, v):
        y = L.zeros(3, 4, 5, dtype=v.dtype)
        y[index(L)] = v * x.sum()
        return y.sin()
    check_against_torch(_quiet(fn), [(2,), vshape], "float64")


def test_setitem_through_a_view_updates_the_view_and_the_base():
    def fn(L, x, v):
        y = x * 1
        r = y[1]                 # a view of y
        r[[0, 2]] = v            # advanced write through the view
        r[1, 1:] = 0.0           # basic write through a view of the view
        return (r * r).sum() * 3 + (y * y * y).sum()
    check_against_torch(fn, [(3, 4, 5), (2, 5)], "float64")


def test_setitem_through_view_of_tensor_without_grad():
    def fn(L, x, v):
        y = L.zeros(3, 4, dtype=x.dtype)
        r = y.t()
        r[1:3] = v               # y gains history through its view
        r[0, [0, 2]] = x
        return y * y
    check_against_torch(fn, [(2,), (2, 3)], "float64")


@pytest.mark.parametrize("how", ["column_from_row", "diagonal_from_row", "same_view"])
def test_setitem_from_strided_overlapping_views_matches_torch(how):
    """torch copies strided overlapping views element by element without complaint."""
    res = []
    for L in (torch, ember):
        x = L.arange(9.0).reshape(3, 3)
        if how == "column_from_row":
            x[:, 0] = x[0]
        elif how == "diagonal_from_row":
            x.diagonal().copy_(x[0])
        else:
            x[1:] = x[1:]
        res.append(x)
    assert_same(res[1], res[0])


def test_augmented_assignment_through_indices_in_graph():
    def fn(L, x):
        y = x * 1
        y[0] += 1
        y[[1, 2]] *= 2
        y[y > 0.5] -= y.detach()[y > 0.5]
        y[:, 1] /= 3
        y[1:, 2] = y[1:, 2]          # a view copied onto itself (full overlap is fine)
        return y * y
    check_against_torch(fn, [(3, 4)], "float64")


def test_setitem_gradcheck_float64():
    rng = np.random.default_rng(1)
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    v = ember.tensor(rng.standard_normal((2,)), requires_grad=True)
    w = ember.tensor(rng.standard_normal(()), requires_grad=True)

    def f(x, v, w):
        y = x * x
        y[[0, 2], [1, 3]] = v
        y[1, 1:] = w
        y[ember.tensor(MASK34)] = y[ember.tensor(MASK34)] * 2
        return y
    assert ember.autograd.gradcheck(f, (x, v, w))
    assert ember.autograd.gradgradcheck(f, (x, v, w))


# name -> (tensor dtype, index, value): the value is converted as torch converts it
CASTS = {
    "int_from_float": ("int64", 0, 2.7),
    "int_from_negative_float": ("int32", [1], -2.7),
    "int_from_bool": ("int64", slice(None), True),
    "uint8_wraps_negative_int": ("uint8", 0, -1),
    "bool_from_int": ("bool", [0, 2], 2),
    "float_from_int_tensor": ("float32", slice(0, 2), "int_tensor"),
    "int_from_float_tensor": ("int64", 1, "float_tensor"),
    "float64_from_float32_tensor_basic": ("float64", Ellipsis, "float32_tensor"),
    "mask_with_int_0d_tensor": ("float32", "mask", "int_0d"),
    "mask_with_float64_1_element": ("float32", "mask", "float64_1"),
    "complex_from_float": ("complex64", [0], 1.5),
    "float_from_real_complex": ("float32", 0, 2 + 0j),
    "half_overflow_is_inf": ("float16", 0, 1e6),
    "numpy_float64": ("float64", [1, 2], np.float64(1.25)),
    "numpy_int": ("float32", 1, np.int32(3)),
}


@pytest.mark.parametrize("name", sorted(CASTS))
def test_setitem_casts_values_like_torch(name):
    dtype, index, value = CASTS[name]
    res = []
    for L in (torch, ember):
        y = L.zeros(3, dtype=getattr(L, dtype))
        v = {"int_tensor": lambda: L.tensor([3, 4]),
             "float_tensor": lambda: L.tensor(7.9),
             "float32_tensor": lambda: L.tensor([0.1, 0.2, 0.3]),
             "int_0d": lambda: L.tensor(4),
             "float64_1": lambda: L.tensor([1.1], dtype=L.float64)}.get(
                 value if isinstance(value, str) else None, lambda: value)()
        i = L.tensor([True, False, True]) if isinstance(index, str) else index
        y[i] = v
        res.append(y)
    assert_same(res[1], res[0])


def test_setitem_complex_into_real_warns_like_torch():
    # torch warns once per process unless warn_always is on (an earlier test may have used it up)
    always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        for L in (torch, ember):
            y = L.zeros(2)
            with pytest.warns(UserWarning, match="discards the imaginary part"):
                y[0] = L.tensor(3 + 1j)
            assert y.tolist() == [3.0, 0.0]
    finally:
        torch.set_warn_always(always)


# --- the gather / scatter family ----------------------------------------------------------------
IDX = [[0, 1, 2, 0], [2, 0, 1, 1]]          # unique per column: scatter writes are determined
IDX_DUPES = [[0, 1, 2, 0], [0, 1, 0, 0]]

# name -> (shapes, fn(lib, *inputs), grad compared with torch)
OPS = {
    "gather": ([(3, 4)], lambda L, x: L.gather(x, 0, L.tensor(IDX_DUPES)), True),
    "gather_dim1": ([(3, 4)], lambda L, x: x.gather(1, L.tensor([[0, 0, 3], [1, 1, 1]])), True),
    "gather_neg_dim_3d": ([(2, 3, 4)], lambda L, x: x.gather(-1, L.tensor([[[3], [0], [0]]])),
                          True),
    "gather_int32": ([(3, 4)], lambda L, x: x.gather(0, L.tensor(IDX, dtype=L.int32)), True),
    "gather_0d": ([()], lambda L, x: x.gather(0, L.tensor(0)), True),
    "gather_0d_input_1d_index": ([()], lambda L, x: x.gather(0, L.tensor([0, 0])), True),
    "gather_empty": ([(3, 4)], lambda L, x: x.gather(0, L.zeros(0, 4, dtype=L.int64)), True),
    "take_along_dim": ([(3, 4)], lambda L, x: L.take_along_dim(x, L.tensor([[2, 0]]), dim=1),
                       True),
    "take_along_dim_flat": ([(3, 4)], lambda L, x: x.take_along_dim(L.tensor([5, 0, 5])), True),
    "scatter": ([(3, 4), (2, 4)], lambda L, x, s: L.scatter(x, 0, L.tensor(IDX), s), True),
    "scatter_dim1": ([(2, 4), (2, 2)],
                     lambda L, x, s: x.scatter(1, L.tensor([[3, 0], [1, 2]]), s), True),
    "scatter_value": ([(3, 4)], lambda L, x: x.scatter(1, L.tensor([[0, 3], [2, 1]]), 2.5),
                      True),
    "scatter_value_kw": ([(3, 4)], lambda L, x: L.scatter(x, 0, L.tensor(IDX), value=-1), True),
    "scatter_reduce_add": ([(3, 4), (2, 4)], _quiet(
        lambda L, x, s: x.scatter(0, L.tensor(IDX_DUPES), s, reduce="add")), False),
    "scatter_reduce_multiply": ([(3, 4), (2, 4)], _quiet(lambda L, x, s: L.scatter(
        x, 0, L.tensor(IDX_DUPES), s, reduce="multiply")), False),
    "scatter_value_reduce_add": ([(3, 4)], lambda L, x: L.scatter(
        x, 0, L.tensor(IDX_DUPES), 1.5, reduce="add"), False),
    "scatter_add": ([(3, 4), (2, 4)],
                    lambda L, x, s: L.scatter_add(x, 0, L.tensor(IDX_DUPES), s), True),
    "scatter_add_src_larger": ([(3, 4), (3, 5)],
                               lambda L, x, s: x.scatter_add(1, L.tensor([[0, 0], [3, 0]]), s),
                               False),      # torch cannot differentiate this; ember pads
    "index_select": ([(3, 4)], lambda L, x: L.index_select(x, 1, L.tensor([3, 0, 3])), True),
    "index_select_int32": ([(3, 4)], lambda L, x: x.index_select(0, L.tensor([2], dtype=L.int32)),
                           True),
    "index_select_0d_index": ([(3, 4)], lambda L, x: x.index_select(0, L.tensor(1)), True),
    "index_select_0d_input": ([()], lambda L, x: x.index_select(0, L.tensor([0])), True),
    "masked_fill": ([(3, 4)], lambda L, x: x.masked_fill(L.tensor(MASK34), -1.5), True),
    "masked_fill_mask_broadcast": ([(3, 4)], lambda L, x: L.masked_fill(x, L.tensor(MASK4), 2),
                                   True),
    "masked_fill_input_broadcast": ([(4,)], lambda L, x: x.masked_fill(L.tensor(MASK34), 0.5),
                                    True),
    "masked_fill_tensor_value": ([(3, 4), ()],
                                 lambda L, x, v: x.masked_fill(L.tensor(MASK34), v), True),
    "masked_select": ([(3, 4)], lambda L, x: L.masked_select(x, L.tensor(MASK34)), True),
    "masked_select_broadcast": ([(4,)], lambda L, x: x.masked_select(L.tensor(MASK34)), True),
    "take": ([(3, 4)], lambda L, x: L.take(x, L.tensor([[0, 11], [-1, 5], [5, 5]])), True),
    "take_0d_index": ([(3, 4)], lambda L, x: x.take(L.tensor(3)), True),
    "index_add": ([(3, 4), (2, 4)],
                  lambda L, x, s: L.index_add(x, 0, L.tensor([2, 2]), s, alpha=2), True),
    "index_add_dim1": ([(3, 4), (3, 3)], lambda L, x, s: x.index_add(1, L.tensor([0, 3, 0]), s),
                       True),
    "index_copy": ([(3, 4), (3, 2)], lambda L, x, s: x.index_copy(1, L.tensor([3, 0]), s), True),
    "index_fill": ([(3, 4)], lambda L, x: x.index_fill(1, L.tensor([0, 2, -1]), -2.0), True),
    "index_fill_tensor_value": ([(3, 4), ()],
                                lambda L, x, v: L.index_fill(x, 0, L.tensor([1, 1]), v), True),
    "index_put": ([(3, 4), (2,)],
                  lambda L, x, v: x.index_put((L.tensor([0, 2]), L.tensor([1, 3])), v), True),
    "index_put_accumulate": ([(3, 4), (3,)], lambda L, x, v: L.index_put(
        x, (L.tensor([0, 0, 2]), L.tensor([1, 1, 3])), v, accumulate=True), True),
    "index_put_mask": ([(3, 4), ()], lambda L, x, v: x.index_put((L.tensor(MASK34),), v), True),
    "index_put_rows": ([(3, 4), (4,)], lambda L, x, v: x.index_put([L.tensor([2, 0])], v), True),
}


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_index_ops_match_torch(name, dtype):
    shapes, fn, grad = OPS[name]
    check_against_torch(fn, shapes, dtype, grad=grad)


@pytest.mark.parametrize("name", ["gather", "index_select", "take", "masked_select", "scatter",
                                  "index_add", "masked_fill", "index_copy"])
def test_index_ops_noncontiguous_inputs(name):
    shapes, fn, grad = OPS[name]
    check_against_torch(fn, shapes, "float32", noncontig=True)


@pytest.mark.parametrize("name", ["gather", "index_select", "take", "masked_fill"])
def test_index_ops_integer_inputs(name):
    shapes, fn, _ = OPS[name]
    check_against_torch(fn, shapes, "int64", grad=False)


@pytest.mark.parametrize("name", sorted(n for n in OPS if OPS[n][2] and OPS[n][0][0] != (3, 4)
                                        or n in ("gather", "scatter", "scatter_add", "take",
                                                 "index_add", "index_fill_tensor_value",
                                                 "masked_fill_tensor_value", "masked_select",
                                                 "index_put_accumulate", "index_copy",
                                                 "index_select", "index_put_mask")))
def test_index_ops_gradcheck_float64(name):
    shapes, fn, _ = OPS[name]
    rng = np.random.default_rng(5)
    xs = [ember.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    f = lambda *xs: fn(ember, *xs)      # noqa: E731
    assert ember.autograd.gradcheck(f, xs)
    assert ember.autograd.gradgradcheck(f, xs)


def test_scatter_with_src_larger_than_index_pads_its_gradient():
    x = ember.zeros(3, 4, dtype=ember.float64, requires_grad=True)
    s = ember.tensor(np.arange(15.0).reshape(3, 5), requires_grad=True)
    out = ember.scatter(x, 0, ember.tensor(IDX), s)
    t = torch.scatter(torch.zeros(3, 4, dtype=torch.float64), 0, torch.tensor(IDX),
                      torch.tensor(np.arange(15.0).reshape(3, 5)))
    assert_same(out, t)
    g = np.arange(12.0).reshape(3, 4)
    out.backward(ember.tensor(g))
    want = np.zeros((3, 5))
    want[:2, :4] = np.take_along_axis(g, np.array(IDX), 0)
    np.testing.assert_allclose(s.grad.numpy(), want)


def test_scatter_reduce_argument_with_tensor_src_is_deprecated_as_in_torch():
    x, s = ember.zeros(3, 4), ember.ones(2, 4)
    with pytest.warns(UserWarning, match="Use torch.scatter_reduce instead"):
        x.scatter(0, ember.tensor(IDX), s, reduce="add")


def test_scatter_multiply_gradient_is_not_implemented():
    x = ember.ones(3, 4, requires_grad=True)
    out = x.scatter(0, ember.tensor(IDX), 2.0, reduce="multiply")
    assert_same(out, torch.ones(3, 4).scatter(0, torch.tensor(IDX), 2.0, reduce="multiply"))
    with pytest.raises(RuntimeError, match="not implemented"):
        out.sum().backward()


# name -> fn(lib, x, s) doing an in-place op on y = x * 1 (or a view of it)
INPLACE = {
    "scatter_": lambda L, x, s: (x * 1).scatter_(0, L.tensor(IDX), s),
    "scatter_value_": lambda L, x, s: (x * s.sum()).scatter_(1, L.tensor([[0], [3]]), 1.5),
    "scatter_add_": lambda L, x, s: (x * 1).scatter_add_(0, L.tensor(IDX_DUPES), s),
    "index_add_": lambda L, x, s: (x * 1).index_add_(0, L.tensor([1, 1]), s, alpha=-0.5),
    "index_copy_": lambda L, x, s: (x * 1).index_copy_(0, L.tensor([2, 0]), s),
    "index_fill_": lambda L, x, s: (x * s.sum()).index_fill_(1, L.tensor([1]), 3.0),
    "index_fill_tensor_": lambda L, x, s: (x * 1).index_fill_(1, L.tensor([1, 3]), s.sum()),
    "masked_fill_": lambda L, x, s: (x * s.sum()).masked_fill_(L.tensor(MASK34), 0.0),
    "masked_fill_tensor_": lambda L, x, s: (x * 1).masked_fill_(L.tensor(MASK4), s[0, 1]),
    "index_put_": lambda L, x, s: (x * 1).index_put_((L.tensor([0, 2]),), s),
    "index_put_accumulate_": lambda L, x, s: (x * 1).index_put_(
        (L.tensor([0, 0]), L.tensor([1, 1])), s[0, :2], accumulate=True),
    "on_a_view": lambda L, x, s: _on_view(L, x, s),
}


def _on_view(L, x, s):
    y = x * 1
    y[1:].t().index_add_(0, L.tensor([3, 3]), s.t()[:2])
    y.narrow(1, 1, 2).masked_fill_(L.tensor([[True, False]]), 9.0)
    return y


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_index_ops_in_graph_match_torch(name):
    check_against_torch(lambda L, x, s: INPLACE[name](L, x, s) ** 2, [(3, 4), (2, 4)], "float64")


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_index_ops_write_into_self(name):
    a = np.random.default_rng(2).standard_normal((3, 4))
    b = np.random.default_rng(3).standard_normal((2, 4))
    tx, ex = torch.tensor(a), ember.tensor(a)
    op_name = name.rstrip("_").replace("_tensor", "").replace("_value", "").replace(
        "_accumulate", "")
    if op_name == "on_a_view":
        return
    # the functional form on a fresh tensor equals the in-place form's result
    tr = INPLACE[name](torch, tx, torch.tensor(b))
    er = INPLACE[name](ember, ex, ember.tensor(b))
    assert_same(er, tr)


def test_inplace_index_op_on_leaf_requiring_grad_raises():
    x = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.masked_fill_(ember.tensor([True, False, True]), 1.0)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.index_put_((ember.tensor([0]),), ember.tensor(1.0))


def test_index_op_grad_fn_names_match_torch():
    cases = [lambda L, x: x.gather(0, L.tensor([[1]])),
             lambda L, x: x.index_select(0, L.tensor([1])),
             lambda L, x: x.masked_fill(x > 1, 0.0), lambda L, x: x.masked_select(x > 1),
             lambda L, x: x.take(L.tensor([1])), lambda L, x: x[[0]], lambda L, x: x[x > 1],
             lambda L, x: x.scatter(0, L.tensor([[1]]), 1.0),
             lambda L, x: x.scatter(0, L.tensor([[1]]), x[:1, :1]),
             lambda L, x: x.scatter_add(0, L.tensor([[1]]), x[:1, :1]),
             lambda L, x: x.index_add(0, L.tensor([1]), x[:1]),
             lambda L, x: x.index_fill(0, L.tensor([1]), 2.0),
             lambda L, x: x.index_copy(0, L.tensor([1]), x[:1]),
             lambda L, x: x.index_put((L.tensor([1]),), x[0])]
    tx = torch.zeros(3, 4, requires_grad=True)
    ex = ember.zeros(3, 4, requires_grad=True)
    for f in cases:
        assert f(ember, ex).grad_fn.name() == f(torch, tx).grad_fn.name()


# --- errors -------------------------------------------------------------------------------------
def _same_error(fn, match=None):
    """fn(torch) and fn(ember) raise the same kind of error; ember's message contains torch's
    (or ``match`` when ember words it differently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(Exception) as te:
            fn(torch)
        with pytest.raises(Exception) as ee:
            fn(ember)
    for kind in (IndexError, ValueError, TypeError, RuntimeError):
        if isinstance(te.value, kind):
            assert isinstance(ee.value, kind), (te.value, ee.value)
            break
    expected = match if match is not None else str(te.value).split("\n")[0]
    assert expected in str(ee.value), (str(te.value), str(ee.value))


def _x(L, dtype=None):
    return L.arange(12.0).reshape(3, 4) if dtype is None else L.zeros(3, dtype=dtype)


def _set(x, i, v):
    x[i] = v


ERRORS = {
    # getitem
    "get_int_range": (lambda L: _x(L)[3], None),
    "get_int_range_dim1": (lambda L: _x(L)[:, -5], None),
    "get_tensor_range": (lambda L: _x(L)[L.tensor([0, 3])], None),
    "get_tensor_range_neg": (lambda L: _x(L)[L.tensor([[0, -4]])], None),
    "get_list_range_dim1": (lambda L: _x(L)[:, [1, 4]],     # torch says "dimension 0" here
                            "index 4 is out of bounds for dimension 1 with size 4"),
    "get_too_many": (lambda L: _x(L)[0, 0, 0], None),
    "get_too_many_adv": (lambda L: _x(L)[[0], [0], [0]], None),
    "get_mask_shape": (lambda L: _x(L)[L.tensor([True, False])], None),
    "get_mask_shape_dim1": (lambda L: _x(L)[:, L.tensor([True, False])], None),
    "get_mask_2d_shape": (lambda L: _x(L)[L.tensor([[True, False, True, True]])], None),
    "get_broadcast": (lambda L: _x(L)[[0, 1], [0, 1, 2]], None),
    "get_float_tensor": (lambda L: _x(L)[L.tensor([0.0, 1.0])], None),
    "get_int16_tensor": (lambda L: _x(L)[L.tensor([0, 1], dtype=L.int16)], None),
    "get_float": (lambda L: _x(L)[1.5], None),
    "get_float_in_tuple": (lambda L: _x(L)[0, 1.5], None),
    "get_negative_step": (lambda L: _x(L)[::-1], None),
    "get_0d": (lambda L: L.tensor(1.0)[0], None),
    # setitem
    "set_dtype": (lambda L: _set(_x(L, L.float64), L.tensor([0]), L.tensor([1.5])), None),
    "set_dtype_int_value": (lambda L: _set(_x(L, L.float64), [0, 1], L.tensor([3, 4])), None),
    "set_shape_before_dtype": (lambda L: _set(_x(L, L.float64), [0, 1], L.ones(2, 1)), None),
    "set_shape": (lambda L: _set(_x(L), (slice(None), [0, 1]), L.ones(3)), None),
    "set_mask_shape": (lambda L: _set(_x(L), _x(L) > 0, L.ones(3)), None),
    "set_basic_shape": (lambda L: _set(_x(L, L.float32), slice(0, 3), L.ones(2)), None),
    "set_basic_ndim": (lambda L: _set(_x(L, L.float32), 0, L.ones(2)), None),
    "set_overflow_int": (lambda L: _set(_x(L, L.int32), [0], 2 ** 40), None),
    "set_overflow_uint8": (lambda L: _set(_x(L, L.uint8), 0, 256), None),
    "set_nan_into_int": (lambda L: _set(_x(L, L.int8), 0, float("nan")), None),
    "set_overflow_float": (lambda L: _set(_x(L, L.float32), 0, 1e300), None),
    "set_complex_into_float": (lambda L: _set(_x(L, L.float64), [0], 3 + 1j), None),
    "set_list_value": (lambda L: _set(_x(L, L.float64), [0, 1], [5, 6]), None),
    "set_numpy_value": (lambda L: _set(_x(L, L.float64), 0, np.array([1.0])), None),
    "set_str_value": (lambda L: _set(_x(L, L.float64), 0, "a"), None),
    "set_numpy_float32_value": (lambda L: _set(_x(L, L.float64), 0, np.float32(1)), None),
    "set_numpy_bool_value": (lambda L: _set(_x(L, L.float64), [0], np.bool_(True)), None),
    "set_range": (lambda L: _set(_x(L, L.float64), 5, 1.0), None),
    "set_tensor_range": (lambda L: _set(_x(L, L.float64), L.tensor([0, 5]), 1.0), None),
    "set_too_many": (lambda L: _set(_x(L, L.float64), L.tensor([[True, True, True]]), 1.0), None),
    "set_partial_overlap": (lambda L: (lambda x: _set(x, slice(1, None), x[:-1]))(
        L.arange(5.0)), None),
    "copy_partial_overlap": (lambda L: (lambda x: x[0].copy_(x.view(-1)[1:4]))(
        L.arange(9.0).reshape(3, 3)), None),
    "set_leaf": (lambda L: _set(L.zeros(3, requires_grad=True), [0], 1.0), None),
    "set_view_of_leaf": (lambda L: _set(L.zeros(3, requires_grad=True), 0, 1.0), None),
    # gather / scatter family
    "gather_dims": (lambda L: L.gather(_x(L), 0, L.tensor([0])), None),
    "gather_size": (lambda L: L.gather(_x(L), 0, L.zeros(2, 5, dtype=L.int64)), None),
    "gather_range": (lambda L: L.gather(_x(L), 0, L.tensor([[5]])), None),
    "gather_negative": (lambda L: L.gather(_x(L), 0, L.tensor([[-1]])), None),
    "gather_dtype": (lambda L: L.gather(_x(L), 0, L.zeros(2, 2, dtype=L.int16)), None),
    "gather_dim": (lambda L: L.gather(_x(L), 2, L.tensor([[0]])), None),
    "scatter_sizes": (lambda L: L.scatter(_x(L), 0, L.tensor(IDX), L.ones(2, 3)), None),
    "scatter_sizes_value": (lambda L: L.scatter(_x(L), 1, L.zeros(4, 1, dtype=L.int64), 1.0),
                            "Expected index [4, 1] to be no larger than self [3, 4]"),
    "scatter_src_dtype": (lambda L: _x(L).scatter(0, L.tensor(IDX), L.ones(2, 4,
                                                                       dtype=L.float64)), None),
    "scatter_index_dtype": (lambda L: L.scatter(_x(L), 0, L.zeros(2, 2), 1.0), None),
    "scatter_src_dims": (lambda L: L.scatter(_x(L), 0, L.zeros(2, 2, dtype=L.int64),
                                             L.ones(2, 2, 2)), None),
    "scatter_self_dims": (lambda L: L.scatter(_x(L), 0, L.zeros(2, dtype=L.int64), 1.0), None),
    "scatter_range": (lambda L: L.scatter(_x(L), 0, L.tensor([[5]]), 1.0), None),
    "scatter_reduce_name": (lambda L: L.scatter(_x(L), 0, L.tensor(IDX), L.ones(2, 4),
                                                reduce="max"), None),
    "scatter_add_number": (lambda L: L.scatter_add(_x(L), 0, L.tensor(IDX), 1.0),
                           "must be Tensor, not float"),
    "scatter_add_dtype": (lambda L: _x(L).scatter_add_(0, L.tensor(IDX),
                                                       L.ones(2, 4, dtype=L.int64)), None),
    "index_select_vector": (lambda L: L.index_select(_x(L), 0, L.tensor([[0]])), None),
    "index_select_dtype": (lambda L: L.index_select(_x(L), 0, L.tensor([0.0])), None),
    "index_select_range": (lambda L: L.index_select(_x(L), 0, L.tensor([3])), None),
    "index_select_negative": (lambda L: L.index_select(_x(L), 0, L.tensor([-1])), None),
    "masked_fill_mask_dtype": (lambda L: _x(L).masked_fill(_x(L) > 5.0 + 0, 1.0)
                               if False else _x(L).masked_fill((_x(L) > 5).float(), 1.0), None),
    "masked_fill_uint8": (lambda L: _x(L).masked_fill((_x(L) > 5).to(L.uint8), 1.0), None),
    "masked_fill_value_dims": (lambda L: _x(L).masked_fill(_x(L) > 5, L.tensor([1.0])), None),
    "masked_fill_broadcast": (lambda L: _x(L).masked_fill(L.ones(2, dtype=L.bool), 2.0), None),
    "masked_fill_inplace_shape": (lambda L: _x(L)[0].clone().masked_fill_(_x(L) > 5, 2.0), None),
    "masked_fill_complex_into_float": (lambda L: _x(L).masked_fill(_x(L) > 5, 1 + 2j), None),
    "masked_select_dtype": (lambda L: _x(L).masked_select((_x(L) > 5).float()), None),
    "masked_select_broadcast": (lambda L: _x(L).masked_select(L.ones(2, dtype=L.bool)), None),
    "take_range": (lambda L: L.take(_x(L), L.tensor([12])), None),
    "take_range_neg": (lambda L: L.take(_x(L), L.tensor([-13])), None),
    "take_dtype": (lambda L: L.take(_x(L), L.tensor([1], dtype=L.int32)), None),
    "index_add_range": (lambda L: L.index_add(_x(L), 0, L.tensor([0, 5]), L.ones(2, 4)), None),
    "index_add_count": (lambda L: L.index_add(_x(L), 0, L.tensor([0, 1]), L.ones(3, 4)), None),
    "index_add_shape": (lambda L: L.index_add(_x(L), 0, L.tensor([0, 1]), L.ones(2, 3)), None),
    "index_add_dtype": (lambda L: L.index_add(_x(L), 0, L.tensor([0, 1]),
                                              L.ones(2, 4, dtype=L.float64)), None),
    "index_add_index_dtype": (lambda L: L.index_add(_x(L), 0, L.tensor([0.0, 1]),
                                                    L.ones(2, 4)), None),
    "index_add_vector": (lambda L: L.index_add(_x(L), 0, L.tensor([[0, 1]]), L.ones(2, 4)), None),
    "index_fill_range": (lambda L: _x(L).index_fill_(1, L.tensor([0, 7]), -1.0), None),
    "index_fill_value_dims": (lambda L: _x(L).index_fill_(1, L.tensor([0]), L.tensor([1.0])),
                              None),
    "index_fill_dtype": (lambda L: _x(L).index_fill(1, L.tensor([0.0]), 1.0), None),
    "index_fill_vector": (lambda L: _x(L).index_fill(0, L.tensor([[1]]), 1.0), None),
    "index_copy_range": (lambda L: _x(L).index_copy(0, L.tensor([-1]), L.ones(1, 4)), None),
    "index_copy_dtype": (lambda L: _x(L).index_copy(0, L.tensor([1], dtype=L.int32),
                                                    L.ones(1, 4)), None),
    "index_copy_count": (lambda L: _x(L).index_copy(1, L.tensor([0, 2]), L.ones(3, 3)), None),
    "index_copy_slice": (lambda L: _x(L).index_copy(0, L.tensor([1]), L.ones(1, 3)), None),
    "index_copy_source_dtype": (lambda L: _x(L).index_copy(0, L.tensor([1]),
                                                           L.ones(1, 4, dtype=L.float64)), None),
    "index_copy_vector": (lambda L: _x(L).index_copy(0, L.tensor([[1]]), L.ones(1, 4)), None),
    "index_put_range": (lambda L: _x(L).index_put((L.tensor([0, 5]),), L.tensor(1.0)), None),
    "index_put_dtype": (lambda L: _x(L).index_put((L.tensor([0, 1]),),
                                                  L.tensor(1.0, dtype=L.float64)), None),
    "index_put_none": (lambda L: _x(L).index_put((L.tensor([0, 1]), None), L.tensor(1.0)), None),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    fn, match = ERRORS[name]
    _same_error(fn, match)
