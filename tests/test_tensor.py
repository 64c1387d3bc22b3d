"""The Tensor object against torch: metadata (shape, size, dim, dtype, device, strides,
contiguity), transposes (T, mT, H, mH), real/imag, conversions (item, tolist, numpy, __array__,
to, type, float()/long()/...), clone/detach/contiguous, storage identity, Python protocols
(len, iter, bool, float, int, index, hash, contains, format) and deepcopy."""
import copy
import operator
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import assert_same


def same(fn, rtol=0, atol=0):
    t, e = fn(torch), fn(ember)
    assert_same(e, t, rtol=rtol, atol=atol)
    return e, t


def same_value(fn):
    """For plain Python results (ints, tuples, strings, bools)."""
    t, e = fn(torch), fn(ember)
    assert e == t and type(e) is type(t), (e, t)


def same_error(fn, exact=False):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as ee:
        fn(ember)
    assert isinstance(ee.value, type(te.value)), (type(ee.value), type(te.value))
    tmsg = str(te.value).split(" (Triggered")[0]
    if exact:
        assert tmsg in str(ee.value), (str(ee.value), tmsg)
    return str(ee.value)


def x23(L):
    return L.arange(6.0).reshape(2, 3)


def c22(L):
    return L.tensor([[1 + 2j, 3 - 1j], [0.5j, 2]])


# --- metadata ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda L: tuple(x23(L).shape), lambda L: tuple(x23(L).size()), lambda L: x23(L).size(-1),
    lambda L: x23(L).size(dim=0), lambda L: x23(L).dim(), lambda L: x23(L).ndim,
    lambda L: x23(L).ndimension(), lambda L: x23(L).numel(), lambda L: x23(L).nelement(),
    lambda L: L.numel(x23(L)), lambda L: x23(L).shape[-1], lambda L: x23(L).shape.numel(),
    lambda L: x23(L).shape == (2, 3), lambda L: str(x23(L).device),
    lambda L: x23(L).device.type, lambda L: x23(L).is_leaf, lambda L: x23(L).is_cuda,
    lambda L: L.tensor(1.0).dim(), lambda L: tuple(L.tensor(1.0).shape),
    lambda L: L.tensor(1.0).numel(), lambda L: L.ones(0, 3).numel(),
    lambda L: x23(L).element_size(), lambda L: L.ones(2, dtype=L.float16).element_size(),
    lambda L: L.ones(2, 3, dtype=L.float64).nbytes, lambda L: x23(L).itemsize,
    lambda L: x23(L)[0].nbytes, lambda L: x23(L).get_device(), lambda L: x23(L).is_signed(),
    lambda L: L.ones(1, dtype=L.uint8).is_signed(),
])
def test_metadata(fn):
    same_value(fn)


def test_size_types_and_repr():
    s = ember.ones(2, 3).shape
    assert isinstance(s, ember.Size) and isinstance(s, tuple)
    assert repr(s) == repr(torch.ones(2, 3).shape) == "torch.Size([2, 3])"
    assert isinstance(s[1:], ember.Size) and s[1:] == (3,)
    for fn in (lambda L: L.ones(2, 3).shape + (1,), lambda L: (1,) + L.ones(2, 3).shape,
               lambda L: L.ones(2).shape * 2, lambda L: 2 * L.ones(2).shape,
               lambda L: L.Size([1, 2])):
        t, e = fn(torch), fn(ember)
        assert repr(e) == repr(t) and tuple(e) == tuple(t)
    with pytest.raises(TypeError):
        ember.Size([1]) + [2]


def test_dtype_attribute():
    for name in ("float32", "int64", "bool", "complex128", "bfloat16"):
        e = ember.ones(2, dtype=getattr(ember, name))
        assert e.dtype is getattr(ember, name)
        assert repr(e.dtype) == repr(torch.ones(2, dtype=getattr(torch, name)).dtype)


@pytest.mark.parametrize("fn", [lambda L: x23(L).size(2), lambda L: x23(L).size(-3),
                                lambda L: L.tensor(1.0).size(1), lambda L: x23(L).stride(2)])
