"""ember: a deep-learning framework on NumPy with PyTorch's API.

``import ember as torch`` gives tensors with shared-memory views, operator overloading,
define-by-run autograd, ``nn`` modules, losses and optimizers.
"""
import numpy as _np

# PyTorch computes IEEE results (inf, nan) silently; NumPy would warn on each. ember follows torch.
_np.seterr(divide="ignore", over="ignore", invalid="ignore", under="ignore")

from .dtypes import (  # noqa: E402,F401
    dtype, get_default_dtype, set_default_dtype, promote_types, result_type, can_cast, finfo, iinfo,
    bool_ as bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
    complex64, complex128)
from .dtypes import ALIASES as _ALIASES  # noqa: E402
from .device import device  # noqa: E402,F401
from .tensor import Tensor, Size  # noqa: E402,F401
from ._errors import (EmberRuntimeError, EmberIndexError, EmberTypeError,  # noqa: E402,F401
                      EmberValueError)
from . import ops as _ops  # noqa: E402,F401  (fills the registry)
from . import _tensor_methods  # noqa: E402,F401  (binds methods and operators)
from .ops.registry import PUBLIC as _PUBLIC  # noqa: E402
from .ops.random import Generator, default_generator  # noqa: E402,F401
from ._printing import set_printoptions, get_printoptions  # noqa: E402,F401
from . import autograd  # noqa: E402,F401
from .autograd import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: E402,F401
                       is_grad_enabled, is_inference_mode_enabled)
from ._storage import UntypedStorage  # noqa: E402,F401
from ._layout import (memory_format, layout, contiguous_format, channels_last,  # noqa: E402,F401
                      channels_last_3d, preserve_format, strided)
from ._diagnostics import StaleGradWarning, GrowingGraphWarning  # noqa: E402,F401

for _k, _v in _ALIASES.items():
    globals()[_k] = _v
globals().update(_PUBLIC)

__version__ = "0.1.0"

import math as _math  # noqa: E402
pi, e, inf, nan = _math.pi, _math.e, _math.inf, _math.nan


def is_tensor(obj):
    """is_tensor(obj) -> bool.

    Example:
        >>> torch.is_tensor(torch.tensor([1.0]))
        True
        >>> torch.is_tensor([1.0])
        False
    """
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """is_floating_point(input) -> bool.

    Example:
        >>> torch.is_floating_point(torch.tensor([1.0]))
        True
        >>> torch.is_floating_point(torch.tensor([1]))
        False
    """
    return input.is_floating_point()


def is_complex(input):
    """is_complex(input) -> bool.

    Example:
        >>> torch.is_complex(torch.tensor([1 + 2j]))
        True
        >>> torch.is_complex(torch.tensor([1.0]))
        False
    """
    return input.is_complex()


def numel(input):
    """numel(input) -> int.

    Example:
        >>> torch.numel(torch.zeros(2, 3, 4))
        24
    """
    return input.numel()


def get_num_threads():
    """get_num_threads() -> int: BLAS threads (threadpoolctl when installed, else os.cpu_count).

    Example:
        >>> torch.get_num_threads() >= 1
        True
    """
    try:
        from threadpoolctl import threadpool_info
        info = threadpool_info()
        # builtins.max: this module's ``max`` is ember.max
        import builtins
        return builtins.max((i["num_threads"] for i in info), default=1)
    except ImportError:
        import os
        return os.cpu_count() or 1


def set_num_threads(n):
    """set_num_threads(n): limit BLAS threads (needs threadpoolctl; otherwise a no-op).

    Example:
        >>> n = torch.get_num_threads()
        >>> torch.set_num_threads(1)
        >>> torch.get_num_threads() >= 1
        True
        >>> torch.set_num_threads(n)
    """
    try:
        from threadpoolctl import threadpool_limits
        global _thread_limit
        # operator.index, not int: this module's ``int`` is the dtype ember.int (torch's name)
        import operator
        _thread_limit = threadpool_limits(operator.index(n))
    except ImportError:
        pass


from . import nn, optim  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
from . import special, fft, signal, cuda  # noqa: E402,F401
from . import masked  # noqa: E402,F401
from . import testing  # noqa: E402,F401
from . import utils  # noqa: E402,F401
from . import distributed  # noqa: E402,F401  (mpi4py loads only in init_process_group)
from .utils.dlpack import from_dlpack  # noqa: E402,F401
from .serialization import save, load  # noqa: E402,F401
from .compile import compile  # noqa: E402,F401  (the function shadows the package name)
from . import onnx  # noqa: E402,F401  (the onnx package itself loads only inside export())
