"""Memory formats and explicit strides against torch: the strides each creator and converter
gives, and its errors."""
import numpy as np
import pytest
import torch

import ember


def _x(L):
    L.manual_seed(0)
    return L.randn(2, 3, 4, 5)


def _cl(L):
    return _x(L).contiguous(memory_format=L.channels_last)


CASES = {
    "contiguous channels_last": lambda L: _cl(L),
    "contiguous channels_last_3d": lambda L: L.zeros(2, 3, 4, 5, 6).contiguous(
        memory_format=L.channels_last_3d),
    "contiguous 2-d channels_last": lambda L: L.zeros(2, 3).contiguous(
        memory_format=L.channels_last),
    "contiguous 4-d channels_last_3d": lambda L: _x(L).contiguous(
        memory_format=L.channels_last_3d),
    "contiguous preserve": lambda L: _x(L).contiguous(memory_format=L.preserve_format),
    "channels_last back to contiguous": lambda L: _cl(L).contiguous(),
    "is_contiguous": lambda L: (_cl(L).is_contiguous(),
                                _cl(L).is_contiguous(memory_format=L.channels_last),
                                _x(L).is_contiguous(memory_format=L.channels_last),
                                L.zeros(1, 3, 1, 1).is_contiguous(memory_format=L.channels_last),
                                L.zeros(2, 3).is_contiguous(memory_format=L.channels_last),
                                L.zeros(2, 3).t().is_contiguous(memory_format=L.preserve_format)),
    "clone preserves": lambda L: _cl(L).clone(),
    "clone of transpose preserves": lambda L: L.zeros(3, 4).t().clone(),
    "clone contiguous_format": lambda L: _cl(L).clone(memory_format=L.contiguous_format),
    "clone channels_last": lambda L: _x(L).clone(memory_format=L.channels_last),
    "empty channels_last": lambda L: L.empty(2, 3, 4, 5, memory_format=L.channels_last),
    "empty preserve": lambda L: L.empty(2, 3, memory_format=L.preserve_format),
    "zeros rejects memory_format": lambda L: L.zeros(2, 3, memory_format=L.channels_last),
    "empty_like preserves": lambda L: L.empty_like(_cl(L)),
    "empty_like contiguous": lambda L: L.empty_like(_cl(L), memory_format=L.contiguous_format),
    "zeros_like of transpose": lambda L: L.zeros_like(L.zeros(3, 4).t()),
    "zeros_like of strided slice": lambda L: L.zeros_like(L.zeros(3, 4)[:, ::2]),
    "ones_like channels_last": lambda L: L.ones_like(_x(L), memory_format=L.channels_last),
    "to channels_last": lambda L: _x(L).to(memory_format=L.channels_last),
    "to dtype and channels_last": lambda L: _x(L).to(L.float64, memory_format=L.channels_last),
    "elementwise keeps channels_last": lambda L: _cl(L) * 2 + 1,
    "relu keeps channels_last": lambda L: L.relu(_cl(L)),
    "empty_strided": lambda L: L.empty_strided((2, 3), (1, 2)),
    "empty_strided overlapping": lambda L: L.empty_strided((2, 3), (0, 0)),
    "empty_strided empty": lambda L: L.empty_strided((2, 0), (7, 9)),
    "empty_strided negative": lambda L: L.empty_strided((2, 3), (1, -2)),
    "empty_strided rank": lambda L: L.empty_strided((2, 3), (1,)),
    "new_empty_strided": lambda L: L.zeros(1, dtype=L.float64).new_empty_strided((2, 3), (1, 2)),
    "empty_permuted": lambda L: L.empty_permuted((2, 3, 5), (0, 2, 1)),
    "empty_permuted length": lambda L: L.empty_permuted((2, 3, 5), (0, 2)),
    "empty_permuted duplicate": lambda L: L.empty_permuted((2, 3, 5), (0, 2, 2)),
}


def _outcome(L, case):
    try:
        r = CASES[case](L)
    except Exception as exc:  # noqa: BLE001 (the error is what is compared)
        return type(exc).__name__.replace("Ember", ""), str(exc).splitlines()[0]
    if isinstance(r, L.Tensor):
        return tuple(r.shape), r.stride(), str(r.dtype)
    return r


@pytest.mark.parametrize("case", sorted(CASES))
def test_layout_matches_torch(case):
    assert _outcome(ember, case) == _outcome(torch, case)


def test_layouts_keep_values_and_gradients():
    x = ember.randn(2, 3, 4, 5, dtype=ember.float64, requires_grad=True)
    y = x.contiguous(memory_format=ember.channels_last)
    z = x.clone(memory_format=ember.channels_last)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    np.testing.assert_array_equal(z.detach().numpy(), x.detach().numpy())
    ((y * 2).sum() + (z * 3).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3, 4, 5), 5.0))
    s = ember.empty_strided((2, 3), (1, 2)).fill_(1.5)
    assert s.tolist() == [[1.5] * 3] * 2


def test_is_contiguous_rejects_what_is_not_a_memory_format():
    for lib in (ember, torch):
        with pytest.raises(TypeError, match="argument 'memory_format' must be "
                                            "torch.memory_format, not str"):
            lib.zeros(2).is_contiguous(memory_format="channels_last")
