"""OpInfos that do not pass yet, with the first reason seen. The lists may only
shrink: tests/conformance/test_opinfo.py fails when an op listed here passes (remove
it) and when an op not listed here fails. KNOWN_FAILURES is for float32/float64,
KNOWN_COMPLEX_FAILURES for complex64/complex128. Regenerate both with
``python -m tests.conformance.harness --write-known``."""

KNOWN_FAILURES = {
    '_chunk_cat': ('fwd', 'missing in ember'),
    '_segment_reduce.lengths': ('fwd', 'missing in ember'),
    '_segment_reduce.offsets': ('fwd', 'missing in ember'),
    '_upsample_bilinear2d_aa': ('fwd', 'missing in ember'),
    'as_strided.partial_views': ('fwd', 'float32: fwd raised EmberRuntimeError: setStorage: sizes [2, 2], strides [1, 2], storage offset 10, and itemsize 4 requiring a storage size of 56 are out of bounds for storage of size 40'),
    'as_strided_scatter': ('grad', 'float32: grad grad[0]: 1/1 values differ, e.g. at (np.int64(0),): ember np.float32(0.0) vs torch np.float32(0.12573022)'),
    'chalf': ('fwd', 'float32: fwd raised EmberTypeError: ember has no complex32 (chalf) dtype; use cfloat() for complex64'),
    'hash_tensor': ('fwd', 'missing in ember'),
    'histogramdd': ('fwd', 'float32: fwd raised ValueError: `bins[4]` must be monotonically increasing, when an array'),
    'max_pool2d_with_indices_backward': ('fwd', "float32: fwd raised AttributeError: module 'ember.nn.functional' has no attribute 'max_pool2d_with_indices'"),
    'nn.functional.fractional_max_pool3d': ('fwd', 'float32: fwd raised ValueError: cannot reshape array of size 0 into shape (0,1,newaxis)'),
    'slice': ('fwd', 'missing in ember'),
    'sparse.mm.reduce': ('fwd', 'missing in ember'),
    'sparse.sampled_addmm': ('fwd', 'missing in ember'),
    'special.bessel_j0': ('fwd', 'float64: fwd output: 3/20 values differ, e.g. at (np.int64(6),): ember np.float64(-0.03378131278826054) vs torch np.float64(-0.03378150176924146)'),
    'special.bessel_j1': ('fwd', 'float64: fwd output: 1/20 values differ, e.g. at (np.int64(9),): ember np.float64(0.10454484814210349) vs torch np.float64(0.1045448616491207)'),
    'special.bessel_y1': ('fwd', 'float64: fwd output: 1/20 values differ, e.g. at (np.int64(10),): ember np.float64(-0.04898599332109948) vs torch np.float64(-0.048986314316868666)'),
    'to_sparse': ('fwd', "float32: fwd raised AttributeError: 'Tensor' object has no attribute 'to_sparse'"),
    'torch.ops.aten._safe_softmax.default': ('fwd', 'missing in ember'),
}

KNOWN_COMPLEX_FAILURES = {
    '_chunk_cat': ('fwd', 'missing in ember'),
    'as_strided.partial_views': ('fwd', 'complex64: fwd raised EmberRuntimeError: setStorage: sizes [2, 2], strides [1, 2], storage offset 10, and itemsize 8 requiring a storage size of 112 are out of bounds for storage of size 80'),
    'as_strided_scatter': ('grad', 'complex64: grad grad[0]: 1/1 values differ, e.g. at (np.int64(0),): ember np.complex64(0j) vs torch np.complex64(0.12573022-0.13210486j)'),
    'chalf': ('fwd', 'complex64: fwd raised EmberTypeError: ember has no complex32 (chalf) dtype; use cfloat() for complex64'),
    'cov': ('grad', 'complex128: grad grad[1]: 1/2 values differ, e.g. at (np.int64(1),): ember np.float32(0.0) vs torch np.float32(-3.0517578e-05)'),
    'nn.functional.softsign': ('grad', 'complex64: grad grad[0]: 20/20 values differ, e.g. at (np.int64(0),): ember np.complex64(0.0013472791-0.0013773304j) vs torch np.complex64(0.0042133983-0.015138612j)'),
    'nn.functional.tanhshrink': ('grad', 'complex64: grad grad[0]: 7/20 values differ, e.g. at (np.int64(1),): ember np.complex64(-0.13113901+1.3664707j) vs torch np.complex64(-0.13305421+1.3662854j)'),
    'renorm': ('grad', 'complex64: grad grad[0]: 125/125 values differ, e.g. at (np.int64(0), np.int64(0), np.int64(0)): ember np.complex64(0.021934645-0.019907324j) vs torch np.complex64(nan+nanj)'),
    'slice': ('fwd', 'missing in ember'),
    'sparse.sampled_addmm': ('fwd', 'missing in ember'),
    'to_sparse': ('fwd', "complex64: fwd raised AttributeError: 'Tensor' object has no attribute 'to_sparse'"),
}
