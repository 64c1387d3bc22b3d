"""ember.nn.utils: helpers around modules (rnn: PackedSequence and pack/pad utilities)."""
from . import rnn  # noqa: F401
