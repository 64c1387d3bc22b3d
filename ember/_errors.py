"""ember's exceptions: each subclasses the Python exception torch raises in the same situation,
so ``except RuntimeError`` code written for torch keeps working."""


class EmberRuntimeError(RuntimeError):
    """An op was given arguments it cannot work with (shapes, dtypes, autograd state).

    Example:
        >>> issubclass(torch.EmberRuntimeError, RuntimeError)
        True
        >>> try:
        ...     torch.zeros(2) + torch.zeros(3)
        ... except RuntimeError as e:
        ...     print(type(e).__name__)
        EmberRuntimeError
    """


class EmberIndexError(IndexError):
    """An index is out of range for the dimension it indexes.

    Example:
        >>> issubclass(torch.EmberIndexError, IndexError)
        True
        >>> try:
        ...     torch.zeros(2)[5]
        ... except IndexError as e:
        ...     print(type(e).__name__)
        EmberIndexError
    """


class EmberTypeError(TypeError):
    """An argument has the wrong Python type.

    Example:
        >>> issubclass(torch.EmberTypeError, TypeError)
        True
    """


class EmberValueError(ValueError):
    """An argument has a value outside what the function accepts.

    Example:
        >>> issubclass(torch.EmberValueError, ValueError)
        True
    """


def shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"
