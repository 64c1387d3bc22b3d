"""``python -m ember.demo``: ember's first-hour tour, in PyTorch code.

Trains a small CNN on scikit-learn's bundled 8x8 digits (nothing is downloaded) with a
DataLoader, Adam and a one-cycle learning-rate schedule behind a tqdm progress bar; prints the
test accuracy, a confusion matrix and the time it took; and writes to an output folder a plot of
the loss and accuracy curves, a grid of the misclassified test digits and a checkpoint (written
with ``ember.save``, read back with ``ember.load`` and checked to give the same accuracy).

The code below is written against ``import ember as torch``: it is PyTorch code, and with
``import torch`` (``torch.nn``, ``torch.utils.data``) in place of the three ember imports it runs
under PyTorch as well (with other numbers: the two draw different random initial weights). tqdm, matplotlib and scikit-learn come with ``ember[demo]``; the
demo imports them only when it runs, so ember itself never needs them.
"""
import argparse
import importlib
import importlib.util
import os
import sys
import time

import numpy as np

import ember as torch
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

__all__ = ["build_parser", "main", "make_model"]

PROG = "python -m ember.demo"
INSTALL_HINT = 'pip install "ember[demo]"'
N_TEST = 360                      # a fifth of the 1797 digits, the same images for every seed
CURVES_PNG = "curves.png"
MISCLASSIFIED_PNG = "misclassified.png"
CHECKPOINT = "digits_cnn.pt"


# =============================================================================================
# command line
# =============================================================================================

class _Parser(argparse.ArgumentParser):
    """argparse, with every usage error on one line (argparse's own prints the usage first)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _number(kind, text, ok, what):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def _positive_int(text):
    return _number(int, text, lambda v: v > 0, "a positive integer")


def _int(text):
    return _number(int, text, lambda v: 0 <= v < 2 ** 63, "a non-negative integer")


def _positive_float(text):
    return _number(float, text, lambda v: 0 < v < float("inf"), "a positive number")


def build_parser():
    """The demo's argument parser (``python -m ember.demo --help`` prints its help)."""
    p = _Parser(
        prog=PROG,
        description="Train a small CNN on scikit-learn's 8x8 handwritten digits with ember "
                    "(PyTorch's API on NumPy), then report its test accuracy and write a plot, "
                    "a grid of the misclassified digits and a checkpoint.",
        epilog=f"Needs tqdm, matplotlib and scikit-learn: {INSTALL_HINT}.")
    p.add_argument("--epochs", type=_positive_int, default=12, metavar="N",
                   help="passes over the 1437 training images (default: %(default)s)")
    p.add_argument("--batch-size", type=_positive_int, default=32, metavar="N",
                   help="images per optimizer step (default: %(default)s)")
    p.add_argument("--lr", type=_positive_float, default=1e-2, metavar="LR",
                   help="peak learning rate of Adam under the one-cycle schedule "
                        "(default: %(default)s)")
    p.add_argument("--seed", type=_int, default=0, metavar="N",
                   help="seed for the initial weights, dropout and shuffling; the same seed "
                        "gives the same numbers (default: %(default)s)")
    p.add_argument("--out", default="ember-demo", metavar="DIR",
                   help="folder for the plots and the checkpoint, created if needed "
                        "(default: ./%(default)s/)")
    p.add_argument("--compile", action="store_true",
                   help="run the model through ember.compile (only in builds that have the "
                        "compiler)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar, per-epoch lines or confusion matrix: print only "
                        "the results")
    return p


def _missing_extras():
    """Names of the ``ember[demo]`` packages that cannot be imported."""
    missing = []
    for module, package in (("tqdm", "tqdm"), ("matplotlib", "matplotlib"),
                            ("sklearn", "scikit-learn")):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):    # ValueError: a None entry in sys.modules
            found = False
        if not found:
            missing.append(package)
    return missing


# =============================================================================================
# data and model
# =============================================================================================

def load_digits():
    """The 1797 8x8 digits as (x_train, y_train, x_test, y_test) NumPy arrays; pixels in [0, 1].

    Reads the CSV that scikit-learn ships (what ``sklearn.datasets.load_digits`` reads) without
    importing scikit-learn, which would pull in SciPy and cost seconds; falls back to
    ``load_digits`` if the file has moved.
    """
    spec = importlib.util.find_spec("sklearn")
    path = os.path.join(os.path.dirname(spec.origin), "datasets", "data", "digits.csv.gz")
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.float32)
        images, labels = table[:, :-1].reshape(-1, 8, 8), table[:, -1]
    except (OSError, ValueError, IndexError):
        digits = importlib.import_module("sklearn.datasets").load_digits()
        images, labels = digits.images, digits.target
    x = (np.asarray(images, np.float32) / 16.0)[:, None]        # N x 1 x 8 x 8
    y = np.asarray(labels).astype(np.int64)
    # a fixed split, so that accuracies from different seeds are measured on the same images
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return x[N_TEST:], y[N_TEST:], x[:N_TEST], y[:N_TEST]