def test_dim_out_of_range(fn):
    same_error(fn, exact=True)


# --- device ------------------------------------------------------------------------------------

def test_device_objects():
    d = ember.device("cpu")
    assert d == ember.device("cpu") and hash(d) == hash(ember.device("cpu"))
    assert ember.ones(1).device == d and ember.ones(1).device.type == "cpu"
    assert str(d) == "cpu" and repr(d) == repr(torch.device("cpu"))
    for spec in (("cpu", 0), ("cpu:0",), ("cuda",), ("cuda", 1), ("cuda:1",)):
        e, t = ember.device(*spec), torch.device(*spec)
        assert (repr(e), str(e), e.type, e.index) == (repr(t), str(t), t.type, t.index)
    # as in torch, a device never equals a string, and cpu != cpu:0
    assert (ember.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert (ember.device("cpu") == ember.device("cpu:0")) == \
        (torch.device("cpu") == torch.device("cpu:0"))
    assert ember.device(ember.device("cpu")) is ember.device("cpu")


@pytest.mark.parametrize("spec", ["xyz", "cuda:x", ("cpu", -2)])
def test_bad_device_strings(spec):
    spec = spec if isinstance(spec, tuple) else (spec,)
    same_error(lambda L: L.device(*spec))


@pytest.mark.parametrize("call", [lambda L: L.ones(2, device="cuda"),
                                  lambda L: L.ones(2).to("cuda"), lambda L: L.ones(2).cuda(),
                                  lambda L: L.zeros(2, device=L.device("cuda", 0))])
def test_cuda_requests_fail_clearly(call):
    """torch without CUDA raises AssertionError; ember's error is both an AssertionError and a
    RuntimeError and says only the CPU is available."""
    with pytest.raises(AssertionError):
        call(torch)
    with pytest.raises(AssertionError) as info:
        call(ember)
    assert isinstance(info.value, RuntimeError)
    assert "cuda" in str(info.value) and "cpu" in str(info.value)


# --- transposes, real/imag ---------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda L: x23(L).T, lambda L: x23(L).mT, lambda L: c22(L).H, lambda L: c22(L).mH,
    lambda L: x23(L).H, lambda L: x23(L).mH, lambda L: L.ones(2, 3, 4).mT,
    lambda L: L.ones(2, 3, 4, dtype=L.complex64).mH, lambda L: c22(L).real,
    lambda L: c22(L).imag, lambda L: x23(L).real, lambda L: c22(L).T,
])
def test_transposes_and_parts(fn):
    same(fn)


T_WARNINGS = {
    1: "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
       "deprecated and it will throw an error in a future release.",
    0: "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
}


@pytest.mark.parametrize("fn, n", [(lambda L: L.ones(3).T, 1), (lambda L: L.tensor(1.0).T, 0),
                                   (lambda L: L.ones(2, 3, 4).T, 1),
                                   (lambda L: L.tensor(1 + 1j).H, None)])
def test_T_on_non_matrix_warns_like_torch(fn, n):
    # torch warns once per process, so its warning is only checked the first time
    with warnings.catch_warnings(record=True) as rt:
        warnings.simplefilter("always")
        t = fn(torch)
    with pytest.warns(UserWarning) as re_:
        e = fn(ember)
    expected = T_WARNINGS.get(n, "Tensor.H is deprecated on 0-D tensors. Consider using "
                                 "x.conj().")
    assert expected in str(re_[0].message)
    if rt:
        assert expected in str(rt[0].message)
    assert_same(e, t)


@pytest.mark.parametrize("fn", [lambda L: L.ones(3).mT, lambda L: L.ones(2, 2, 2).H,
                                lambda L: L.ones(3).H, lambda L: L.ones(3).mH,
                                lambda L: x23(L).imag])
def test_transpose_errors(fn):
    same_error(fn, exact=True)


