"""The op registry's families. Importing this package fills the registry (ops/registry.py)."""
from . import (elementwise, reduction, linalg_ops, views, shape, indexing, sorting,  # noqa: F401
               index_ops, creation, random, nn_ops, complex_ops, conv, pooling, padding,
               normalization)
from . import activation_ops, loss_ops  # noqa: F401,E402
from . import rnn_ops  # noqa: F401,E402
from . import vision  # noqa: F401,E402
from . import selection  # noqa: F401,E402
from . import special_ops, fft_ops, spectral_ops  # noqa: F401,E402
from . import combine  # noqa: F401,E402
from . import searching  # noqa: F401,E402
from . import linalg_decomp, linalg_solve  # noqa: F401,E402
from . import statistics  # noqa: F401,E402
from . import scatter_reduce  # noqa: F401,E402
from . import aten_ops  # noqa: F401,E402
