"""The op registry's families. Importing this package fills the registry (ops/registry.py)."""
from . import (elementwise, reduction, linalg_ops, views, shape, indexing, sorting,  # noqa: F401
               index_ops, creation, random, nn_ops, complex_ops, conv, pooling, padding,
               normalization)
