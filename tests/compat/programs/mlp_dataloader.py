"""Train an MLP classifier on three Gaussian clusters with a DataLoader over a TensorDataset,
the shape of PyTorch's "Quickstart" tutorial (train loop, test loop, accuracy).

Random numbers come from NumPy (data, initial weights, shuffling order), not from
torch.manual_seed: the same program must give the same numbers under every framework that runs
it, and their random generators differ.
"""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Sampler, TensorDataset

rng = np.random.default_rng(0)
n_features, n_classes = 20, 3
centers = rng.normal(0.0, 1.0, size=(n_classes, n_features))


def make_data(n):
    labels = rng.integers(0, n_classes, size=n)
    points = centers[labels] + rng.normal(0.0, 1.6, size=(n, n_features))
    return (torch.tensor(points, dtype=torch.float32),
            torch.tensor(labels, dtype=torch.int64))


train_data = TensorDataset(*make_data(600))
test_data = TensorDataset(*make_data(300))


class NumpyShuffle(Sampler):
    """A new random order every epoch, from a seeded NumPy generator."""

    def __init__(self, n, seed):
        self.n = n
        self.rng = np.random.default_rng(seed)

    def __iter__(self):
        return iter(self.rng.permutation(self.n).tolist())

    def __len__(self):
        return self.n


batch_size = 32
train_dataloader = DataLoader(train_data, batch_size=batch_size,
                              sampler=NumpyShuffle(len(train_data), seed=1))
test_dataloader = DataLoader(test_data, batch_size=batch_size)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(n_features, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, n_classes),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork()
init = np.random.default_rng(2)
with torch.no_grad():
    for name, param in model.named_parameters():
        bound = 1.0 / np.sqrt(param.shape[-1])
        param.copy_(torch.from_numpy(
            init.uniform(-bound, bound, size=tuple(param.shape)).astype(np.float32)))
print(model)

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)

        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        if batch % 10 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")


epochs = 5
for t in range(epochs):
    print(f"Epoch {t + 1}\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    test(test_dataloader, model, loss_fn)
    scheduler.step()
    print(f"learning rate now {scheduler.get_last_lr()[0]:.4f}")
print("Done!")
