"""ember.utils: helpers outside the tensor core (``ember.utils.data`` for data loading)."""
from . import data  # noqa: F401