def make_model():
    """make_model() -> nn.Module: two conv blocks (conv, batch norm, ReLU, max-pool) and a
    two-layer classifier with dropout: 8x8 images in, 10 logits out."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),                                                # 32 x 4 x 4
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),                                                # 64 x 2 x 2
        nn.Flatten(), nn.Linear(64 * 2 * 2, 128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, 10))


def evaluate(model, x, y, loss_fn, net=None):
    """(mean loss, accuracy, logits) of ``model`` in eval mode on the whole of ``x``, ``y``;
    ``net`` (default ``model``) is what computes the logits, e.g. the compiled model."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = (net or model)(x)
        loss = loss_fn(logits, y).item()
    model.train(was_training)
    return loss, (logits.argmax(dim=1) == y).float().mean().item(), logits


def confusion_matrix(y, pred, n=10):
    """Counts of (true, predicted) pairs as an n x n int64 tensor."""
    counts = torch.zeros(n * n, dtype=torch.int64)
    counts.index_add_(0, y * n + pred, torch.ones(len(y), dtype=torch.int64))
    return counts.reshape(n, n)


# =============================================================================================
# training
# =============================================================================================

def train(args, progress):
    """Train as ``args`` says; returns a dict of the model, the data and per-epoch history."""
    torch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in load_digits())
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                        shuffle=True, generator=torch.Generator().manual_seed(args.seed))

    model = make_model()
    net = torch.compile(model) if args.compile else model
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.epochs * len(loader))

    history = {"step_loss": [], "train_loss": [], "train_acc": [], "test_loss": [],
               "test_acc": []}
    bar = progress(total=args.epochs * len(loader), unit="batch", disable=args.quiet,
                   dynamic_ncols=True, file=sys.stderr)
    for epoch in range(args.epochs):
        model.train()
        bar.set_description(f"epoch {epoch + 1}/{args.epochs}")
        loss_sum, correct, seen = 0.0, 0, 0
        for images, labels in loader:
            optimizer.zero_grad()
            logits = net(images)
            loss = loss_fn(logits, labels)
            loss.backward()
            optimizer.step()
            scheduler.step()

            n = len(labels)
            loss_sum += loss.item() * n
            correct += (logits.argmax(dim=1) == labels).sum().item()
            seen += n
            history["step_loss"].append(loss.item())
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.1%}",
                            refresh=False)
            bar.update()
        test_loss, test_acc, _ = evaluate(model, x_test, y_test, loss_fn, net)
        history["train_loss"].append(loss_sum / seen)
        history["train_acc"].append(correct / seen)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        if not args.quiet:
            bar.write(f"epoch {epoch + 1:>{len(str(args.epochs))}}/{args.epochs}: train loss "
                      f"{loss_sum / seen:.4f}, train accuracy {correct / seen:6.2%}, test "
                      f"accuracy {test_acc:6.2%}", file=sys.stdout)
    bar.close()
    return {"model": model, "net": net, "optimizer": optimizer, "loss_fn": loss_fn,
            "history": history, "x_test": x_test, "y_test": y_test,
            "n_train": len(x_train)}


# =============================================================================================
# outputs
# =============================================================================================

def _figure(**kwargs):
    # Figure + the Agg canvas directly, not pyplot: no screen, no global state, no GUI backend
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def plot_curves(history, path):
    """Loss (per step and per epoch) and accuracy (per epoch) curves, saved as a PNG."""
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    steps = np.arange(1, len(history["step_loss"]) + 1) * len(epochs) / len(history["step_loss"])
    fig = _figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    # a running mean over ~10 batches: single batches are too noisy to read on a log scale
    window = min(10, len(steps))
    smooth = np.convolve(history["step_loss"], np.ones(window) / window, mode="valid")
    ax_loss.plot(steps[window - 1:], smooth, color="tab:blue", alpha=0.35, linewidth=1,
                 label=f"train (mean of {window} batches)")
    ax_loss.plot(epochs, history["train_loss"], "o-", color="tab:blue", label="train")
    ax_loss.plot(epochs, history["test_loss"], "s-", color="tab:orange", label="test")
    ax_loss.set(title="cross-entropy loss", xlabel="epoch", yscale="log")
    ax_acc.plot(epochs, 100 * np.array(history["train_acc"]), "o-", color="tab:blue",
                label="train")
    ax_acc.plot(epochs, 100 * np.array(history["test_acc"]), "s-", color="tab:orange",
                label="test")
    ax_acc.set(title="accuracy", xlabel="epoch", ylabel="%")
    from matplotlib.ticker import MaxNLocator
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("ember: a CNN on scikit-learn's 8x8 digits")
    fig.savefig(path, dpi=100)


