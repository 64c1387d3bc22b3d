"""ember's exceptions: each subclasses the Python exception torch raises in the same situation,
so ``except RuntimeError`` code written for torch keeps working."""


class EmberRuntimeError(RuntimeError):
    """An op was given arguments it cannot work with (shapes, dtypes, autograd state)."""


class EmberIndexError(IndexError):
    """An index is out of range for the dimension it indexes."""


class EmberTypeError(TypeError):
    """An argument has the wrong Python type."""


class EmberValueError(ValueError):
    """An argument has a value outside what the function accepts."""


def shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"
