import numpy as np
import pytest
import torch

import ember

# One BLAS thread: the suite's timings stay stable on a loaded 2-core machine, where BLAS threads
# oversubscribed by other processes make small GEMMs many times slower.
try:
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
except ImportError:
    pass
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed_and_defaults():
    """Each test starts from the same seeds and default dtype."""
    ember.manual_seed(0)
    torch.manual_seed(0)
    np.random.seed(0)
    yield
    ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float32)