def plot_misclassified(images, true, pred, path, limit=32):
    """A grid of misclassified digits titled with their true and predicted labels, as a PNG."""
    n = min(len(true), limit)
    cols = max(4, min(8, n))          # at least 4 columns wide, so the title fits
    rows = max(1, -(-n // cols))
    fig = _figure(figsize=(1.3 * cols + 0.4, 1.5 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for i in range(n):
        axes[i].imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
        axes[i].set_title(f"true {true[i]}\npred {pred[i]}", fontsize=9, color="tab:red")
    if n == 0:
        axes[0].text(0.5, 0.5, "no misclassified\ntest digits", ha="center", va="center")
    shown = f"{n} of {len(true)}" if n < len(true) else f"{n}"
    fig.suptitle(f"{shown} misclassified test digit{'s' if len(true) != 1 else ''}",
                 fontsize=11)
    fig.savefig(path, dpi=100)


def format_confusion(cm):
    """The confusion matrix as text: rows are the true digit, columns the predicted one."""
    lines = ["confusion matrix (rows: true digit, columns: predicted digit):",
             "      " + "".join(f"{j:>4}" for j in range(cm.shape[1]))]
    for i, row in enumerate(cm.tolist()):
        lines.append(f"  {i:>2}  " + "".join(f"{v:>4}" if v else "   ." for v in row))
    return "\n".join(lines)


def check_checkpoint(path, x_test, y_test, loss_fn, expected_logits):
    """Load the checkpoint into a fresh model; return its test accuracy and whether its logits
    equal ``expected_logits`` (they must: same weights, same buffers, same computation)."""
    checkpoint = torch.load(path)
    fresh = make_model()
    fresh.load_state_dict(checkpoint["model"])
    _, acc, logits = evaluate(fresh, x_test, y_test, loss_fn)
    return acc, torch.equal(logits, expected_logits)


# =============================================================================================
# main
# =============================================================================================

def main(argv=None):
    """Run the demo with command-line arguments ``argv`` (default ``sys.argv[1:]``); returns
    the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.compile and not hasattr(torch, "compile"):
        parser.error("--compile: the compiler (ember.compile) is not available in this build")
    missing = _missing_extras()
    if missing:
        print(f"{PROG}: error: the demo needs {', '.join(missing)}: {INSTALL_HINT}",
              file=sys.stderr)
        return 1
    from tqdm import tqdm

    start = time.perf_counter()
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        print(f"{PROG}: error: cannot create the output folder {args.out!r}: {e.strerror}",
              file=sys.stderr)
        return 1
    print(f"ember {torch.__version__}: a CNN on scikit-learn's 8x8 digits, {args.epochs} "
          f"epoch{'s' if args.epochs != 1 else ''}, batch size {args.batch_size}, "
          f"Adam + OneCycleLR (peak lr {args.lr:g}), seed {args.seed}"
          f"{', compiled' if args.compile else ''}")

    # The matrices here are small: BLAS threads would cost more in hand-offs than they save.
    torch.set_num_threads(1)
    run = train(args, tqdm)
    train_seconds = time.perf_counter() - start
    model, history = run["model"], run["history"]
    x_test, y_test, loss_fn = run["x_test"], run["y_test"], run["loss_fn"]
    test_loss, test_acc, logits = evaluate(model, x_test, y_test, loss_fn, run["net"])
    pred = logits.argmax(dim=1)
    n_params = sum(p.numel() for p in model.parameters())
    n_right = int((pred == y_test).sum().item())
    print(f"trained {n_params:,} parameters on {run['n_train']} images")
    print(f"final train loss {history['train_loss'][-1]:.4f}, test loss {test_loss:.4f}")
    print(f"test accuracy: {test_acc:.2%} ({n_right}/{len(y_test)})")
    if not args.quiet:
        print(format_confusion(confusion_matrix(y_test, pred)))

    curves = os.path.join(args.out, CURVES_PNG)
    plot_curves(history, curves)
    wrong = pred != y_test
    grid = os.path.join(args.out, MISCLASSIFIED_PNG)
    plot_misclassified(x_test[wrong, 0].numpy(), y_test[wrong].tolist(), pred[wrong].tolist(),
                       grid)
    checkpoint = os.path.join(args.out, CHECKPOINT)
    torch.save({"model": model.state_dict(), "optimizer": run["optimizer"].state_dict(),
                "epochs": args.epochs, "seed": args.seed, "test_accuracy": test_acc}, checkpoint)
    reloaded_acc, same = check_checkpoint(checkpoint, x_test, y_test, loss_fn, logits)
    print(f"wrote {curves} (loss and accuracy curves)")
    n_wrong = len(y_test) - n_right
    print(f"wrote {grid} ({n_wrong} misclassified test digit{'s' if n_wrong != 1 else ''})")
    print(f"wrote {checkpoint} (ember.save; reloaded with ember.load: test accuracy "
          f"{reloaded_acc:.2%}{', the same' if same else ''})")
    print(f"done in {time.perf_counter() - start:.1f} s ({train_seconds:.1f} s loading data "
          "and training)")
    if not same:
        print(f"{PROG}: error: the reloaded checkpoint computes different outputs (test "
              f"accuracy {reloaded_acc:.2%}, not {test_acc:.2%})", file=sys.stderr)
        return 1
    return 0
