"""Fetchers: turn what the index sampler yields into one collated batch. The single-process
iterator and every worker process use the same two classes."""


class MapFetcher:
    """Reads a map-style dataset: a list of indices per batch (automatic batching) through
    ``__getitems__`` when the dataset has one, else a single index per item."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self._getitems = getitems if callable(getitems) else None

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._getitems is not None:
            return self.collate_fn(self._getitems(index))
        ds = self.dataset
        return self.collate_fn([ds[i] for i in index])


class IterFetcher:
    """Reads an iterable dataset: ``len(index)`` items per batch (the index entries themselves
    are placeholders); raises StopIteration once the dataset is exhausted, or when the last
    short batch is to be dropped."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            try:
                item = next(self.iterator)
            except StopIteration:
                self.ended = True
                raise
            return self.collate_fn(item)
        items = []
        for _ in index:
            try:
                items.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not items or (self.drop_last and len(items) < len(index)):
            raise StopIteration
        return self.collate_fn(items)


def make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = IterFetcher if kind == ITERABLE else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


MAP, ITERABLE = 0, 1
