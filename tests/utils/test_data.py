"""ember.utils.data against torch.utils.data: datasets, samplers, default_collate and the
DataLoader, in this process and with worker processes."""
import collections
import gc
import multiprocessing
import pickle

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata
from tests.helpers.oracle import dtype_name, to_numpy
from tests.utils import data_fixtures as fx

# On machines with fewer CPUs than workers both libraries warn; the tests do not care.
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")


def assert_batch_equal(e, t, where="batch"):
    """Same containers (types included), tensor shapes, dtypes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{where}: {type(e)} is not a Tensor"
        assert tuple(e.shape) == tuple(t.shape), f"{where}: {tuple(e.shape)} vs {tuple(t.shape)}"
        assert dtype_name(e.dtype) == dtype_name(t.dtype), f"{where}: {e.dtype} vs {t.dtype}"
        np.testing.assert_array_equal(to_numpy(e), to_numpy(t), err_msg=where)
    elif isinstance(t, tuple) and hasattr(t, "_fields"):
        assert type(e).__name__ == type(t).__name__ and e._fields == t._fields, where
        for f in t._fields:
            assert_batch_equal(getattr(e, f), getattr(t, f), f"{where}.{f}")
    elif isinstance(t, (list, tuple, collections.deque)):
        assert type(e) is type(t), f"{where}: {type(e)} vs {type(t)}"
        assert len(e) == len(t), f"{where}: lengths {len(e)} vs {len(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_batch_equal(a, b, f"{where}[{i}]")
    elif isinstance(t, dict):
        assert type(e) is type(t), f"{where}: {type(e)} vs {type(t)}"
        assert list(e) == list(t), f"{where}: keys {list(e)} vs {list(t)}"
        for k in t:
            assert_batch_equal(e[k], t[k], f"{where}[{k!r}]")
    else:
        assert type(e) is type(t) and e == t, f"{where}: {e!r} vs {t!r}"


def as_lists(batches):
    """Batches of tensors / containers as plain nested Python lists."""
    def conv(x):
        if isinstance(x, ember.Tensor):
            return x.tolist()
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [conv(v) for v in x]
        return x
    return [conv(b) for b in batches]


def no_children_now():
    """No worker left, without the help of a garbage collection: iterators free their workers as
    soon as the last reference goes."""
    return multiprocessing.active_children() == []


def no_children():
    if multiprocessing.active_children():
        gc.collect()  # only when needed: a full collection is slow with torch loaded
    return multiprocessing.active_children() == []


# -- default_collate / default_convert --------------------------------------------------------

@pytest.mark.parametrize("kind", fx.SAMPLE_KINDS)
@pytest.mark.parametrize("batch_size", [3, None])
def test_sequential_batches_match_torch(kind, batch_size):
    e = list(edata.DataLoader(fx.SampleDataset(ember, kind), batch_size=batch_size))
    t = list(tdata.DataLoader(fx.SampleDataset(torch, kind), batch_size=batch_size))
    assert len(e) == len(t)
    for i, (a, b) in enumerate(zip(e, t)):
        assert_batch_equal(a, b, f"{kind} batch {i}")


COLLATE_CASES = {
    "ints": lambda lib: [1, 2, 3],
    "int_then_float": lambda lib: [1, 2.5],
    "float_then_int": lambda lib: [2.5, 1],
    "bools": lambda lib: [True, False],
    "big_ints": lambda lib: [2 ** 40, -3],
    "np_float32_scalars": lambda lib: [np.float32(1.5), np.float32(2)],
    "np_bool_scalars": lambda lib: [np.bool_(True), np.bool_(False)],
    "np_float16_arrays": lambda lib: [np.ones(3, np.float16), np.zeros(3, np.float16)],
    "np_uint8_arrays": lambda lib: [np.arange(4, dtype=np.uint8).reshape(2, 2)] * 2,
    "tensor_0d": lambda lib: [lib.tensor(1.5), lib.tensor(2.5)],
    "tensor_noncontig": lambda lib: [lib.arange(6.).reshape(2, 3).t(), lib.ones(3, 2)],
    "tensor_int64": lambda lib: [lib.arange(3), lib.arange(3) * 2],
    "tensor_bool": lambda lib: [lib.tensor([True, False])] * 3,
    "tensor_float64_empty": lambda lib: [lib.zeros(0, dtype=lib.float64)] * 2,
    "ordered_dict": lambda lib: [collections.OrderedDict(b=1, a=lib.ones(2))] * 2,
    "defaultdict": lambda lib: [collections.defaultdict(int, {"k": 1.0})] * 2,
    "tuple_of_list": lambda lib: [(1, [2.0, "x"]), (3, [4.0, "y"])],
    "list_of_tuple": lambda lib: [[(1, 2)], [(3, 4)]],
    "deque": lambda lib: [collections.deque([1, 2]), collections.deque([3, 4])],
    "strings": lambda lib: ["a", "b"],
    "namedtuple_nested": lambda lib: [fx.Point({"q": 1}, (2.0,)), fx.Point({"q": 3}, (4.0,))],
}


@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(case):
    e = edata.default_collate(COLLATE_CASES[case](ember))
    t = tdata.default_collate(COLLATE_CASES[case](torch))
    assert_batch_equal(e, t, case)


CONVERT_CASES = {
    "tuple": lambda lib: (1, np.zeros(2)),
    "list_of_arrays": lambda lib: [np.arange(3), np.ones(2, np.float32)],
    "dict": lambda lib: {"a": np.float64(1.0), "b": "text", "c": lib.ones(2)},
    "namedtuple": lambda lib: fx.Point(np.zeros(1), 2),
    "np_scalar": lambda lib: np.int32(7),
    "np_0d": lambda lib: np.array(2),
    "string": lambda lib: "s",
    "int": lambda lib: 5,
}


@pytest.mark.parametrize("case", sorted(CONVERT_CASES))
def test_default_convert_matches_torch(case):
    e = edata.default_convert(CONVERT_CASES[case](ember))
    t = tdata.default_convert(CONVERT_CASES[case](torch))
    assert_batch_equal(e, t, case)


def test_default_convert_leaves_text_arrays_alone():
    a = np.array(["a", "b"])
    assert edata.default_convert(a) is a


@pytest.mark.parametrize("batch, exc", [
    ([np.array(["a", "b"])], TypeError),
    ([np.array([object()])], TypeError),
    ([object()], TypeError),
    ([1 + 2j, 3j], TypeError),
    ([[1, 2], [3]], RuntimeError),
    ([], IndexError),
])
def test_default_collate_errors_match_torch(batch, exc):
    with pytest.raises(exc) as te:
        tdata.default_collate(batch)
    with pytest.raises(exc) as ee:
        edata.default_collate(batch)
    assert str(ee.value) == str(te.value)


def test_default_collate_tensor_shape_mismatch_raises():
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        edata.default_collate([ember.ones(2), ember.ones(3)])


def test_default_collate_keeps_autograd():
    a = ember.ones(2, requires_grad=True)
    b = ember.full((2,), 2.0, requires_grad=True)
    out = edata.default_collate([a, b])
    (out * ember.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0] and b.grad.tolist() == [3.0, 4.0]


# -- datasets ---------------------------------------------------------------------------------

def _tensor_data(lib):
    return lib.arange(30.).reshape(10, 3), lib.arange(10) % 3, lib.arange(10).to(lib.int16)


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (4, False), (4, True), (10, True),
                                                   (16, False)])
def test_tensor_dataset_loader_matches_torch(batch_size, drop_last):
    e = list(edata.DataLoader(edata.TensorDataset(*_tensor_data(ember)), batch_size=batch_size,
                              drop_last=drop_last))
    t = list(tdata.DataLoader(tdata.TensorDataset(*_tensor_data(torch)), batch_size=batch_size,
                              drop_last=drop_last))
    assert_batch_equal(e, t)


def test_tensor_dataset_items_and_getitems():
    x, y, _ = _tensor_data(ember)
    ds = edata.TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    assert xi.tolist() == [12.0, 13.0, 14.0] and yi.item() == 1
    batch = ds.__getitems__([3, 0, 3])
    assert len(batch) == 3 and [s[1].item() for s in batch] == [0, 0, 0]
    bx, by = edata.default_collate(batch)
    assert bx.shape == (3, 3) and by.tolist() == [0, 0, 0]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        edata.TensorDataset(ember.ones(3), ember.ones(4))


def test_tensor_dataset_custom_collate_sees_samples():
    def collate(lib):
        return lambda batch: [(len(batch), [s[1].item() for s in batch])]
    e = list(edata.DataLoader(edata.TensorDataset(*_tensor_data(ember)), batch_size=4,
                              collate_fn=collate(ember)))
    t = list(tdata.DataLoader(tdata.TensorDataset(*_tensor_data(torch)), batch_size=4,
                              collate_fn=collate(torch)))
    assert e == t


def test_tensor_dataset_batches_keep_autograd():
    w = ember.arange(6.).reshape(3, 2).requires_grad_()
    (xb,) = next(iter(edata.DataLoader(edata.TensorDataset(w), batch_size=2)))
    xb.sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]


def test_concat_subset_chain_match_torch():
    def build(lib, d):
        a = d.TensorDataset(lib.arange(4))
        b = d.TensorDataset(lib.arange(10, 13))
        cat = d.ConcatDataset([a, b])
        return cat, a + b, d.Subset(cat, [6, 0, 5]), d.StackDataset(a, a), \
            d.StackDataset(p=a, q=a)
    for e, t in zip(build(ember, edata), build(torch, tdata)):
        assert len(e) == len(t)
        for i in range(-len(t), len(t)):
            assert_batch_equal(e[i], t[i], f"{type(t).__name__}[{i}]")
    e_cat, t_cat = build(ember, edata)[0], build(torch, tdata)[0]
    assert e_cat.cumulative_sizes == t_cat.cumulative_sizes == [4, 7]
    with pytest.raises(ValueError, match="absolute value of index"):
        e_cat[-8]
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        edata.ConcatDataset([fx.Stream(3)])
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        edata.ConcatDataset([])
    for i in range(3):
        assert_batch_equal(edata.default_collate(build(ember, edata)[3].__getitems__([i, 2])),
                           tdata.default_collate(build(torch, tdata)[3].__getitems__([i, 2])))


def test_subset_uses_parent_getitems_and_loader_matches_torch():
    def load(lib, d):
        sub = d.Subset(d.TensorDataset(lib.arange(20).reshape(10, 2)), [9, 1, 4, 4, 0])
        return list(d.DataLoader(sub, batch_size=2))
    assert_batch_equal(load(ember, edata), load(torch, tdata))


def test_chain_dataset_and_iterable_add():
    a, b = fx.Stream(3), fx.Stream(2)
    chain = a + b
    assert isinstance(chain, edata.ChainDataset)
    assert list(chain) == [0, 1, 2, 0, 1]
    assert len(edata.ChainDataset([fx.ShardedRange(0, 4), fx.ShardedRange(0, 3)])) == 7
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(edata.ChainDataset([[1, 2]]))


def test_dataset_base_class():
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        edata.Dataset()[0]
    assert isinstance(fx.Squares(2) + fx.Squares(3), edata.ConcatDataset)
    assert edata.Dataset[int] is not None  # generic like torch's


# -- random_split -----------------------------------------------------------------------------

@pytest.mark.parametrize("n, lengths", [(10, [3, 7]), (10, [0.5, 0.5]), (11, [0.5, 0.3, 0.2]),
                                        (7, [0.34, 0.33, 0.33]), (5, [5, 0]), (3, [1.0]),
                                        (2, [0.5, 0.5, 0.0])])
def test_random_split_sizes_and_disjointness(n, lengths):
    # Only fractional lengths that round to an empty split warn (torch's behaviour).
    warns = n == 2
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0") if warns else \
            _no_warning():
        e = edata.random_split(range(n), lengths, generator=ember.Generator().manual_seed(1))
    with pytest.warns(UserWarning) if warns else _no_warning():
        t = tdata.random_split(range(n), lengths, generator=torch.Generator().manual_seed(1))
    assert [len(s) for s in e] == [len(s) for s in t]
    items = [x for s in e for x in s]
    assert sorted(items) == list(range(n))
    assert all(isinstance(s, edata.Subset) for s in e)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_random_split_reproducible_and_generator_driven():
    def split(seed):
        return [list(s.indices) for s in edata.random_split(
            range(20), [5, 15], generator=ember.Generator().manual_seed(seed))]
    assert split(3) == split(3)
    assert split(3) != split(4)
    ember.manual_seed(5)
    a = [list(s.indices) for s in edata.random_split(range(20), [10, 10])]
    ember.manual_seed(5)
    b = [list(s.indices) for s in edata.random_split(range(20), [10, 10])]
    assert a == b


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        edata.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        edata.random_split(range(10), [1.5, -0.5])


# -- samplers ---------------------------------------------------------------------------------

def test_sequential_and_batch_sampler_match_torch():
    for n in [0, 1, 7, 9]:
        for bs in [1, 3, 9]:
            for drop in [False, True]:
                e = edata.BatchSampler(edata.SequentialSampler(range(n)), bs, drop)
                t = tdata.BatchSampler(tdata.SequentialSampler(range(n)), bs, drop)
                assert list(e) == list(t) and len(e) == len(t)
    assert list(edata.SequentialSampler(range(4))) == [0, 1, 2, 3]


@pytest.mark.parametrize("kwargs", [dict(batch_size=0, drop_last=False),
                                    dict(batch_size=True, drop_last=False),
                                    dict(batch_size=2.0, drop_last=False),
                                    dict(batch_size=2, drop_last=1)])
def test_batch_sampler_errors_match_torch(kwargs):
    with pytest.raises(ValueError) as te:
        tdata.BatchSampler(range(3), **kwargs)
    with pytest.raises(ValueError) as ee:
        edata.BatchSampler(range(3), **kwargs)
    assert str(ee.value) == str(te.value)


def test_random_sampler_permutation_and_reproducibility():
    s = edata.RandomSampler(range(50), generator=ember.Generator().manual_seed(0))
    first, second = list(s), list(s)
    assert sorted(first) == list(range(50)) and first != second  # a new order every pass
    again = list(edata.RandomSampler(range(50), generator=ember.Generator().manual_seed(0)))
    assert again == first
    assert all(type(i) is int for i in first)
    ember.manual_seed(7)
    a = list(edata.RandomSampler(range(50)))
    ember.manual_seed(7)
    assert list(edata.RandomSampler(range(50))) == a


def test_random_sampler_num_samples_and_replacement():
    g = ember.Generator().manual_seed(0)
    s = edata.RandomSampler(range(4), num_samples=10, generator=g)
    out = list(s)
    assert len(out) == len(s) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3] and len(set(out[8:])) == 2
    r = list(edata.RandomSampler(range(3), replacement=True, num_samples=300, generator=g))
    assert len(r) == 300 and set(r) == {0, 1, 2}
    assert len(edata.RandomSampler(range(6), replacement=True)) == 6


@pytest.mark.parametrize("kwargs, exc", [(dict(replacement=1), TypeError),
                                         (dict(num_samples=0), ValueError),
                                         (dict(num_samples=2.5), ValueError)])
def test_random_sampler_errors_match_torch(kwargs, exc):
    with pytest.raises(exc) as te:
        tdata.RandomSampler(range(3), **kwargs)
    with pytest.raises(exc) as ee:
        edata.RandomSampler(range(3), **kwargs)
    assert str(ee.value) == str(te.value)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        edata.RandomSampler([])


def test_subset_random_sampler():
    idx = [10, 20, 30, 40, 50]
    s = edata.SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(2))
    out = list(s)
    assert sorted(out) == idx and len(s) == 5
    assert list(edata.SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(2))) == out


def test_weighted_random_sampler_semantics():
    g = ember.Generator().manual_seed(0)
    w = [0.0, 1.0, 3.0, 0.0]
    out = list(edata.WeightedRandomSampler(w, 4000, generator=g))
    counts = np.bincount(out, minlength=4)
    assert counts[0] == counts[3] == 0
    assert abs(counts[2] / 4000 - 0.75) < 0.04
    assert all(type(i) is int for i in out[:5])
    nr = list(edata.WeightedRandomSampler(ember.tensor([1.0, 2.0, 3.0, 0.5]), 4, replacement=False,
                                          generator=g))
    assert sorted(nr) == [0, 1, 2, 3]
    s = edata.WeightedRandomSampler([1, 1], 3)
    assert len(s) == 3 and s.weights.dtype == ember.float64
    # without replacement the heaviest index comes first most of the time
    firsts = [next(iter(edata.WeightedRandomSampler([1.0, 100.0], 1, replacement=False,
                                                    generator=g))) for _ in range(50)]
    assert firsts.count(1) > 40


@pytest.mark.parametrize("args, kwargs", [(([1.0, 2.0], 0), {}), (([1.0, 2.0], True), {}),
                                          (([1.0, 2.0], 2), dict(replacement=0)),
                                          (([[1.0, 2.0]], 2), {})])
def test_weighted_random_sampler_errors_match_torch(args, kwargs):
    with pytest.raises(ValueError) as te:
        tdata.WeightedRandomSampler(*args, **kwargs)
    with pytest.raises(ValueError) as ee:
        edata.WeightedRandomSampler(*args, **kwargs)
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("weights, n, replacement", [
    ([1.0, -1.0], 1, True),
    ([1.0, float("nan")], 1, False),
    ([0.0, 0.0], 1, True),
    ([1.0, 1.0], 3, False),
])
def test_weighted_random_sampler_bad_distributions_match_torch(weights, n, replacement):
    with pytest.raises(RuntimeError) as te:
        list(tdata.WeightedRandomSampler(weights, n, replacement=replacement))
    with pytest.raises(RuntimeError) as ee:
        list(edata.WeightedRandomSampler(weights, n, replacement=replacement))
    assert str(ee.value) == str(te.value)


def test_weighted_random_sampler_fills_with_zero_weights_like_torch():
    out = list(edata.WeightedRandomSampler([1.0, 0.0, 0.0], 3, replacement=False))
    assert out[0] == 0 and sorted(out) == [0, 1, 2]
    assert len(list(tdata.WeightedRandomSampler([1.0, 0.0, 0.0], 3, replacement=False))) == 3


# -- DataLoader configuration -----------------------------------------------------------------

@pytest.mark.parametrize("n, bs, drop", [(10, 3, False), (10, 3, True), (9, 3, True), (0, 2, False),
                                         (5, None, False)])
def test_len_matches_torch(n, bs, drop):
    e = edata.DataLoader(range(n), batch_size=bs, drop_last=drop)
    t = tdata.DataLoader(range(n), batch_size=bs, drop_last=drop)
    assert len(e) == len(t) == len(list(e))
    ei = edata.DataLoader(fx.ShardedRange(0, n), batch_size=bs, drop_last=drop)
    ti = tdata.DataLoader(fx.make_sharded(tdata.IterableDataset, tdata.get_worker_info)(0, n),
                          batch_size=bs, drop_last=drop)
    assert len(ei) == len(ti) == len(list(ei))
    bsamp = edata.DataLoader(range(10), batch_sampler=[[0, 1], [2], [3, 4, 5]])
    assert len(bsamp) == 3 and len(iter(bsamp)) == 3


def _sampler(lib_data):
    return lib_data.SequentialSampler(range(4))


CONFIG_ERRORS = [
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1),
    dict(persistent_workers=True),
    dict(shuffle=True, sampler="sampler"),
    dict(batch_sampler="batches", batch_size=2),
    dict(batch_sampler="batches", shuffle=True),
    dict(batch_sampler="batches", sampler="sampler"),
    dict(batch_sampler="batches", drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="no-such-method"),
    dict(num_workers=1, multiprocessing_context=3),
]


@pytest.mark.parametrize("kwargs", CONFIG_ERRORS, ids=lambda k: "-".join(k))
def test_argument_conflicts_match_torch(kwargs):
    def build(d):
        kw = dict(kwargs)
        if kw.get("sampler") == "sampler":
            kw["sampler"] = _sampler(d)
        if kw.get("batch_sampler") == "batches":
            kw["batch_sampler"] = [[0, 1], [2, 3]]
        return kw
    with pytest.raises((ValueError, TypeError)) as te:
        tdata.DataLoader(range(4), **build(tdata))
    with pytest.raises(te.type) as ee:
        edata.DataLoader(range(4), **build(edata))
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler="sampler"),
                                    dict(batch_sampler="batches")], ids=str)
def test_iterable_dataset_conflicts_match_torch(kwargs):
    def build(d):
        kw = dict(kwargs)
        if kw.get("sampler") == "sampler":
            kw["sampler"] = [0, 1]
        if kw.get("batch_sampler") == "batches":
            kw["batch_sampler"] = [[0, 1]]
        return kw
    with pytest.raises(ValueError) as te:
        tdata.DataLoader(fx.make_sharded(tdata.IterableDataset, tdata.get_worker_info)(0, 3),
                         **build(tdata))
    with pytest.raises(ValueError) as ee:
        edata.DataLoader(fx.ShardedRange(0, 3), **build(edata))
    assert str(ee.value).split(", but got")[0] == str(te.value).split(", but got")[0]


def test_attributes_frozen_after_init():
    loader = edata.DataLoader(range(4), batch_size=2)
    for attr in ["batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                 "persistent_workers"]:
        with pytest.raises(ValueError, match=f"{attr} attribute should not be set after "
                                             f"DataLoader is initialized"):
            setattr(loader, attr, None)
    loader.collate_fn = lambda b: b  # allowed, as in torch
    assert list(loader) == [[0, 1], [2, 3]]
    assert isinstance(loader.sampler, edata.SequentialSampler)
    assert isinstance(loader.batch_sampler, edata.BatchSampler)
    assert loader.pin_memory is False and loader.timeout == 0 and loader.prefetch_factor is None
    assert edata.DataLoader(range(4), num_workers=2).prefetch_factor == 2


def test_pin_memory_is_accepted():
    e = list(edata.DataLoader(edata.TensorDataset(ember.arange(4)), batch_size=2,
                              pin_memory=True))
    assert [b[0].tolist() for b in e] == [[0, 1], [2, 3]]


def test_batch_sampler_and_sampler_arguments():
    ds = fx.SampleDataset(ember, "int", n=6)
    out = as_lists(edata.DataLoader(ds, batch_sampler=[[5, 0], [2]]))
    assert out == [[5, 0], [2]]
    out = as_lists(edata.DataLoader(ds, sampler=[4, 3, 1], batch_size=2))
    assert out == [[4, 3], [1]]
    out = as_lists(edata.DataLoader(ds, batch_size=None, sampler=[1, 2]))
    assert out == [1, 2]


# -- shuffling ----------------------------------------------------------------------------------

def _order(**kw):
    loader = edata.DataLoader(edata.TensorDataset(ember.arange(40)), batch_size=8, **kw)
    return [i for (b,) in loader for i in b.tolist()]


def test_shuffle_reproducible_for_a_seed():
    ember.manual_seed(11)
    a = _order(shuffle=True)
    ember.manual_seed(11)
    b = _order(shuffle=True)
    ember.manual_seed(12)
    c = _order(shuffle=True)
    assert a == b and a != c and sorted(a) == list(range(40)) and a != list(range(40))
    assert _order(shuffle=True, generator=ember.Generator().manual_seed(3)) == \
        _order(shuffle=True, generator=ember.Generator().manual_seed(3))
    loader = edata.DataLoader(range(40), batch_size=40, shuffle=True)
    e1, e2 = next(iter(loader)).tolist(), next(iter(loader)).tolist()
    assert e1 != e2 and sorted(e1) == sorted(e2)  # each epoch reshuffles


def test_drop_last():
    assert [len(b) for b in edata.DataLoader(range(10), batch_size=4, drop_last=True)] == [4, 4]
    assert [len(b) for b in edata.DataLoader(range(10), batch_size=4)] == [4, 4, 2]
    assert [len(b) for b in edata.DataLoader(range(10), batch_size=4, drop_last=True,
                                             shuffle=True)] == [4, 4]
    it = edata.DataLoader(fx.ShardedRange(0, 10), batch_size=4, drop_last=True)
    assert as_lists(it) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_iterable_dataset_single_process_matches_torch():
    for bs in [None, 1, 3]:
        e = list(edata.DataLoader(fx.ShardedRange(2, 9), batch_size=bs))
        t = list(tdata.DataLoader(fx.make_sharded(tdata.IterableDataset,
                                                  tdata.get_worker_info)(2, 9), batch_size=bs))
        assert_batch_equal(e, t)


# -- worker processes ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["dict", "nested", "numpy", "str"])
def test_workers_give_the_same_batches_as_main_process(kind):
    ds = fx.SampleDataset(ember, kind, n=11)
    ref = list(edata.DataLoader(ds, batch_size=3))
    got = list(edata.DataLoader(ds, batch_size=3, num_workers=2))
    assert len(got) == len(ref)
    for a, b in zip(got, ref):
        assert as_lists([a]) == as_lists([b])
    t = list(tdata.DataLoader(fx.SampleDataset(torch, kind, n=11), batch_size=3, num_workers=2))
    for i, (a, b) in enumerate(zip(got, t)):
        assert_batch_equal(a, b, f"{kind} batch {i}")
    assert no_children()


def test_workers_tensor_dataset_and_shuffle_match_single_process():
    ds = edata.TensorDataset(ember.arange(60.).reshape(20, 3), ember.arange(20).to(ember.int32))
    for kw in [dict(batch_size=3), dict(batch_size=4, drop_last=True), dict(batch_size=None)]:
        assert as_lists(edata.DataLoader(ds, num_workers=2, **kw)) == \
            as_lists(edata.DataLoader(ds, **kw))
    ember.manual_seed(4)
    ref = as_lists(edata.DataLoader(ds, batch_size=5, shuffle=True))
    ember.manual_seed(4)
    assert as_lists(edata.DataLoader(ds, batch_size=5, shuffle=True, num_workers=2)) == ref
    out = list(edata.DataLoader(ds, batch_size=5, num_workers=1))
    assert out[0][1].dtype == ember.int32 and out[0][0].shape == (5, 3)
    assert no_children()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "bool", "uint8", "complex64"])
def test_workers_transport_dtypes(dtype):
    d = getattr(ember, dtype)
    x = (ember.arange(12) % 3).to(d).reshape(4, 3)
    (got,) = next(iter(edata.DataLoader(edata.TensorDataset(x), batch_size=4, num_workers=1)))
    assert got.dtype == d and got.shape == (4, 3)
    np.testing.assert_array_equal(to_numpy(got), to_numpy(x))


def test_workers_transport_leaf_requires_grad_and_tensors_stay_unpicklable():
    class Holder(edata.Dataset):
        def __getitem__(self, i):
            return ember.ones(2, requires_grad=True)

        def __len__(self):
            return 2

    out = list(edata.DataLoader(Holder(), batch_size=None, num_workers=1))
    assert all(t.requires_grad and t.is_leaf for t in out)
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(out[0])


def test_worker_exception_surfaces_type_and_traceback():
    loader = edata.DataLoader(fx.Failing(8, bad=5, exc=ValueError), batch_size=2, num_workers=2)
    seen = []
    with pytest.raises(ValueError) as info:
        for b in loader:
            seen.append(b.tolist())
    assert seen == [[0, 1], [2, 3]]  # batches before the bad one arrive first, in order
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process 0" in msg
    assert "Traceback (most recent call last)" in msg and "in __getitem__" in msg
    assert "bad sample 5" in msg
    del info
    assert no_children()


def test_worker_keyerror_and_iteration_continues_after_error():
    it = iter(edata.DataLoader(fx.Failing(6, bad=2, exc=KeyError), batch_size=2, num_workers=2))
    assert next(it).tolist() == [0, 1]
    with pytest.raises(KeyError) as info:
        next(it)
    assert "Caught KeyError in DataLoader worker process 1" in str(info.value)
    assert next(it).tolist() == [4, 5]  # like torch, the iterator goes on after an error
    with pytest.raises(StopIteration):
        next(it)
    del it, info
    assert no_children()


def test_worker_init_fn_errors_and_marks():
    out = list(edata.DataLoader(fx.InitMark(), batch_size=None, num_workers=2,
                                worker_init_fn=fx.record_init))
    assert out == ["init0", "init1", "init0", "init1"]
    with pytest.raises(ValueError, match="init failed in 0"):
        list(edata.DataLoader(fx.InitMark(), num_workers=1, worker_init_fn=fx.failing_init))
    assert no_children()


def test_worker_info_and_seeds():
    assert edata.get_worker_info() is None
    ember.manual_seed(3)
    rows = [r for b in edata.DataLoader(fx.WhoAmI(8), batch_size=2, num_workers=2) for r in
            _rows(b)]
    assert [r["worker"] for r in rows] == [0, 0, 1, 1, 0, 0, 1, 1]
    assert {r["num_workers"] for r in rows} == {2}
    seeds = {r["worker"]: r["seed"] for r in rows}
    assert seeds[1] == seeds[0] + 1
    ember.manual_seed(3)
    again = [r for b in edata.DataLoader(fx.WhoAmI(8), batch_size=2, num_workers=2) for r in
             _rows(b)]
    for k in ["ember", "py", "np", "seed"]:
        assert [r[k] for r in rows] == [r[k] for r in again]  # reproducible for a seed
    first = {r["worker"]: (r["ember"], r["py"], r["np"]) for r in rows[::2]}
    assert all(a != b for a, b in zip(first[0], first[1]))  # workers draw different streams
    ember.manual_seed(9)
    other = [r for b in edata.DataLoader(fx.WhoAmI(8), batch_size=2, num_workers=2) for r in
             _rows(b)]
    assert [r["ember"] for r in other] != [r["ember"] for r in rows]
    assert len({r["pid"] for r in rows}) == 2
    assert no_children()


def _rows(batch):
    n = len(batch["i"])
    return [{k: (v[j].item() if isinstance(v, ember.Tensor) else v[j]) for k, v in batch.items()}
            for j in range(n)]


def test_worker_info_is_read_only():
    info = edata.WorkerInfo(id=0, num_workers=1, seed=5, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo"):
        info.id = 3
    assert repr(info) == "WorkerInfo(id=0, num_workers=1, seed=5, dataset=None)"


@pytest.mark.parametrize("n, bs, drop", [(10, 2, False), (9, 2, False), (9, 2, True),
                                         (7, None, False), (5, 4, False)])
def test_iterable_sharding_with_workers_matches_torch(n, bs, drop):
    e = list(edata.DataLoader(fx.ShardedRange(0, n), batch_size=bs, drop_last=drop,
                              num_workers=2))
    tds = fx.make_sharded(tdata.IterableDataset, tdata.get_worker_info)(0, n)
    t = list(tdata.DataLoader(tds, batch_size=bs, drop_last=drop, num_workers=2))
    assert_batch_equal(e, t)
    assert no_children()


def test_unsharded_iterable_duplicates_per_worker_like_torch():
    e = as_lists(edata.DataLoader(fx.Stream(3), batch_size=2, num_workers=2))
    assert e == [[0, 1], [0, 1], [2], [2]]


def test_out_of_order_delivery_gives_every_batch():
    got = as_lists(edata.DataLoader(range(20), batch_size=3, num_workers=2, in_order=False))
    assert sorted(i for b in got for i in b) == list(range(20))
    got = as_lists(edata.DataLoader(fx.ShardedRange(0, 11), batch_size=2, num_workers=2,
                                    in_order=False))
    assert sorted(i for b in got for i in b) == list(range(11))
    assert no_children()


def test_custom_collate_runs_in_workers():
    out = as_lists(edata.DataLoader(range(5), batch_size=2, num_workers=2,
                                    collate_fn=fx.add_one_collate))
    assert out == [[1, 2], [3, 4], [5]]


# -- worker lifetime ------------------------------------------------------------------------------

def test_no_processes_left_after_exhaustion_break_del_and_errors():
    loader = edata.DataLoader(fx.Squares(40), batch_size=2, num_workers=2)
    assert len(list(loader)) == 20
    assert no_children_now()
    for i, b in enumerate(loader):
        assert multiprocessing.active_children()
        if i == 2:
            break
    assert no_children_now()
    it = iter(loader)
    next(it)
    del it
    assert no_children_now()
    with pytest.raises(ZeroDivisionError):
        for b in loader:
            1 / 0  # the consumer fails, not a worker
    assert no_children_now()
    with pytest.raises(ValueError) as info:
        list(edata.DataLoader(fx.Failing(8, bad=3, exc=ValueError), num_workers=2))
    del info  # its traceback holds the iterator's frame
    assert no_children_now()


def test_worker_that_dies_is_reported():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly"):
        list(edata.DataLoader(fx.Dies(10, bad=4), batch_size=2, num_workers=2))
    assert no_children()


def test_timeout_raises():
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        next(iter(edata.DataLoader(fx.Slow(2, delay=0.8), num_workers=1, timeout=0.2)))
    assert no_children()


def test_persistent_workers_are_reused_across_epochs():
    loader = edata.DataLoader(fx.WhoAmI(8), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [[r for b in loader for r in _rows(b)] for _ in range(3)]
    pids = [{r["pid"] for r in ep} for ep in epochs]
    assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
    assert all([r["i"] for r in ep] == list(range(8)) for ep in epochs)
    assert multiprocessing.active_children()  # still alive between epochs
    for i, _ in enumerate(loader):  # an abandoned epoch...
        if i == 1:
            break
    again = [r for b in loader for r in _rows(b)]  # ...does not leak into the next
    assert [r["i"] for r in again] == list(range(8)) and {r["pid"] for r in again} == pids[0]
    del loader
    assert no_children_now()


def test_persistent_iterable_dataset_restarts_each_epoch():
    loader = edata.DataLoader(fx.ShardedRange(0, 7), batch_size=2, num_workers=2,
                              persistent_workers=True)
    first, second = as_lists(loader), as_lists(loader)
    assert first == second == [[0, 1], [4, 5], [2, 3], [6]]
    del loader
    assert no_children_now()


def test_spawn_start_method_sends_tensor_dataset_as_arrays():
    ds = edata.TensorDataset(ember.arange(12.).reshape(6, 2), ember.arange(6))
    got = as_lists(edata.DataLoader(ds, batch_size=4, num_workers=1,
                                    multiprocessing_context="spawn"))
    assert got == as_lists(edata.DataLoader(ds, batch_size=4))
    assert no_children()


def test_non_fork_start_method_needs_picklable_dataset():
    with pytest.raises(RuntimeError, match="must be picklable"):
        iter(edata.DataLoader(range(4), num_workers=1, collate_fn=lambda b: b,
                              multiprocessing_context="spawn"))
    assert no_children()


def test_importable_from_ember():
    import importlib
    assert importlib.import_module("ember.utils.data") is ember.utils.data
    assert ember.utils.data.DataLoader is edata.DataLoader


@pytest.mark.parametrize("module", ["dataset", "sampler", "collate", "dataloader"])
def test_docstring_examples(module):
    import doctest
    import importlib
    mod = importlib.import_module(f"ember.utils.data.{module}")
    globs = {"ember": ember, "torch": ember, "nn": ember.nn, "np": np,
             **{k: getattr(edata, k) for k in edata.__all__}}
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    tests = [t for t in finder.find(mod, globs=globs) if t.examples]
    assert tests
    for t in tests:
        runner.run(t)
    assert runner.failures == 0