def test_T_and_real_are_views():
    x = ember.zeros(2, 3)
    x.T[2, 1] = 5
    assert x[1, 2].item() == 5
    c = ember.zeros(2, dtype=ember.complex64)
    c.real[0] = 3
    c.imag[1] = 4
    np.testing.assert_array_equal(c.numpy(), [3, 4j])
    c.real = ember.ones(2)
    assert c.numpy().real.tolist() == [1, 1]


# --- conversions -------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda L: L.tensor([2.5]).item(), lambda L: L.tensor(3).item(), lambda L: L.tensor(True).item(),
    lambda L: L.tensor(1j).item(), lambda L: L.tensor(0.1, dtype=L.float16).item(),
    lambda L: L.tensor(0.1, dtype=L.bfloat16).item(), lambda L: L.tensor([[7]]).item(),
    lambda L: L.tensor(0.1).item(), lambda L: L.tensor(3, dtype=L.uint8).item(),
])
def test_item(fn):
    same_value(fn)


@pytest.mark.parametrize("fn", [
    lambda L: x23(L).tolist(), lambda L: L.tensor(2).tolist(), lambda L: L.tensor(2.5).tolist(),
    lambda L: L.tensor([0.1], dtype=L.bfloat16).tolist(),
    lambda L: L.tensor([0.1], dtype=L.float16).tolist(), lambda L: L.tensor([1j]).tolist(),
    lambda L: L.tensor([[True, False]]).tolist(), lambda L: L.ones(0, 2).tolist(),
    lambda L: L.tensor([0.1, 0.7]).tolist(), lambda L: L.ones(2, dtype=L.int8).tolist(),
])
def test_tolist(fn):
    same_value(fn)


def test_item_errors():
    same_error(lambda L: L.ones(2).item(), exact=True)
    same_error(lambda L: L.ones(0).item(), exact=True)


def test_numpy_shares_memory_and_refuses_grad():
    x = ember.zeros(3)
    a = x.numpy()
    a[0] = 4
    assert x[0].item() == 4
    x[1] = 5
    assert a[1] == 5
    assert np.asarray(x) is a or np.shares_memory(np.asarray(x), a)
    same_error(lambda L: L.ones(2, requires_grad=True).numpy(), exact=True)
    same_error(lambda L: np.asarray(L.ones(2, requires_grad=True)), exact=True)
    y = ember.ones(2, requires_grad=True)
    assert np.shares_memory(y.numpy(force=True), y.detach().numpy())
    assert np.asarray(ember.ones(2), dtype=np.float64).dtype == np.float64
    b = np.array(ember.ones(2))          # np.array copies by default
    b[0] = 9
    assert not np.shares_memory(b, ember.ones(2).numpy())


@pytest.mark.parametrize("fn", [
    lambda L: x23(L).to(L.int32), lambda L: x23(L).to(L.ones(1, dtype=L.float64)),
    lambda L: x23(L).to("cpu", L.float16), lambda L: x23(L).to(dtype=L.int8),
    lambda L: x23(L).to(L.device("cpu"), dtype=L.float64),
    lambda L: x23(L).to(device="cpu"), lambda L: x23(L).type(L.int32),
    lambda L: x23(L).type("torch.DoubleTensor"), lambda L: x23(L).type_as(L.ones(1, dtype=L.int16)),
    lambda L: L.ones(2, dtype=L.int64).float(), lambda L: x23(L).double(), lambda L: x23(L).half(),
    lambda L: x23(L).bfloat16(), lambda L: x23(L).long(), lambda L: x23(L).int(),
    lambda L: x23(L).short(), lambda L: x23(L).bool(), lambda L: x23(L).byte(),
    lambda L: x23(L).char(), lambda L: x23(L).cfloat(), lambda L: x23(L).cdouble(),
    lambda L: L.tensor([-1.5, 2.7, -0.2]).long(), lambda L: L.tensor([0.0, 0.3]).bool(),
    lambda L: L.tensor([1.1, 2.9]).int(), lambda L: L.tensor([True, False]).float(),
    lambda L: L.tensor([300, -1]).byte(),
])
def test_dtype_conversions(fn):
    same(fn)


