"""Train a small CNN on scikit-learn's 8x8 digits on N ranks with DistributedDataParallel.

    mpiexec -n 2 python examples/ddp_digits.py            # 2 ranks on this machine
    python -m ember.distributed.run -n 2 examples/ddp_digits.py
    mpiexec -n 8 --hostfile hosts python examples/ddp_digits.py   # across machines

(As root, Open MPI also wants --allow-run-as-root; ember.distributed.run adds it.) Each rank
reads its own shard of every epoch through DistributedSampler, BatchNorm statistics cover the
whole global batch through SyncBatchNorm, and rank 0 prints the test accuracy and saves the
weights. Run with one rank, it is ordinary single-process training.
"""
import argparse
import time

import numpy as np
from sklearn.datasets import load_digits

import ember as torch
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DataLoader, TensorDataset
from ember.utils.data.distributed import DistributedSampler


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10))


def load(seed=0):
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]          # (N, 1, 8, 8) in [0, 1]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(0.8 * len(y))
    train, test = order[:cut], order[cut:]
    return (TensorDataset(torch.tensor(x[train]), torch.tensor(y[train])),
            TensorDataset(torch.tensor(x[test]), torch.tensor(y[test])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=32, help="per rank")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--save", default="", help="where rank 0 saves the state dict")
    args = ap.parse_args()

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)                 # rank 0's weights win anyway: DDP broadcasts them

    train, test = load()
    sampler = DistributedSampler(train, shuffle=True, seed=0)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)
    model = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(make_model()))
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    start = time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)          # a new shuffle, the same on every rank
        model.train()
        total = torch.zeros(2, dtype=torch.float64)      # summed loss, samples
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()               # gradients are averaged over the ranks here
            opt.step()
            total += torch.tensor([loss.item() * len(y), len(y)], dtype=torch.float64)
        dist.all_reduce(total)
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {total[0].item() / total[1].item():.4f} "
                  f"({world} rank{'s' if world > 1 else ''}, "
                  f"{time.perf_counter() - start:.1f} s)", flush=True)

    # evaluation needs no communication: every rank holds the same weights
    if rank == 0:
        model.eval()
        with torch.no_grad():
            x, y = test.tensors
            acc = (model(x).argmax(1) == y).float().mean().item()
        print(f"test accuracy: {acc:.3f}")
        if args.save:
            torch.save(model.module.state_dict(), args.save)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
