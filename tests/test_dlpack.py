"""DLPack: Tensor.__dlpack__/__dlpack_device__, ember.from_dlpack and ember.utils.dlpack share
memory without copies with NumPy and torch, in both directions (write through one, read through
the other)."""
import numpy as np
import pytest
import torch

import ember
from ember.utils import dlpack as edl

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int8", "uint8", "complex64", "bool"]


def _ember(dtype, shape=(2, 3)):
    return ember.from_numpy(np.arange(np.prod(shape)).reshape(shape).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_to_ember_shares_memory(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    t = ember.from_dlpack(a)
    assert t.dtype == getattr(ember, "bool" if dtype == "bool" else dtype)
    assert t.shape == (2, 3) and t.data_ptr() == a.ctypes.data
    t[0, 1] = 1 if dtype == "bool" else 5
    assert a[0, 1] == t[0, 1].item()
    a[1, 2] = 0
    assert t[1, 2].item() == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_ember_to_numpy_shares_memory(dtype):
    t = _ember(dtype)
    a = np.from_dlpack(t)
    assert a.dtype == np.dtype(dtype) and a.ctypes.data == t.data_ptr()
    a[0, 0] = 1
    assert t[0, 0].item() == a[0, 0]
    t[1, 1] = 0
    assert a[1, 1] == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_to_ember_shares_memory(dtype):
    src = torch.from_numpy(np.arange(6).reshape(2, 3).astype(dtype))
    t = ember.from_dlpack(src)
    assert t.data_ptr() == src.data_ptr() and str(t.dtype) == str(src.dtype)
    src[0, 2] = 1
    assert t[0, 2].item() == 1
    t[1, 0] = 0
    assert src[1, 0].item() == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_ember_to_torch_shares_memory(dtype):
    t = _ember(dtype)
    dst = torch.from_dlpack(t)
    assert dst.data_ptr() == t.data_ptr() and str(dst.dtype) == str(t.dtype)
    dst[0, 1] = 1
    assert t[0, 1].item() == 1
    t[1, 2] = 0
    assert dst[1, 2].item() == 0


def test_non_contiguous_views_keep_their_strides():
    base = ember.arange(12.0).reshape(3, 4)
    view = base[:, ::2].t()
    a = np.from_dlpack(view)
    assert a.shape == (2, 3) and a.strides == (8, 16)
    a[1, 2] = -1
    assert base[2, 2].item() == -1
    back = torch.from_dlpack(view)
    assert back.stride() == view.stride() and back[1, 2].item() == -1
    tv = torch.arange(12.0).reshape(3, 4)[::2]
    e = ember.from_dlpack(tv)
    assert e.stride() == tv.stride()
    np.testing.assert_array_equal(e.numpy(), tv.numpy())


def test_device_matches_torch_cpu():
    assert ember.ones(2).__dlpack_device__() == (1, 0)
    assert tuple(int(v) for v in torch.ones(2).__dlpack_device__()) == (1, 0)


def test_capsules_round_trip():
    t = ember.arange(4.0)
    u = edl.from_dlpack(edl.to_dlpack(t))
    u[0] = 9
    assert t[0].item() == 9
    # ember's capsule into torch (versioned protocol: writable)
    tt = torch.utils.dlpack.from_dlpack(edl.to_dlpack(t))
    tt[1] = 7
    assert t[1].item() == 7
    # torch's legacy capsule into ember: shared, read-only (the legacy protocol cannot say
    # "writable", so NumPy imports it read-only)
    src = torch.arange(3.0)
    e = edl.from_dlpack(torch.utils.dlpack.to_dlpack(src))
    src[2] = 5
    assert e[2].item() == 5
    with pytest.raises(RuntimeError, match="read-only"):
        e.add_(1)


def test_from_dlpack_of_an_ember_tensor_shares_memory():
    t = ember.zeros(2)
    u = ember.from_dlpack(t)
    u += 1
    assert t.tolist() == [1.0, 1.0]


def test_export_refuses_tensors_that_require_grad():
    t = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="require gradient, use tensor.detach()"):
        t.__dlpack__()
    with pytest.raises(RuntimeError, match="require gradient"):
        torch.from_dlpack(t)
    assert torch.from_dlpack(t.detach()).tolist() == [1.0, 1.0]


def test_errors():
    with pytest.raises(TypeError, match="__dlpack__"):
        ember.from_dlpack([1, 2])
    with pytest.raises(TypeError, match="expected a Tensor"):
        edl.to_dlpack(np.ones(2))
    with pytest.raises(RuntimeError, match="stream=None"):
        ember.ones(2).__dlpack__(stream=1)