def test_type_strings():
    for name in ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
                 "uint8", "bool", "complex64", "complex128"):
        e = ember.ones(1, dtype=getattr(ember, name)).type()
        assert e == torch.ones(1, dtype=getattr(torch, name)).type()


def test_to_returns_self_when_nothing_changes():
    x = ember.ones(2)
    assert x.to(ember.float32) is x and x.to("cpu") is x and x.to(x) is x
    assert x.float() is x and x.type(ember.float32) is x
    c = x.to(ember.float32, copy=True)
    assert c is not x and c.data_ptr() != x.data_ptr()


def test_conversions_stay_in_the_graph():
    x = ember.ones(3, requires_grad=True)
    y = x.double()
    assert y.grad_fn.name() == torch.ones(1, requires_grad=True).double().grad_fn.name()
    (y * 2).sum().backward()
    assert x.grad.dtype is ember.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])


def test_complex_to_real_warns_like_torch():
    # torch warns only once per process, so its warning cannot be awaited in a shared run
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.tensor([1 + 2j]).float()
    with pytest.warns(UserWarning, match="Casting complex values to real discards the imaginary"):
        e = ember.tensor([1 + 2j]).float()
    assert_same(e, t)


# --- clone / detach / contiguous / storage -------------------------------------------------------

def test_clone_copies_and_keeps_grad_path():
    x = ember.ones(3, requires_grad=True)
    c = x.clone()
    assert c.data_ptr() != x.data_ptr() and c.requires_grad and not c.is_leaf
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3, 3, 3]
    t = ember.arange(6.0).reshape(2, 3).t()
    assert t.clone().stride() == torch.arange(6.0).reshape(2, 3).t().clone().stride()


def test_detach_shares_memory_and_version_counter():
    x = ember.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.data_ptr() == x.data_ptr()
    assert d.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    v = x._version
    d.add_(1)
    assert x._version == d._version == v + 1
    assert x.detach()[0].item() == 2
    # torch: a value saved for backward and then modified through a detached alias is an error
    y = ember.ones(2, requires_grad=True) * 1
    z = y * y
    y.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


@pytest.mark.parametrize("fn", [
    lambda L: x23(L).stride(), lambda L: x23(L).T.stride(), lambda L: x23(L).stride(1),
    lambda L: x23(L).stride(-1), lambda L: L.tensor(1.0).stride(),
    lambda L: L.ones(3, 1).expand(3, 4).stride(), lambda L: x23(L)[1].storage_offset(),
    lambda L: x23(L)[1, 1:].storage_offset(), lambda L: x23(L)[:, ::2].stride(),
    lambda L: x23(L).is_contiguous(), lambda L: x23(L).T.is_contiguous(),
    lambda L: x23(L).T.contiguous().is_contiguous(), lambda L: x23(L).T.contiguous().stride(),
    lambda L: L.ones(3, 1).expand(3, 4).is_contiguous(),
    lambda L: L.ones(3, 1, 4)[:, :, :1].is_contiguous(),
    lambda L: L.ones(4, 1)[::2].is_contiguous(),
    lambda L: L.ones(0, 3).T.is_contiguous(),
    lambda L: x23(L)[:, 1].is_contiguous(), lambda L: x23(L).storage_offset(),
])
def test_strides_and_contiguity(fn):
    same_value(fn)


def test_contiguous_returns_self_or_copy():
    x = ember.ones(2, 3)
    assert x.contiguous() is x
    t = x.T
    c = t.contiguous()
    assert c is not t and c.is_contiguous() and c.data_ptr() != x.data_ptr()
    assert_same(c, torch.ones(2, 3).T.contiguous())


def test_data_ptr_and_untyped_storage_tell_sharing():
    x = ember.zeros(4)
    t = torch.zeros(4)
    assert x[1:].data_ptr() - x.data_ptr() == t[1:].data_ptr() - t.data_ptr() == 4
    views = (x[1:], x.view(2, 2), x.detach(), x.view(2, 2).T, x.unsqueeze(0), x[::2])
    for v in views:
        assert v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    for other in (x.clone(), x + 0, ember.zeros(4)):
        assert other.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
    assert x[2:].untyped_storage().nbytes() == torch.zeros(4)[2:].untyped_storage().nbytes()
    a = np.zeros(5)
    assert ember.from_numpy(a[1:]).untyped_storage().data_ptr() == \
        ember.from_numpy(a).untyped_storage().data_ptr()


