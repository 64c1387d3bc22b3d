"""ember.signal: signal-processing helpers (torch.signal); today the window functions."""
from . import windows

__all__ = ["windows"]
