"""List the public names PyTorch has and ember lacks, namespace by namespace.

    python docs/compare_api.py            # counts and names for each namespace
    python docs/compare_api.py --counts   # counts only

Needs PyTorch installed (it comes with the ``test`` extra); ember itself never imports it. The
"What is missing" section of docs/pytorch_users.md is a summary of this script's output.
"""
import argparse
import importlib
import types

NAMESPACES = ["", "nn", "nn.functional", "nn.init", "nn.utils", "optim", "optim.lr_scheduler",
              "utils.data", "autograd", "linalg", "fft", "special", "distributed"]


def public(obj):
    """Public, non-module attribute names of ``obj`` (typing helpers and re-imported modules
    that torch's namespaces carry are left out)."""
    names = set()
    for n in dir(obj):
        if n.startswith("_"):
            continue
        v = getattr(obj, n, None)
        if isinstance(v, types.ModuleType) or getattr(v, "__module__", "") == "typing":
            continue
        names.add(n)
    return names


def compare(name):
    """(names torch has, names missing from ember) for the namespace ``name``."""
    tmod = importlib.import_module("torch" + ("." + name if name else ""))
    theirs = public(tmod)
    try:
        emod = importlib.import_module("ember" + ("." + name if name else ""))
    except ImportError:
        return theirs, theirs
    return theirs, theirs - public(emod)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", action="store_true", help="print counts only")
    args = parser.parse_args(argv)
    import torch
    print("Tensor methods: ", end="")
    import ember
    missing = sorted(public(torch.Tensor) - public(ember.Tensor))
    print(f"{len(public(torch.Tensor)) - len(missing)} of {len(public(torch.Tensor))}")
    if not args.counts:
        print("  missing:", " ".join(missing))
    for name in NAMESPACES:
        theirs, missing = compare(name)
        label = "torch" + ("." + name if name else "")
        print(f"{label}: {len(theirs) - len(missing)} of {len(theirs)}")
        if not args.counts and missing:
            print("  missing:", " ".join(sorted(missing)))


if __name__ == "__main__":
    main()