# --- Python protocols --------------------------------------------------------------------------

def test_len_iter_and_unpacking():
    same_value(lambda L: len(x23(L)))
    same_value(lambda L: [r.tolist() for r in x23(L)])
    same_value(lambda L: [v.item() for v in L.arange(3)])
    same_error(lambda L: len(L.tensor(1.0)), exact=True)
    same_error(lambda L: iter(L.tensor(1.0)), exact=True)
    a, b = ember.arange(2)
    assert (a.item(), b.item()) == (0, 1)


@pytest.mark.parametrize("fn", [lambda L: bool(L.tensor([0.0])), lambda L: bool(L.tensor(3)),
                                lambda L: bool(L.tensor([[True]])), lambda L: not L.tensor(0)])
def test_bool(fn):
    same_value(fn)


@pytest.mark.parametrize("fn", [lambda L: bool(L.ones(2)), lambda L: bool(L.ones(0)),
                                lambda L: L.ones(2) and 1])
def test_bool_ambiguous(fn):
    msg = same_error(fn, exact=True)
    assert "ambiguous" in msg and "shape" in msg


@pytest.mark.parametrize("fn", [
    lambda L: float(L.tensor([2.5])), lambda L: float(L.tensor(3)), lambda L: int(L.tensor(2.7)),
    lambda L: int(L.tensor(-2.7)), lambda L: int(L.tensor(True)), lambda L: float(L.tensor(True)),
    lambda L: complex(L.tensor(2.0)), lambda L: complex(L.tensor(1 + 1j)),
    lambda L: int(L.tensor([[3]])), lambda L: float(L.tensor(float("inf"))),
    lambda L: [10, 20, 30][L.tensor(1)], lambda L: list(range(L.tensor(3))),
    lambda L: [10, 20, 30][L.tensor(True)], lambda L: operator.index(L.tensor(4, dtype=L.uint8)),
    lambda L: "ab" * L.tensor(2), lambda L: hex(L.tensor(255)), lambda L: [1, 2] * L.tensor(2),
    lambda L: [1, 2][L.tensor([1])], lambda L: [1, 2][L.tensor([[0]])],
])
def test_number_protocols(fn):
    same_value(fn)


@pytest.mark.parametrize("fn", [
    lambda L: float(L.ones(2)), lambda L: int(L.ones(0)), lambda L: float(L.tensor(1j)),
    lambda L: int(L.tensor(1j)), lambda L: [1, 2][L.tensor(1.0)], lambda L: [1, 2][L.ones(2)],
    lambda L: L.ones(2) + "a", lambda L: "a" + L.ones(2),
    lambda L: int(L.tensor(float("nan"))),
])
def test_number_protocol_errors(fn):
    same_error(fn)


def test_float_of_grad_tensor():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(ember.tensor(2.0, requires_grad=True)) == 2.0
        assert ember.tensor(2.0, requires_grad=True).item() == 2.0


def test_hash_is_identity():
    x, y = ember.ones(2), ember.ones(2)
    assert hash(x) == hash(x) and hash(x) != hash(y)
    d = {x: 1, y: 2}
    assert d[x] == 1 and d[y] == 2
    assert len({x, y, x}) == 2


@pytest.mark.parametrize("fn", [
    lambda L: 3.0 in x23(L), lambda L: 7 in x23(L), lambda L: L.tensor(2.0) in x23(L),
    lambda L: L.tensor([1, 3]) in L.tensor([1, 2]), lambda L: True in L.tensor([0, 1]),
    lambda L: 5 in L.tensor(5),
])
def test_contains(fn):
    same_value(fn)


def test_contains_rejects_other_objects():
    same_error(lambda L: [1] in L.ones(2))


