"""A character-level language model: an Embedding, a GRU and a Linear head learn to continue a
short text, then write a sample greedily (the shape of PyTorch's char-RNN tutorials, on an
inline text so that nothing is downloaded).

Initial weights and the order of training windows come from a seeded NumPy generator, not from
torch.manual_seed, so every framework that runs this program starts from the same numbers.
"""
import numpy as np
import torch
from torch import nn

text = ("the quick brown fox jumps over the lazy dog. "
        "the lazy dog sleeps in the sun. "
        "the quick fox runs over the hill and the dog sleeps on. ") * 3

chars = sorted(set(text))
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for ch, i in stoi.items()}
data = torch.tensor([stoi[ch] for ch in text], dtype=torch.long)
vocab_size = len(chars)
print(f"{len(text)} characters, {vocab_size} distinct")


class CharRNN(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, hidden=None):
        out, hidden = self.rnn(self.embed(x), hidden)
        return self.head(out), hidden


model = CharRNN(vocab_size, embed_size=16, hidden_size=48)
rng = np.random.default_rng(0)
with torch.no_grad():
    for name, p in model.named_parameters():
        scale = 0.3 if name.startswith("embed") else 1.0 / np.sqrt(p.shape[-1])
        p.copy_(torch.from_numpy(rng.uniform(-scale, scale, size=tuple(p.shape))
                                 .astype(np.float32)))

optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss()
seq_len, batch_size = 24, 16

for step in range(1, 121):
    starts = rng.integers(0, len(data) - seq_len - 1, size=batch_size)
    x = torch.stack([data[s:s + seq_len] for s in starts])
    y = torch.stack([data[s + 1:s + seq_len + 1] for s in starts])
    logits, _ = model(x)
    loss = criterion(logits.reshape(-1, vocab_size), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}")


def generate(model, prompt, length):
    model.eval()
    with torch.no_grad():
        x = torch.tensor([[stoi[ch] for ch in prompt]])
        logits, hidden = model(x)
        out = prompt
        for _ in range(length):
            nxt = logits[0, -1].argmax().item()
            out += itos[nxt]
            logits, hidden = model(torch.tensor([[nxt]]), hidden)
    return out


print("sample:", repr(generate(model, "the ", 40)))
