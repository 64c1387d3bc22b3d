"""ember.utils: helpers outside the tensor core: ``data`` (data loading), ``dlpack`` (zero-copy
exchange) and ``summary`` (a layer-by-layer table of a model)."""
from . import data, dlpack  # noqa: F401
from .summary import ModelSummary, summary  # noqa: F401
