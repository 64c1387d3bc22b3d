"""View ops against torch: shared memory (writes seen through the base, the view and sibling
views; _base, _is_view, storage, version counter), values and gradients, gradcheck, errors."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import assert_same, check_against_torch

# name -> (input shape, fn(lib, x) -> a view of x)
VIEWS = {
    "view": ((2, 3, 4), lambda L, x: x.view(6, 4)),
    "view_infer": ((2, 3, 4), lambda L, x: x.view(-1, 3)),
    "view_tuple": ((2, 3, 4), lambda L, x: x.view((4, 6))),
    "view_0d": ((), lambda L, x: x.view(1, 1)),
    "view_to_0d": ((1, 1), lambda L, x: x.view(())),
    "view_empty": ((0, 3), lambda L, x: x.view(3, 0)),
    "view_nc_ok": ((4, 6), lambda L, x: x[:, 1:5].view(4, 2, 2)),
    "view_as": ((2, 3, 4), lambda L, x: x.view_as(L.zeros(4, 6))),
    "reshape_view": ((2, 3, 4), lambda L, x: x.reshape(3, 8)),
    "reshape_fn": ((2, 3, 4), lambda L, x: L.reshape(x, (-1,))),
    "reshape_as": ((2, 3, 4), lambda L, x: x.reshape_as(L.zeros(6, 4))),
    "flatten": ((2, 3, 4), lambda L, x: x.flatten()),
    "flatten_range": ((2, 3, 4), lambda L, x: L.flatten(x, 1, 2)),
    "flatten_one": ((2, 3, 4), lambda L, x: x.flatten(-1)),
    "unflatten": ((2, 12), lambda L, x: x.unflatten(1, (3, -1))),
    "unflatten_fn": ((6, 2), lambda L, x: L.unflatten(x, 0, (2, 3))),
    "slice_mix": ((4, 5, 6), lambda L, x: x[1:3, ::2, None, ..., 0]),
    "slice_step": ((7,), lambda L, x: x[1::3]),
    "slice_clamped": ((4, 5), lambda L, x: x[2:100, -100:3]),
    "slice_empty": ((4, 5), lambda L, x: x[3:1]),
    "slice_tensor_bounds": ((6,), lambda L, x: x[L.tensor(1):L.tensor(5):L.tensor(2)]),
    "int": ((4, 5), lambda L, x: x[-1]),
    "int_int": ((4, 5), lambda L, x: x[1, 2]),
    "int_0d_tensor": ((4, 5), lambda L, x: x[L.tensor(2)]),
    "int_0d_tensors": ((4, 5), lambda L, x: x[L.tensor(-1), L.tensor(1)]),
    "int_after_slice": ((3, 4, 5), lambda L, x: x[:, 1]),
    "ellipsis": ((2, 3, 4), lambda L, x: x[..., 1]),
    "ellipsis_only": ((2, 3), lambda L, x: x[...]),
    "ellipsis_middle": ((2, 3, 4, 5), lambda L, x: x[1, ..., 1:3]),
    "empty_tuple": ((2, 3), lambda L, x: x[()]),
    "none": ((2, 3), lambda L, x: x[None, :, None]),
    "none_0d": ((), lambda L, x: x[None]),
    "select": ((2, 3, 4), lambda L, x: x.select(1, -1)),
    "select_fn": ((2, 3, 4), lambda L, x: L.select(x, 2, 0)),
    "narrow": ((2, 3, 4), lambda L, x: x.narrow(2, 1, 2)),
    "narrow_neg": ((2, 3, 4), lambda L, x: L.narrow(x, -1, -3, 2)),
    "narrow_tensor_start": ((5, 2), lambda L, x: x.narrow(0, L.tensor(1), 3)),
    "transpose": ((2, 3, 4), lambda L, x: x.transpose(0, 2)),
    "transpose_1d": ((4,), lambda L, x: x.transpose(0, -1)),
    "swapaxes": ((2, 3, 4), lambda L, x: L.swapaxes(x, -1, 1)),
    "swapdims": ((2, 3, 4), lambda L, x: x.swapdims(0, 1)),
    "permute": ((2, 3, 4), lambda L, x: x.permute(2, 0, 1)),
    "permute_tuple": ((2, 3, 4), lambda L, x: L.permute(x, (1, -1, 0))),
    "movedim": ((2, 3, 4), lambda L, x: x.movedim(0, -1)),
    "movedim_multi": ((2, 3, 4, 5), lambda L, x: L.movedim(x, (0, 1), (3, 0))),
    "moveaxis": ((2, 3, 4), lambda L, x: L.moveaxis(x, 2, 0)),
    "t": ((3, 4), lambda L, x: x.t()),
    "t_1d": ((4,), lambda L, x: L.t(x)),
    "T": ((3, 4), lambda L, x: x.T),
    "mT": ((2, 3, 4), lambda L, x: x.mT),
    "mH": ((2, 3, 4), lambda L, x: x.mH),
    "adjoint": ((3, 4), lambda L, x: L.adjoint(x)),
    "squeeze_all": ((2, 1, 3, 1), lambda L, x: x.squeeze()),
    "squeeze_dim": ((2, 1, 3, 1), lambda L, x: x.squeeze(1)),
    "squeeze_dim_noop": ((2, 1, 3, 1), lambda L, x: x.squeeze(0)),
    "squeeze_tuple": ((2, 1, 3, 1), lambda L, x: L.squeeze(x, (1, -1))),
    "squeeze_0d": ((), lambda L, x: x.squeeze(0)),
    "unsqueeze": ((2, 3), lambda L, x: x.unsqueeze(-1)),
    "unsqueeze_front": ((2, 3), lambda L, x: L.unsqueeze(x, 0)),
    "unsqueeze_0d": ((), lambda L, x: x.unsqueeze(0)),
    "expand": ((3, 1), lambda L, x: x.expand(2, 3, 4)),
    "expand_keep": ((3, 1), lambda L, x: x.expand(-1, 5)),
    "expand_same": ((3, 4), lambda L, x: x.expand(3, 4)),
    "expand_new_one": ((3, 4), lambda L, x: x.expand(1, 3, 4)),
    "expand_as": ((3, 1), lambda L, x: x.expand_as(L.zeros(3, 4))),
    "broadcast_to": ((3, 1), lambda L, x: L.broadcast_to(x, (2, 3, 2))),
    "unfold": ((2, 7), lambda L, x: x.unfold(1, 3, 1)),
    "unfold_step": ((2, 7), lambda L, x: x.unfold(1, 2, 3)),
    "unfold_0d": ((), lambda L, x: x.unfold(0, 1, 1)),
    "diagonal": ((3, 4), lambda L, x: x.diagonal()),
    "diagonal_offset": ((2, 3, 4), lambda L, x: L.diagonal(x, 1, 0, 2)),
    "diagonal_neg": ((2, 3, 4), lambda L, x: x.diagonal(-1, -1, -2)),
    "as_strided": ((3, 4), lambda L, x: x.as_strided((3, 3), (4, 1), 1)),
    "as_strided_overlap": ((3, 4), lambda L, x: L.as_strided(x, (4, 3), (2, 1))),
    "chain": ((3, 4, 5), lambda L, x: x.transpose(0, 1)[1:, None].narrow(-1, 1, 3).unsqueeze(0)),
}
# name -> (shape, fn(lib, x) -> tuple of views)
MULTI = {
    "split": ((5, 4), lambda L, x: x.split(2)),
    "split_fn": ((5, 4), lambda L, x: L.split(x, 3, dim=1)),
    "split_sizes": ((5, 4), lambda L, x: L.split(x, [1, 3], dim=1)),
    "split_with_sizes": ((5, 4), lambda L, x: x.split_with_sizes([2, 0, 3])),
    "chunk": ((5, 4), lambda L, x: x.chunk(3)),
    "chunk_more": ((7,), lambda L, x: L.chunk(x, 4)),
    "unbind": ((3, 4), lambda L, x: x.unbind(1)),
    "unbind_fn": ((3, 4), lambda L, x: L.unbind(x)),
    "tensor_split": ((7, 2), lambda L, x: x.tensor_split(3)),
    "tensor_split_idx": ((7, 2), lambda L, x: L.tensor_split(x, [1, 5])),
    "tensor_split_unsorted": ((2, 7), lambda L, x: x.tensor_split([4, 2, 9], dim=1)),
    "tensor_split_t": ((2, 7), lambda L, x: x.tensor_split(L.tensor([2, 4]), dim=1)),
    "tensor_split_t0d": ((2, 7), lambda L, x: x.tensor_split(L.tensor(3), dim=-1)),
}
# Views with zero strides repeat elements: in-place writes through them raise. Overlapping
# windows can be filled, but arithmetic through them depends on the order of the writes.
ZERO_STRIDE = {"expand", "expand_keep", "expand_as", "broadcast_to"}
OVERLAPPING = {"unfold", "as_strided_overlap"}
ALL = {**VIEWS, **{f"{k}[{i}]": (s, (lambda f, i: lambda L, x: f(L, x)[i])(f, i))
                   for k, (s, f) in MULTI.items() for i in range(2)}}


def _pair(shape, dtype=np.float64):
    a = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    return torch.tensor(a), ember.tensor(a)


WRITES = {
    "add_": lambda v: v.add_(1),
    "setitem": lambda v: v.__setitem__(Ellipsis, -7),
    "fill_": lambda v: v.fill_(5),
    "mul_scalar": lambda v: v.mul_(-3),
}


def _check_aliasing(tv, tb, ev, eb):
    assert ev._is_view() == tv._is_view()
    if tv._is_view():
        assert (ev._base is eb) == (tv._base is tb)
    if ev.numel():
        assert ev.untyped_storage().data_ptr() == eb.untyped_storage().data_ptr()


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("write", sorted(WRITES))
def test_write_through_view_is_seen_by_base_and_siblings(name, write):
    if name in OVERLAPPING and write in ("add_", "mul_scalar"):
        pytest.skip("arithmetic through overlapping windows depends on the write order")
    shape, fn = ALL[name]
    tb, eb = _pair(shape)
    tv, ev = fn(torch, tb), fn(ember, eb)
    _check_aliasing(tv, tb, ev, eb)
    ts, es = tb.view(-1), eb.view(-1)     # a sibling view made before the write
    if name in ZERO_STRIDE:
        with pytest.raises(RuntimeError, match="single memory location"):
            WRITES[write](ev)
        return
    WRITES[write](tv)
    WRITES[write](ev)
    assert_same(eb, tb, what="base after writing through the view")
    assert_same(ev, tv, what="the view")
    assert_same(es, ts, what="a sibling view")
    assert ev._version == eb._version == es._version == tv._version


@pytest.mark.parametrize("name", sorted(ALL))
def test_write_through_base_is_seen_by_view(name):
    shape, fn = ALL[name]
    tb, eb = _pair(shape)
    tv, ev = fn(torch, tb), fn(ember, eb)
    tb.mul_(-2).add_(1)
    eb.mul_(-2).add_(1)
    assert_same(ev, tv, what="view after writing through the base")
    if eb.numel():
        eb.view(-1)[0] = 100.0      # and through another view of the same base
        tb.view(-1)[0] = 100.0
    assert_same(ev, tv, what="view after writing through a sibling")
    assert ev._version == eb._version


@pytest.mark.parametrize("name", sorted(VIEWS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_view_values_and_grads_match_torch(name, dtype):
    shape, fn = VIEWS[name]
    check_against_torch(fn, [shape], dtype)


@pytest.mark.parametrize("name", sorted(MULTI))
def test_multi_output_views_match_torch(name):
    shape, fn = MULTI[name]
    check_against_torch(fn, [shape], "float32", grad=False)

    def weighted(L, x):      # every piece gets its own cotangent weight
        outs = fn(L, x)
        return sum(((o * (i + 1)) ** 2).sum() for i, o in enumerate(outs))
    check_against_torch(weighted, [shape], "float64")


@pytest.mark.parametrize("name", ["view", "reshape_fn", "slice_mix", "int_after_slice", "permute",
                                  "transpose", "expand", "unfold", "diagonal", "squeeze_all",
                                  "movedim_multi", "select", "chain", "flatten_range", "T"])
def test_views_of_noncontiguous_inputs(name):
    shape, fn = VIEWS[name]
    if name == "view":
        fn = lambda L, x: x.view(2, 3, 2, 2)     # noqa: E731  (splitting a dim stays a view)
    check_against_torch(fn, [shape], "float32", noncontig=True)


GRADCHECK = sorted(set(ALL) - {"view_empty", "slice_empty"})


@pytest.mark.parametrize("name", GRADCHECK)
def test_view_gradcheck_float64(name):
    shape, fn = ALL[name]
    rng = np.random.default_rng(3)
    x = ember.tensor(rng.standard_normal(shape), requires_grad=True)
    f = lambda x: fn(ember, x)     # noqa: E731
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


def test_view_chain_base_is_the_root():
    tb, eb = _pair((3, 4, 5))
    ev = eb.t() if False else eb.transpose(0, 2)[1:].unsqueeze(0).expand(2, -1, -1, -1)[0]
    tv = tb.transpose(0, 2)[1:].unsqueeze(0).expand(2, -1, -1, -1)[0]
    assert ev._base is eb and tv._base is tb
    assert ev._is_view() and not eb._is_view() and eb._base is None


def test_reshape_copies_only_when_strides_do_not_allow_a_view():
    tb, eb = _pair((3, 4))
    ev, tv = eb.t().reshape(-1), tb.t().reshape(-1)
    assert not ev._is_view() and not tv._is_view()
    assert ev.untyped_storage().data_ptr() != eb.untyped_storage().data_ptr()
    ev.add_(100)
    tv.add_(100)
    assert_same(eb, tb)
    assert_same(ev, tv)
    ev2 = eb.reshape(2, 6)
    assert ev2._is_view() and ev2._base is eb
    check_against_torch(lambda L, x: x.t().reshape(2, 6), [(3, 4)], "float64")
    check_against_torch(lambda L, x: x.t().flatten(), [(3, 4)], "float64")


@pytest.mark.parametrize("src,dst,shape", [
    ("float32", "int32", (2, 3)), ("float32", "float16", (2, 3)), ("float64", "int32", (2, 3)),
    ("int16", "float32", (2, 4)), ("float32", "complex64", (3, 2)), ("int64", "uint8", (2,)),
    ("float32", "int32", (3, 1)),
])
def test_view_dtype_reinterprets_the_same_bytes(src, dst, shape):
    a = (np.arange(int(np.prod(shape))) + 1).astype(src).reshape(shape)
    tb, eb = torch.tensor(a), ember.tensor(a)
    tv, ev = tb.view(getattr(torch, dst)), eb.view(getattr(ember, dst))
    assert_same(ev, tv)
    assert ev.untyped_storage().data_ptr() == eb.untyped_storage().data_ptr()
    ev.zero_()
    tv.zero_()
    assert_same(eb, tb)


def test_view_dtype_of_size_one_last_dim():
    tb, eb = _pair((3, 1), np.float32)
    assert_same(eb.view(ember.int16), tb.view(torch.int16))


def test_view_as_own_dtype_is_differentiable():
    check_against_torch(lambda L, x: x.view(x.dtype) * 2, [(2, 3)], "float64")


def test_view_dtype_same_size_keeps_the_view_chain():
    tb, eb = _pair((2, 3), np.float32)
    ev = eb.t().view(ember.int32)
    assert ev._base is eb
    assert ev.stride() == tb.t().view(torch.int32).stride()


def test_inplace_through_view_of_graph_tensor_gives_torch_gradients():
    def fn(L, x):
        y = x * 1
        v = y.transpose(0, 1)[1:]
        v.mul_(3)                       # written through a view of y
        y.narrow(1, 0, 2).add_(y[2, 3])
        return y * y
    check_against_torch(fn, [(3, 4)], "float64")


def test_view_of_view_written_then_base_used():
    def fn(L, x):
        y = x * 2
        v = y[1]
        w = v[1:3]
        w.mul_(L.ones(2, dtype=x.dtype) * 2)
        return (y * y).sum() + (w * 5).sum()
    check_against_torch(fn, [(3, 4)], "float64")


def test_view_ops_grad_fn_names_match_torch():
    cases = [lambda x: x.view(-1), lambda x: x.t(), lambda x: x.transpose(0, 1),
             lambda x: x.permute(1, 0), lambda x: x.expand(2, 3, 4), lambda x: x.squeeze(),
             lambda x: x.squeeze(0), lambda x: x.unsqueeze(0), lambda x: x.diagonal(),
             lambda x: x.unfold(0, 2, 1), lambda x: x.narrow(0, 0, 1), lambda x: x.select(0, 1),
             lambda x: x[0], lambda x: x[0:1], lambda x: x[:, 0], lambda x: x.reshape(-1),
             lambda x: x.t().reshape(-1), lambda x: x.as_strided((2,), (1,))]
    tx = torch.zeros(3, 4, requires_grad=True)
    ex = ember.zeros(3, 4, requires_grad=True)
    for f in cases:
        assert f(ex).grad_fn.name() == f(tx).grad_fn.name()


def _same_error(fn, match=None):
    """fn(torch) and fn(ember) raise the same kind of error; ember's message contains torch's
    (or ``match`` when ember words it differently)."""
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


VIEW_ERRORS = {
    "view_strides": (lambda L: L.arange(24.).reshape(2, 3, 4).transpose(0, 1).view(-1), None),
    "view_size": (lambda L: L.zeros(2, 3).view(2, 4), None),
    "view_two_infer": (lambda L: L.zeros(2, 3).view(-1, -1), None),
    "view_negative": (lambda L: L.zeros(2, 3).view(-2, 3), None),
    "view_empty_ambiguous": (lambda L: L.zeros(0, 3).view(-1, 0), None),
    "view_float_size": (lambda L: L.zeros(2, 3).view(2.0, 3), "must be tuple of ints"),
    "view_expanded": (lambda L: L.zeros(3, 1).expand(3, 2).view(6), None),
    "reshape_size": (lambda L: L.zeros(2, 3).reshape(4, 2), None),
    "reshape_infer": (lambda L: L.zeros(2, 3).reshape(-1, 4), None),
    "negative_step": (lambda L: L.zeros(2, 3)[::-1], None),
    "negative_step_inner": (lambda L: L.zeros(2, 3)[:, ::-2], None),
    "zero_step": (lambda L: L.zeros(2, 3)[::0], None),
    "int_out_of_range": (lambda L: L.zeros(2, 3)[2], None),
    "int_out_of_range_dim1": (lambda L: L.zeros(2, 3)[0, -4], None),
    "too_many_indices": (lambda L: L.zeros(2, 3)[0, 0, 0], None),
    "index_0d": (lambda L: L.tensor(1.)[0], None),
    "float_index": (lambda L: L.zeros(2, 3)[1.5], None),
    "select_dim": (lambda L: L.zeros(2, 3).select(2, 0), None),
    "select_index": (lambda L: L.zeros(2, 3).select(0, -3), None),
    "select_index_hi": (lambda L: L.zeros(2, 3).select(1, 3), None),
    "select_0d": (lambda L: L.tensor(1.).select(0, 0), None),
    "narrow_length": (lambda L: L.zeros(2, 3).narrow(0, 1, 2), None),
    "narrow_start": (lambda L: L.zeros(2, 3).narrow(0, -3, 1), None),
    "narrow_negative_length": (lambda L: L.zeros(2, 3).narrow(0, 0, -1), None),
    "transpose_dim": (lambda L: L.zeros(2, 3).transpose(0, 2), None),
    "permute_count": (lambda L: L.zeros(2, 3).permute(0), None),
    "permute_duplicate": (lambda L: L.zeros(2, 3).permute(0, 0), None),
    "permute_dim": (lambda L: L.zeros(2, 3).permute(0, 2), None),
    "movedim_repeat": (lambda L: L.zeros(2, 3).movedim((0, 0), (1, 0)), None),
    "movedim_repeat_dst": (lambda L: L.zeros(2, 3).movedim((0, 1), (1, 1)), None),
    "movedim_dim": (lambda L: L.zeros(2, 3).movedim(0, 2), None),
    "t_3d": (lambda L: L.zeros(2, 3, 4).t(), None),
    "mT_1d": (lambda L: L.zeros(2).mT, None),
    "squeeze_dim": (lambda L: L.zeros(2, 3).squeeze(2), None),
    "squeeze_repeat": (lambda L: L.zeros(2, 3).squeeze((0, 0)), None),
    "unsqueeze_dim": (lambda L: L.zeros(2, 3).unsqueeze(3), None),
    "expand_mismatch": (lambda L: L.zeros(2, 3).expand(3, 3), None),
    "expand_too_few": (lambda L: L.zeros(2, 3).expand(3), None),
    "expand_leading_minus_one": (lambda L: L.zeros(2, 3).expand(-1, 2, 3), None),
    "unfold_size": (lambda L: L.zeros(2, 3).unfold(0, 3, 1), None),
    "unfold_step": (lambda L: L.zeros(2, 3).unfold(0, 2, 0), None),
    "unfold_negative": (lambda L: L.zeros(2, 3).unfold(0, -1, 1), None),
    "unfold_dim": (lambda L: L.zeros(2, 3).unfold(2, 1, 1), None),
    "diagonal_same_dims": (lambda L: L.zeros(2, 3).diagonal(0, 1, 1), None),
    "diagonal_dim": (lambda L: L.zeros(2, 3).diagonal(0, 0, 2), None),
    "as_strided_storage": (lambda L: L.zeros(2, 3).as_strided((3, 3), (1, 1), 10), None),
    "as_strided_lengths": (lambda L: L.zeros(2, 3).as_strided((3, 3), (1, 1, 1)), None),
    "as_strided_negative": (lambda L: L.zeros(2, 3).as_strided((2,), (-1,)), None),
    "split_zero": (lambda L: L.zeros(2, 3).split(0), None),
    "split_negative": (lambda L: L.zeros(2, 3).split(-1), None),
    "split_sizes_sum": (lambda L: L.zeros(2, 3).split([1, 2]), "split_with_sizes expects"),
    "chunk_zero": (lambda L: L.zeros(2, 3).chunk(0), None),
    "tensor_split_zero": (lambda L: L.zeros(2, 3).tensor_split(0), None),
    "tensor_split_2d": (lambda L: L.zeros(2, 3).tensor_split(L.tensor([[1]])), None),
    "unbind_0d": (lambda L: L.tensor(1.).unbind(), None),
    "flatten_order": (lambda L: L.zeros(2, 3).flatten(1, 0), None),
    "unflatten_sizes": (lambda L: L.zeros(2, 3).unflatten(1, (2, 2)), None),
    "unflatten_empty": (lambda L: L.zeros(2, 3).unflatten(1, ()), None),
    "view_dtype_stride": (lambda L: L.zeros(2, 3).t().view(L.float16), None),
    "view_dtype_divisible": (lambda L: L.zeros(2, 3).view(L.complex64), None),
    "view_dtype_0d": (lambda L: L.tensor(1.).view(L.float16), None),
    "write_expanded": (lambda L: L.zeros(3).expand(2, 3).add_(1), None),
    "write_zero_stride": (lambda L: L.zeros(2, 3).as_strided((2, 2), (0, 1)).add_(1), None),
    "write_view_of_leaf": (lambda L: L.zeros(2, 3, requires_grad=True)[0].add_(1), None),
}


@pytest.mark.parametrize("name", sorted(VIEW_ERRORS))
def test_view_errors_match_torch(name):
    fn, match = VIEW_ERRORS[name]
    _same_error(fn, match)


@pytest.mark.parametrize("how", ["through_sibling", "through_base", "setitem_on_base",
                                 "through_view_of_sibling"])
def test_view_history_follows_writes_made_elsewhere(how):
    """A view made before an in-place write through its base or a sibling sees the new values,
    so its gradient goes through the write too (torch regenerates its grad_fn)."""
    def fn(L, x):
        y = x * 1
        a, b = y[0], y[:, 0]            # sibling views of y
        if how == "through_sibling":
            a.mul_(2)
        elif how == "through_base":
            y.mul_(3)
        elif how == "setitem_on_base":
            y[1, 0] = 5.0
        else:
            a[1:].mul_(a[1:].detach() + 1)
            a[0] = 7.0
        return b * b + a.sum()
    check_against_torch(fn, [(2, 3)], "float64")