@pytest.mark.parametrize("fn", [
    lambda L: f"{L.tensor(2.3456):.2f}", lambda L: f"{L.tensor(5):03d}",
    lambda L: f"{L.tensor(2.5)}",
    lambda L: f"{L.tensor(1e-5):e}", lambda L: f"{L.tensor(True)}", lambda L: f"{L.ones(2)}",
    lambda L: format(L.ones(2, 2), ""), lambda L: f"{L.tensor(7):>4}",
])
def test_format(fn):
    same_value(fn)


def test_format_spec_on_multi_element_tensor_errors():
    same_error(lambda L: f"{L.ones(2):.2f}")


# --- deepcopy / fill_ / zero_ / requires_grad ---------------------------------------------------

def test_deepcopy_of_leaves():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    x.grad = ember.ones(2)
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.is_leaf and y.tolist() == [1.0, 2.0]
    assert y.data_ptr() != x.data_ptr() and y.grad is not x.grad and y.grad.tolist() == [1, 1]
    memo_pair = copy.deepcopy([x, x])
    assert memo_pair[0] is memo_pair[1]
    v = ember.arange(6.0)
    pair = copy.deepcopy({"a": v, "b": v[2:]})
    pair["a"][3] = 100
    assert v[3].item() == 3
    same_error(lambda L: copy.deepcopy(L.ones(2, requires_grad=True) * 2))


@pytest.mark.parametrize("fn", [
    lambda L: x23(L).fill_(2), lambda L: L.ones(2, dtype=L.int64).fill_(2.7),
    lambda L: x23(L).zero_(), lambda L: x23(L).fill_(L.tensor(3.0)),
    lambda L: L.ones(2, dtype=L.bool).fill_(0), lambda L: x23(L)[:, 1].fill_(-1),
    lambda L: L.ones(2, dtype=L.complex64).fill_(1j),
])
def test_fill_and_zero(fn):
    same(fn)


def test_fill_writes_through_views_and_bumps_version():
    x = ember.zeros(2, 3)
    v0 = x._version
    x[:, 1].fill_(7)
    assert x.tolist() == [[0, 7, 0], [0, 7, 0]] and x._version == v0 + 1
    same_error(lambda L: x23(L).fill_(L.ones(2)), exact=True)
    same_error(lambda L: L.ones(2, requires_grad=True).fill_(1), exact=True)


def test_fill_with_grad_tensor_value_flows_gradient():
    for L in (torch, ember):
        v = L.tensor(2.0, requires_grad=True)
        y = L.zeros(3).fill_(v)
        (y * L.tensor([1.0, 2.0, 3.0])).sum().backward()
        assert v.grad.item() == 6.0


@pytest.mark.parametrize("fn", [
    lambda L: L.ones(2, dtype=L.int64).requires_grad_(),
    lambda L: setattr(L.ones(2, dtype=L.int64), "requires_grad", True),
    lambda L: L.ones(2, dtype=L.int64, requires_grad=True),
    lambda L: L.tensor([True], requires_grad=True),
    lambda L: (L.ones(2, requires_grad=True) * 2).requires_grad_(False),
])
def test_requires_grad_errors(fn):
    msg = same_error(fn)
    assert "floating point" in msg or "leaf" in msg


def test_requires_grad_flags():
    x = ember.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    for dt in ("float16", "bfloat16", "float64", "complex64"):
        assert ember.ones(1, dtype=getattr(ember, dt)).requires_grad_().requires_grad


def test_detach_of_a_view_is_not_a_view_for_autograd():
    for L in (torch, ember):
        a = L.ones(3, requires_grad=True)
        d = a[1:].detach()
        assert not d._is_view() and d._base is None
        d.add_(1)                       # allowed: the detached alias is outside the graph
        assert a.detach().tolist() == [1.0, 2.0, 2.0] and a._version == 1


def test_copy_copy_aliases_memory():
    x = ember.ones(2, requires_grad=True)
    y = copy.copy(x)
    assert y is not x and y.requires_grad and y.is_leaf and y.data_ptr() == x.data_ptr()
