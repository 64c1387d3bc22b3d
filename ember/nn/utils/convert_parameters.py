"""parameters_to_vector / vector_to_parameters: a model's parameters as one flat vector."""
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """parameters_to_vector(parameters) -> Tensor: every parameter flattened and concatenated
    (differentiable).

    Example::

        >>> lin = nn.Linear(3, 2)
        >>> nn.utils.parameters_to_vector(lin.parameters()).shape
        torch.Size([8])
    """
    from ...ops.shape import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """vector_to_parameters(vec, parameters): point each parameter's data at its slice of
    ``vec`` (they then share memory with it, as in torch).

    Example::

        >>> lin = nn.Linear(3, 2)
        >>> nn.utils.vector_to_parameters(torch.zeros(8), lin.parameters())
        >>> lin.bias
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
