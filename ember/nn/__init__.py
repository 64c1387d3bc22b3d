"""ember.nn: Module, Parameter, layers, losses, functional (as F) and init."""
from .parameter import Parameter, Buffer  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from . import functional, init  # noqa: F401
from . import utils  # noqa: F401,E402
from . import parallel  # noqa: F401,E402
