"""ember.nn.utils: helpers around modules (rnn: PackedSequence and pack/pad utilities)."""
from . import rnn  # noqa: F401
# clipping, flat-vector conversion and weight reparametrizations (the vision/training helper)
from . import parametrize, parametrizations  # noqa: F401
from .clip_grad import (clip_grad_norm_, clip_grad_norm, clip_grad_value_,  # noqa: F401
                        get_total_norm, clip_grads_with_norm_)
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .weight_norm import weight_norm, remove_weight_norm  # noqa: F401
from .spectral_norm import spectral_norm, remove_spectral_norm  # noqa: F401
