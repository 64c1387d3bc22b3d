"""ember.autograd.graph: the Node type, as torch.autograd.graph exposes it."""
from .node import Node  # noqa: F401
