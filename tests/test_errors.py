"""The core issue's error list, table-driven: each case raises, under ember, an exception that is
an instance of the exception type torch raises for the same code (so `except RuntimeError`
written for torch keeps working), with a message that carries torch's text where given and
names the shapes/dtypes involved."""
import numpy as np
import pytest
import torch

import ember


def _backward_twice(L):
    a = L.ones(1, requires_grad=True)
    y = (a * a).sum()
    y.backward()
    y.backward()


def _modified_saved(L):
    a = L.ones(2, requires_grad=True)
    b = a * 1
    c = b * b
    b.add_(1)
    c.sum().backward()


# (id, code, substrings the ember message must contain: torch's words and the shapes/dtypes)
CASES = [
    ("broadcast", lambda L: L.ones(3) + L.ones(4),
     ["The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0",
      "[3]", "[4]"]),
    ("broadcast 2-d", lambda L: L.ones(2, 3) * L.ones(4, 5),
     ["The size of tensor a (3) must match the size of tensor b (5) at non-singleton dimension 1",
      "[2, 3]", "[4, 5]"]),
    ("broadcast scalar-tensor op", lambda L: L.ones(2, 3, 1) - L.ones(4, 5),
     ["must match the size of tensor b (4) at non-singleton dimension 1", "[2, 3, 1]", "[4, 5]"]),
    ("in-place dtype", lambda L: L.ones(3, dtype=L.int64).add_(1.5),
     ["result type Float can't be cast to the desired output type Long"]),
    ("in-place dtype tensor", lambda L: L.ones(3, dtype=L.int32).mul_(L.ones(3, dtype=L.float64)),
     ["result type Double can't be cast to the desired output type Int"]),
    ("in-place true division", lambda L: L.arange(3).div_(2),
     ["result type Float can't be cast to the desired output type Long"]),
    ("in-place on bool", lambda L: L.ones(2, dtype=L.bool).add_(2),
     ["result type Long can't be cast to the desired output type Bool"]),
    ("in-place complex into real", lambda L: L.ones(2).add_(1j),
     ["result type ComplexFloat can't be cast to the desired output type Float"]),
    ("in-place broadcast", lambda L: L.ones(3).add_(L.ones(2, 3)),
     ["output with shape [3] doesn't match the broadcast shape [2, 3]"]),
    ("index out of range", lambda L: L.ones(3)[5],
     ["index 5 is out of bounds for dimension 0 with size 3"]),
    ("index out of range dim 1", lambda L: L.ones(3, 4)[1, 7],
     ["index 7 is out of bounds for dimension 1 with size 4"]),
    ("negative index out of range", lambda L: L.ones(3)[-4],
     ["index -4 is out of bounds for dimension 0 with size 3"]),
    ("tensor index out of range", lambda L: L.ones(3)[L.tensor([5])],
     ["index 5 is out of bounds for dimension 0 with size 3"]),
    ("too many indices", lambda L: L.ones(3)[0, 0], ["too many indices for tensor of dimension 1"]),
    ("dim out of range", lambda L: L.ones(2, 3).sum(3),
     ["Dimension out of range (expected to be in range of [-2, 1], but got 3)"]),
    ("backward on non-scalar", lambda L: (L.ones(3, requires_grad=True) * 2).backward(),
     ["grad can be implicitly created only for scalar outputs"]),
    ("backward without grad", lambda L: L.ones(2).sum().backward(),
     ["element 0 of tensors does not require grad and does not have a grad_fn"]),
    ("backward twice", _backward_twice,
     ["Trying to backward through the graph a second time"]),
    ("saved tensor modified", _modified_saved,
     ["one of the variables needed for gradient computation has been modified by an inplace "
      "operation"]),
    ("numpy of grad tensor", lambda L: L.ones(2, requires_grad=True).numpy(),
     ["Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."]),
    ("np.asarray of grad tensor", lambda L: np.asarray(L.ones(2, requires_grad=True)),
     ["Can't call numpy() on Tensor that requires grad"]),
    ("view on incompatible strides", lambda L: L.ones(3, 4).t().view(12),
     ["view size is not compatible with input tensor's size and stride", "[12]"]),
    ("view wrong numel", lambda L: L.ones(3, 4).view(5),
     ["shape '[5]' is invalid for input of size 12"]),
    ("reshape wrong numel", lambda L: L.ones(2, 3).reshape(4),
     ["shape '[4]' is invalid for input of size 6"]),
    ("linear shapes", lambda L: L.nn.Linear(1, 1)(L.ones(5)),
     ["mat1 and mat2 shapes cannot be multiplied (1x5 and 1x1)"]),
    ("matmul shapes", lambda L: L.ones(2, 3) @ L.ones(4, 5),
     ["mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"]),
    ("mm shapes", lambda L: L.mm(L.ones(2, 3), L.ones(4, 5)),
     ["mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"]),
    ("matmul vectors", lambda L: L.ones(3) @ L.ones(4), ["3", "4"]),
    ("bmm shapes", lambda L: L.bmm(L.ones(2, 2, 3), L.ones(2, 4, 5)), ["[2, 2, 3]", "[2, 4, 5]"]),
    ("mv shapes", lambda L: L.mv(L.ones(2, 3), L.ones(4)), ["2x3", "4"]),
    ("cat sizes", lambda L: L.cat([L.ones(2, 3), L.ones(2, 4)]),
     ["Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for "
      "tensor number 1 in the list."]),
    ("cat ranks", lambda L: L.cat([L.ones(2, 3), L.ones(2)]),
     ["Tensors must have same number of dimensions: got 2 and 1"]),
    ("stack sizes", lambda L: L.stack([L.ones(2, 3), L.ones(2, 4)]),
     ["stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at "
      "entry 1"]),
    ("requires_grad on ints", lambda L: L.ones(2, dtype=L.int64).requires_grad_(),
     ["only Tensors of floating point", "can require gradients", "int64"]),
    ("requires_grad on ints at creation", lambda L: L.tensor([1, 2], requires_grad=True),
     ["nly Tensors of floating point and complex dtype can require gradients"]),
    ("requires_grad on non-leaf", lambda L: (L.ones(2, requires_grad=True) * 2)
     .requires_grad_(False), ["you can only change requires_grad flags of leaf variables"]),
    ("in-place on leaf", lambda L: L.ones(2, requires_grad=True).add_(1),
     ["a leaf Variable that requires grad is being used in an in-place operation."]),
    ("bool of many values", lambda L: bool(L.ones(2)),
     ["Boolean value of Tensor with more than one value is ambiguous", "[2]"]),
    ("item of many values", lambda L: L.ones(2).item(),
     ["a Tensor with 2 elements cannot be converted to Scalar"]),
    ("float of many values", lambda L: float(L.ones(2, 2)),
     ["only one element tensors can be converted to Python scalars", "[2, 2]"]),
    ("expand", lambda L: L.ones(2, 3).expand(4, 3),
     ["The expanded size of the tensor (4) must match the existing size (2) at non-singleton "
      "dimension 0.  Target sizes: [4, 3].  Tensor sizes: [2, 3]"]),
    ("len of 0-d", lambda L: len(L.tensor(1.0)), ["len() of a 0-d tensor"]),
    ("negative size", lambda L: L.ones(-1),
     ["Trying to create tensor with negative dimension -1: [-1]"]),
    ("ragged data", lambda L: L.tensor([[1, 2], [3]]),
     ["expected sequence of length 2 at dim 1 (got 1)"]),
    ("rand int dtype", lambda L: L.rand(2, dtype=L.int64),
     ['"check_uniform_bounds" not implemented for \'Long\'']),
    ("cuda", lambda L: L.ones(2, device="cuda"), ["cuda"]),
    ("arange step sign", lambda L: L.arange(0, 5, -1),
     ["upper bound and lower bound inconsistent with step sign"]),
]


@pytest.mark.parametrize("code, needles", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_type_and_message(code, needles):
    with pytest.raises(Exception) as te:
        code(torch)
    with pytest.raises(Exception) as ee:
        code(ember)
    assert isinstance(ee.value, type(te.value)), \
        f"ember raised {type(ee.value).__mro__}, torch {type(te.value).__name__}"
    msg = str(ee.value)
    for needle in needles:
        assert needle in msg, f"{needle!r} not in ember's message {msg!r}"


def test_ember_exceptions_carry_ember_types():
    """ember's own classes (not bare builtins) so callers can tell ember's checks apart."""
    for code in (lambda: ember.ones(3) + ember.ones(4), lambda: ember.ones(3)[5],
                 lambda: ember.ones(3, dtype=ember.int64).add_(1.5)):
        with pytest.raises((ember.EmberRuntimeError, ember.EmberIndexError)):
            code()
