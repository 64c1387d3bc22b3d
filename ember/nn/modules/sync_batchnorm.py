"""SyncBatchNorm: batch normalisation whose statistics, and their gradients, cover the batch of
every rank of a process group."""
import numpy as np

from ...autograd.function import Function, once_differentiable
from ...tensor import wrap
from .normalization import _BatchNorm


def _allreduce_sum(arr, group, what):
    """Sum a float64 array over the group's ranks, in place (through the group's timed wait)."""
    from ...distributed import process_group as pgmod
    pg = pgmod.resolve(group)
    pg.seq += 1
    req = pg.comm.Iallreduce(pgmod.MPI.IN_PLACE, arr, pgmod.MPI.SUM)
    pg.wait(req, what, pg.seq)
    return arr


class _SyncBatchNormFn(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias with mean and (biased) var over all
    ranks' batches. Backward needs two more all-rank sums, of g and of g * xhat, per channel."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, eps, momentum, group):
        a = x._array
        c = a.shape[1]
        # one message: [count, sum(x) per channel, sum(x * x) per channel], summed in float64
        # so that E[x^2] - E[x]^2 keeps float32 data's precision
        stats = np.empty(1 + 2 * c, np.float64)
        rows = np.moveaxis(a, 1, 0).reshape(c, -1)
        stats[0] = rows.shape[1]
        stats[1:1 + c] = rows.sum(axis=1, dtype=np.float64)
        stats[1 + c:] = np.einsum("ij,ij->i", rows, rows, dtype=np.float64)
        _allreduce_sum(stats, group, "SyncBatchNorm statistics all_reduce")
        n = stats[0]
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(a.shape)} (over all ranks: {int(n)} values)")
        mean = stats[1:1 + c] / n
        var = np.maximum(stats[1 + c:] / n - mean * mean, 0.0)
        invstd = 1.0 / np.sqrt(var + eps)
        shape = (1, c) + (1,) * (a.ndim - 2)
        xhat = ((a - mean.reshape(shape).astype(a.dtype)) *
                invstd.reshape(shape).astype(a.dtype))
        y = xhat
        if weight is not None:
            y = y * weight._array.reshape(shape)
        if bias is not None:
            y = y + bias._array.reshape(shape)
        if running_mean is not None:
            rm, rv = running_mean._array, running_var._array
            rm *= 1 - momentum
            rm += (momentum * mean).astype(rm.dtype)
            rv *= 1 - momentum
            rv += (momentum * var * (n / (n - 1))).astype(rv.dtype)
            for t in (running_mean, running_var):
                if t._vc is not None:
                    t._vc.version += 1
        ctx.xhat = xhat
        ctx.invstd = invstd
        ctx.n = n
        ctx.group = group
        ctx.weight = None if weight is None else weight._array
        ctx.has_bias = bias is not None
        return wrap(np.ascontiguousarray(y, dtype=a.dtype))

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        g = g._array
        xhat = ctx.xhat
        c = xhat.shape[1]
        axes = (0,) + tuple(range(2, xhat.ndim))
        shape = (1, c) + (1,) * (xhat.ndim - 2)
        local = np.empty(2 * c, np.float64)
        local[:c] = g.sum(axis=axes, dtype=np.float64)
        local[c:] = (g * xhat).sum(axis=axes, dtype=np.float64)
        # weight and bias get this rank's share only: DistributedDataParallel averages them
        gw = None if ctx.weight is None else wrap(local[c:].astype(xhat.dtype))
        gb = wrap(local[:c].astype(xhat.dtype)) if ctx.has_bias else None
        tot = _allreduce_sum(local.copy(), ctx.group, "SyncBatchNorm backward all_reduce")
        mean_g = (tot[:c] / ctx.n).reshape(shape).astype(xhat.dtype)
        mean_gx = (tot[c:] / ctx.n).reshape(shape).astype(xhat.dtype)
        scale = ctx.invstd if ctx.weight is None else ctx.invstd * ctx.weight
        gx = (g - mean_g - xhat * mean_gx) * scale.reshape(shape).astype(xhat.dtype)
        ctx.xhat = None
        return wrap(gx), gw, gb, None, None, None, None, None


class SyncBatchNorm(_BatchNorm):
    """SyncBatchNorm(num_features, eps=1e-05, momentum=0.1, affine=True,
    track_running_stats=True, process_group=None): BatchNorm over N-D input (N, C, ...) whose
    training-mode statistics are those of the whole batch across the ranks of
    ``process_group``; its backward sums the statistics' gradients across ranks as well.

    Outside training, or when no process group is running, it is a plain BatchNorm.
    ``SyncBatchNorm.convert_sync_batchnorm(model)`` swaps every BatchNorm of a model for one.

    Example:
        >>> model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4))
        >>> nn.SyncBatchNorm.convert_sync_batchnorm(model)
        Sequential(
          (0): Linear(in_features=2, out_features=4, bias=True)
          (1): SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, bias=True,
          track_running_stats=True)
        )
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        if not (self.training and self._synced()):
            return super().forward(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.item())
        keep = self.track_running_stats
        return _SyncBatchNormFn.apply(input, self.weight, self.bias,
                                      self.running_mean if keep else None,
                                      self.running_var if keep else None,
                                      float(self.eps), float(momentum), self.process_group)

    def _synced(self):
        from ... import distributed as dist
        if not dist.is_initialized():
            return False
        return dist.get_world_size(self.process_group) > 1

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """convert_sync_batchnorm(module, process_group=None) -> Module: ``module`` with every
        BatchNorm*D replaced by a SyncBatchNorm sharing its parameters and buffers."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return out
