"""lstmkit.ops against Keras 3's keras.ops (on its JAX backend): same signatures, and on the same
inputs the same numbers, shapes and dtypes."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

keras = pytest.importorskip("keras")
kops = keras.ops

from lstmkit import ops  # noqa: E402
from lstmkit.layers.base import Variable  # noqa: E402

rng = np.random.default_rng(0)
A = rng.standard_normal((2, 3, 4)).astype("float32")
W = rng.standard_normal((4, 5)).astype("float32")
M = rng.standard_normal((3, 4)).astype("float32")
N = rng.standard_normal((3, 4)).astype("float32")
SQ = (rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype("float32")
SPD = (SQ @ SQ.T).astype("float32")
POS = (rng.random((3, 4)) + 0.1).astype("float32")
UNIT = (rng.random((3, 4)) * 1.8 - 0.9).astype("float32")
I = rng.integers(-3, 6, (3, 4)).astype("int32")
IPOS = rng.integers(1, 6, (3, 4)).astype("int32")
BOOL = M > 0
IDX = np.array([[0, 2, 1], [3, 3, 0]], dtype="int32")
LABELS = np.array([0, 2, 1], dtype="int32")
ONEHOT = np.eye(4, dtype="float32")[[0, 2, 1]]
PROBS = np.exp(M) / np.exp(M).sum(-1, keepdims=True)

# (function name, positional arguments, keyword arguments)
CASES = [
    # products
    ("matmul", (A, W), {}), ("matmul", (M, W), {}), ("dot", (M, W), {}), ("dot", (A, W), {}),
    ("einsum", ("bij,jk->bik", A, W), {}), ("tensordot", (A, W), {"axes": 1}), ("tensordot", (M, N), {"axes": 2}),
    ("outer", (M[0], N[0]), {}), ("inner", (M, N), {}), ("vdot", (M, N), {}), ("kron", (SQ, SQ), {}),
    ("cross", (M[:, :3], N[:, :3]), {}),
    # element-wise, one argument
    *[(f, (M,), {}) for f in ("tanh", "sigmoid", "relu", "silu", "swish", "exp", "abs", "absolute", "square",
                             "negative", "sign", "floor", "ceil", "sin", "cos", "tan", "arctan", "sinh", "cosh",
                             "arcsinh", "expm1", "erf", "softplus", "softsign", "relu6", "selu", "log_sigmoid",
                             "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "tanh_shrink", "trunc",
                             "isnan", "isinf", "isfinite", "signbit", "logical_not", "copy")],
    *[(f, (POS,), {}) for f in ("log", "sqrt", "log1p", "log2", "log10", "reciprocal", "rsqrt")],
    *[(f, (UNIT,), {}) for f in ("arcsin", "arccos", "arctanh", "erfinv")],
    *[(f, (I,), {}) for f in ("exp", "sqrt", "abs", "square", "tanh", "relu", "relu6", "sign", "floor", "mean")],
    ("exp2", (M,), {}), ("gelu", (M,), {}), ("gelu", (M,), {"approximate": False}), ("elu", (M,), {}),
    ("elu", (M,), {"alpha": 0.5}), ("celu", (M,), {}), ("leaky_relu", (M,), {}), ("leaky_relu", (M,), {"negative_slope": 0.1}),
    ("squareplus", (M,), {}), ("hard_shrink", (M,), {}), ("soft_shrink", (M,), {"threshold": 0.3}),
    ("threshold", (M, 0.2, -1.0), {}), ("glu", (M,), {}), ("round", (M * 10,), {}), ("round", (M * 10,), {"decimals": 1}),
    ("round", (I * 13,), {"decimals": -1}), ("nan_to_num", (np.array([np.nan, np.inf, -1.0], "float32"),), {}),
    ("softmax", (M,), {}), ("softmax", (A,), {"axis": 1}), ("log_softmax", (M,), {}), ("log_softmax", (A,), {"axis": 0}),
    ("normalize", (M,), {}), ("normalize", (A,), {"axis": 1, "order": 1}), ("normalize", (M,), {"epsilon": 10.0}),
    # element-wise, two arguments
    *[(f, (M, N), {}) for f in ("add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum",
                               "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "arctan2",
                               "hypot", "logaddexp", "isclose", "divide_no_nan")],
    *[(f, (BOOL, M < 0.5), {}) for f in ("logical_and", "logical_or", "logical_xor")],
    ("add", (I, 1.5), {}), ("multiply", (I, 2), {}), ("divide", (I, IPOS), {}), ("add", (M, 1), {}),
    ("floor_divide", (I, IPOS), {}), ("mod", (I, IPOS), {}), ("mod", (M, 0.7), {}), ("power", (POS, 1.5), {}),
    ("power", (I, 2), {}), ("add", (A, W[:, 0]), {}), ("clip", (M, -0.5, 0.5), {}), ("clip", (BOOL, 0, 1), {}),
    # reductions
    *[(f, (A,), kw) for f in ("sum", "mean", "max", "min", "prod", "std", "var", "logsumexp", "median", "ptp")
      for kw in ({}, {"axis": 1}, {"axis": (0, 2), "keepdims": True})],
    *[(f, (A,), kw) for f in ("argmax", "argmin") for kw in ({}, {"axis": -1}, {"axis": 1, "keepdims": True})],
    ("amax", (A,), {"axis": 0}), ("amin", (A,), {"axis": 0}), ("max", (M,), {"axis": 0, "initial": 0.5}),
    ("sum", (BOOL,), {}), ("sum", (I,), {"axis": 0}), ("mean", (BOOL,), {"axis": 1}), ("var", (I,), {}),
    ("any", (BOOL,), {}), ("any", (BOOL,), {"axis": 1}), ("all", (BOOL,), {"axis": 0, "keepdims": True}),
    ("cumsum", (A,), {}), ("cumsum", (A,), {"axis": 1}), ("cumprod", (M,), {"axis": 0}), ("count_nonzero", (I,), {}),
    ("count_nonzero", (I,), {"axis": 1}), ("average", (M,), {"axis": 1, "weights": POS[0]}), ("diff", (M,), {}),
    ("norm", (M,), {}), ("norm", (A,), {"axis": -1}), ("norm", (M,), {"ord": 1, "axis": 0, "keepdims": True}),
    ("norm", (M,), {"ord": "fro"}),
    # shapes
    ("reshape", (A, (6, 4)), {}), ("reshape", (A, (-1, 2)), {}), ("transpose", (A,), {}), ("transpose", (A, (0, 2, 1)), {}),
    ("swapaxes", (A, 0, 2), {}), ("moveaxis", (A, 0, -1), {}), ("expand_dims", (M, 1), {}), ("expand_dims", (M, -1), {}),
    ("expand_dims", (M, (0, 3)), {}), ("squeeze", (A[:, :1],), {}), ("squeeze", (A[:1, :1], 1), {}), ("ravel", (A,), {}),
    ("broadcast_to", (W[0], (3, 5)), {}), ("tile", (M, (2, 1)), {}), ("tile", (M, 2), {}), ("repeat", (M, 2), {}),
    ("repeat", (M, 2), {"axis": 1}), ("flip", (A,), {}), ("flip", (A,), {"axis": 1}), ("roll", (M, 1), {"axis": 1}),
    ("rot90", (M,), {}), ("pad", (M, ((1, 0), (0, 2))), {}), ("pad", (M, 1), {"constant_values": 3.0}),
    ("pad", (M, ((1, 1), (2, 2))), {"mode": "reflect"}), ("triu", (SQ,), {}), ("tril", (SQ,), {"k": -1}),
    ("diag", (SQ,), {}), ("diag", (M[0],), {}), ("diagonal", (A,), {"axis1": 1, "axis2": 2}), ("trace", (SQ,), {}),
    # joining and splitting
    ("concatenate", ([M, N],), {}), ("concatenate", ([A, A],), {"axis": -1}), ("stack", ([M, N],), {}),
    ("stack", ([M, N],), {"axis": -1}), ("hstack", ([M, N],), {}), ("vstack", ([M, N],), {}), ("append", (M, N), {"axis": 0}),
    ("split", (A, 2), {}), ("split", (M, [1, 3]), {"axis": 1}), ("unstack", (M,), {}), ("unstack", (A,), {"axis": 1}),
    # indexing, selecting, sorting
    ("where", (BOOL, M, N), {}), ("where", (BOOL, M, 0.0), {}), ("take", (M, IDX), {}), ("take", (M, LABELS), {"axis": 1}),
    ("take", (A, np.array([1, 0]), 0), {}), ("take_along_axis", (M, np.argsort(M, axis=1)), {"axis": 1}),
    ("sort", (M,), {}), ("sort", (M,), {"axis": 0}), ("argsort", (M,), {}), ("argsort", (M,), {"axis": 0}),
    ("top_k", (M, 2), {}), ("top_k", (A, 3), {"sorted": False}), ("one_hot", (LABELS, 4), {}),
    ("one_hot", (np.array([0, -1, 5]), 4), {}), ("one_hot", (LABELS, 3), {"axis": 0, "dtype": "int32"}),
    ("multi_hot", (IDX, 4), {}), ("slice", (A, (0, 1, 1), (2, 2, 3)), {}), ("slice", (A, (1, 0, 2), (-1, 2, -1)), {}),
    ("slice_update", (M, (1, 1), np.ones((2, 2), "float32")), {}), ("searchsorted", (np.sort(M[0]), N[0]), {}),
    ("digitize", (M, np.array([-1.0, 0.0, 1.0], "float32")), {}), ("in_top_k", (LABELS, M, 2), {}),
    ("segment_sum", (M, np.array([0, 0, 1])), {"num_segments": 2}), ("segment_max", (M, np.array([0, 1, 1])), {"num_segments": 2}),
    ("scatter", (np.array([[0, 1], [2, 3]]), np.array([1.0, 2.0], "float32"), (3, 4)), {}),
    ("scatter_update", (M, np.array([[0, 1], [2, 3]]), np.array([7.0, 8.0], "float32")), {}),
    ("stop_gradient", (M,), {}), ("cast", (M, "int32"), {}), ("cast", (I, "float32"), {}), ("cast", (M, "bool"), {}),
    ("cast", (I, "float16"), {}),
    # creation
    ("zeros", ((2, 3),), {}), ("ones", ((2, 3),), {"dtype": "int32"}), ("full", ((2, 2), 3), {}),
    ("full", ((2,), 1.5), {"dtype": "float32"}), ("zeros_like", (I,), {}), ("ones_like", (M,), {"dtype": "int32"}),
    ("full_like", (M, 2.0), {}), ("eye", (3,), {}), ("eye", (3, 4), {"k": 1}), ("identity", (3,), {}), ("tri", (3,), {}),
    ("arange", (5,), {}), ("arange", (1, 7, 2), {}), ("arange", (0.0, 1.0, 0.25), {}), ("arange", (5,), {"dtype": "float32"}),
    ("linspace", (0.0, 1.0, 5), {}), ("meshgrid", (M[0], N[0]), {}),
    # normalization, losses, attention
    ("moments", (A, (0, 1)), {}), ("moments", (A, (1,)), {"keepdims": True}),
    ("batch_normalization", (A, M[0], POS[0], -1), {"offset": N[0], "scale": UNIT[0]}),
    ("layer_normalization", (A,), {}), ("rms_normalization", (A,), {}),
    ("binary_crossentropy", ((M > 0).astype("float32"), np.clip(POS, 0, 1)), {}),
    ("binary_crossentropy", ((M > 0).astype("float32"), M), {"from_logits": True}),
    ("categorical_crossentropy", (ONEHOT, PROBS), {}), ("categorical_crossentropy", (ONEHOT, M), {"from_logits": True}),
    ("sparse_categorical_crossentropy", (LABELS, PROBS), {}),
    ("sparse_categorical_crossentropy", (LABELS, M), {"from_logits": True}),
    ("dot_product_attention", (A[:, :, None], A[:, :, None], A[:, :, None]), {}),
    ("dot_product_attention", (A[:, :, None], A[:, :, None], A[:, :, None]), {"is_causal": True, "scale": 0.3}),
    ("dot_product_attention", (A[:, :, None], A[:, :, None], A[:, :, None]), {"mask": np.tril(np.ones((3, 3), bool))}),
    # less common element-wise functions, NaN-aware reductions, quantiles
    *[(f, (M,), {}) for f in ("cbrt", "deg2rad", "rad2deg", "sinc", "fabs", "isneginf", "isposinf", "isreal",
                             "real", "imag", "conj", "conjugate", "angle", "sparse_plus", "sparse_sigmoid",
                             "erfc", "fliplr", "flipud", "empty_like", "corrcoef")],
    ("arccosh", (POS + 1,), {}),
    *[(f, (M, N), {}) for f in ("fmod", "fmax", "fmin", "heaviside", "logaddexp2", "nextafter", "allclose")],
    *[(f, (I, IPOS), {}) for f in ("gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift",
                                  "right_shift", "bitwise_left_shift", "bitwise_right_shift")],
    ("bitwise_not", (I,), {}), ("bitwise_invert", (I,), {}), ("ldexp", (M, I), {}), ("isin", (I, IPOS[0]), {}),
    *[(f, (np.where(BOOL, np.nan, M),), kw) for f in ("nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanstd",
                                                      "nanvar", "nanmedian", "nanargmax", "nanargmin")
      for kw in ({}, {"axis": 1})],
    ("nancumsum", (np.where(BOOL, np.nan, M),), {"axis": 1}), ("nancumprod", (np.where(BOOL, np.nan, M),), {}),
    ("quantile", (M, 0.3), {}), ("quantile", (M, np.array([0.1, 0.9])), {"axis": 1}), ("percentile", (M, 40.0), {"axis": 0}),
    ("nanquantile", (np.where(BOOL, np.nan, M), 0.5), {"axis": 1}), ("nanpercentile", (M, 50.0), {}),
    ("trapezoid", (M,), {}), ("trapezoid", (M,), {"dx": 0.5, "axis": 0}), ("dstack", ([M, N],), {}),
    ("hsplit", (M, 2), {}), ("vsplit", (M, 3), {}), ("dsplit", (A, 2), {}), ("diagflat", (M[0],), {"k": 1}),
    ("vander", (M[0],), {}), ("vander", (M[0], 3), {"increasing": True}), ("unravel_index", (IDX.ravel(), (4, 4)), {}),
    ("logspace", (0.0, 2.0, 5), {}), ("geomspace", (1.0, 100.0, 5), {}),
    ("segment_min", (M, np.array([0, 0, 1])), {"num_segments": 2}), ("segment_prod", (M, np.array([0, 1, 1])), {"num_segments": 2}),
    # linear algebra
    ("inv", (SQ,), {}), ("det", (SQ,), {}), ("solve", (SQ, M[:, :3]), {}), ("cholesky", (SPD,), {}),
    ("slogdet", (SQ,), {}), ("logdet", (SPD,), {}), ("eigh", (SPD,), {}), ("qr", (M,), {}),
    ("svd", (M,), {"compute_uv": False}), ("lstsq", (M, N[:, :2]), {}), ("solve_triangular", (np.triu(SQ), M[:, :3]), {}),
]


def _assert_same(mine, theirs, where):
    if isinstance(theirs, (list, tuple)):
        assert isinstance(mine, (list, tuple)) and len(mine) == len(theirs), f"{where}: structure {mine!r:.80}"
        for i, (a, b) in enumerate(zip(mine, theirs)):
            _assert_same(a, b, f"{where}[{i}]")
        return
    b = np.asarray(kops.convert_to_numpy(theirs))
    a = np.asarray(mine)
    assert a.shape == b.shape, f"{where}: shape {a.shape} != Keras {b.shape}"
    assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} != Keras {b.dtype}"
    if np.issubdtype(b.dtype, np.floating):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6, err_msg=where)
    else:
        np.testing.assert_array_equal(a, b, err_msg=where)


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_same_as_keras(name, args, kwargs):
    mine = getattr(ops, name)(*args, **kwargs)
    theirs = getattr(kops, name)(*args, **kwargs)
    _assert_same(mine, theirs, f"ops.{name}")


def _public_functions(module):
    return sorted(n for n, f in vars(module).items()
                  if not n.startswith("_") and callable(f) and not isinstance(f, type) and not inspect.ismodule(f)
                  and getattr(f, "__module__", "") != "lstmkit.ops._dispatch")


def test_signatures_match_keras():
    """Every lstmkit.ops function Keras also has takes the same arguments, with the same defaults."""
    checked = 0
    for name in _public_functions(ops):
        if not hasattr(kops, name):
            continue
        mine = [(p.name, p.default, p.kind) for p in inspect.signature(getattr(ops, name)).parameters.values()]
        theirs = [(p.name, p.default, p.kind) for p in inspect.signature(getattr(kops, name)).parameters.values()]
        assert mine == theirs, f"ops.{name}{inspect.signature(getattr(ops, name))} != keras.ops.{name}{inspect.signature(getattr(kops, name))}"
        checked += 1
    assert checked > 260


def test_submodules_like_keras():
    for sub in ("nn", "numpy", "linalg"):
        missing = set(_public_functions(getattr(ops, sub))) - set(dir(getattr(kops, sub)))
        assert not missing, f"lstmkit.ops.{sub} has functions keras.ops.{sub} does not: {missing}"
    for name in ("softmax", "relu", "sigmoid", "one_hot", "normalize", "log_softmax", "gelu"):
        assert getattr(ops, name) is getattr(ops.nn, name)  # nn-level functions exported flat, as Keras does
    for name in ("matmul", "concatenate", "sum", "where", "reshape"):
        assert getattr(ops, name) is getattr(ops.numpy, name)
    for name in ("scan", "cond", "while_loop", "fori_loop", "slice", "cast", "shape"):
        assert getattr(ops, name) is getattr(ops.core, name)
    assert ops.top_k is ops.math.top_k and ops.norm is ops.linalg.norm


def test_facts_about_tensors():
    assert ops.shape(A) == (2, 3, 4) and isinstance(ops.shape(A), tuple)
    assert ops.ndim(A) == kops.ndim(A) == 3
    assert ops.size(A) == int(kops.size(A)) == 24
    assert ops.dtype(I) == kops.dtype(I) == "int32"
    assert ops.is_tensor(jnp.ones(2)) and not ops.is_tensor(np.ones(2))
    t = ops.convert_to_tensor([1.0, 2.0])
    assert isinstance(t, jax.Array) and t.dtype == jnp.float32
    assert ops.convert_to_tensor(M, dtype="int32").dtype == jnp.int32
    assert isinstance(ops.convert_to_numpy(jnp.ones(2)), np.ndarray)
    assert ops.core.standardize_dtype(np.float32) == "float32" and ops.core.standardize_dtype(int) == "int32"


def test_control_flow_as_keras():
    f = lambda c, x: (c + x, c * x)
    for mine, theirs in [
        (ops.scan(f, 0.0, np.arange(4.0)), kops.scan(f, 0.0, np.arange(4.0))),
        (ops.scan(f, 1.0, np.arange(4.0), reverse=True), kops.scan(f, 1.0, np.arange(4.0), reverse=True)),
        (ops.fori_loop(0, 5, lambda i, v: v + i, 0), kops.fori_loop(0, 5, lambda i, v: v + i, 0)),
        (ops.cond(True, lambda: 1.0, lambda: 2.0), kops.cond(True, lambda: 1.0, lambda: 2.0)),
        (ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * 2), (0, 1)),
         kops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * 2), (0, 1))),
        (ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0, maximum_iterations=3),
         kops.while_loop(lambda i: i < 10, lambda i: i + 1, 0, maximum_iterations=3)),
        (ops.switch(1, [lambda x: x + 1, lambda x: x * 10], 2.0), kops.switch(1, [lambda x: x + 1, lambda x: x * 10], 2.0)),
        (ops.map(lambda x: x * 2, M), kops.map(lambda x: x * 2, M)),
        (ops.vectorized_map(lambda x: x.sum(), M), kops.vectorized_map(lambda x: x.sum(), M)),
        (ops.associative_scan(lambda a, b: a + b, M, axis=1), kops.associative_scan(lambda a, b: a + b, M, axis=1)),
        (ops.associative_scan(jnp.maximum, M, reverse=True), kops.associative_scan(jnp.maximum, M, reverse=True)),
    ]:
        _assert_same(jax.tree_util.tree_map(np.asarray, mine), jax.tree_util.tree_map(np.asarray, theirs), "control flow")


def _sparsemax_reference(z):
    """Projection of z onto the probability simplex: max(z - tau, 0) with tau found by bisection."""
    lo, hi = z.min() - 1.0, z.max()
    for _ in range(100):
        tau = (lo + hi) / 2
        lo, hi = (tau, hi) if np.maximum(z - tau, 0).sum() > 1 else (lo, tau)
    return np.maximum(z - (lo + hi) / 2, 0)


def test_sparsemax_projects_onto_the_simplex():
    # Compared with a reference rather than keras.ops: Keras 3.15's JAX sparsemax gives all zeros for
    # some inputs (it sums the cumulative sums of the support instead of taking the last one), though it
    # agrees on its docstring's example.
    out = np.asarray(ops.sparsemax(A, axis=1))
    ref = np.apply_along_axis(_sparsemax_reference, 1, np.float64(A))
    np.testing.assert_allclose(out, ref, atol=1e-5)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(ops.sparsemax(np.array([-1.0, 0.0, 1.0])), [0.0, 0.0, 1.0])


def test_custom_gradient_as_keras():
    @ops.custom_gradient
    def clipped_identity(x):
        return x, lambda upstream: ops.clip(upstream, -0.1, 0.1)

    g = jax.grad(lambda x: ops.sum(clipped_identity(x) * 5.0))(jnp.arange(3.0))
    np.testing.assert_allclose(g, [0.1, 0.1, 0.1])


def test_gradients_flow_and_stop():
    g = jax.grad(lambda x: ops.sum(ops.square(x) + ops.stop_gradient(x)))(jnp.arange(3.0))
    np.testing.assert_allclose(g, 2 * np.arange(3.0))


def test_variables_are_accepted():
    v = Variable(W, name="kernel")
    np.testing.assert_allclose(ops.matmul(M, v), M @ W, rtol=1e-5)
    np.testing.assert_allclose(ops.add(v, 1.0), W + 1.0)
    assert ops.shape(v) == (4, 5)
    np.testing.assert_allclose(ops.concatenate([v, v], axis=0), np.concatenate([W, W]))
    np.testing.assert_allclose(ops.convert_to_numpy(v), W)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="order"):
        ops.normalize(M, order=0)
    with pytest.raises(ValueError, match="num_classes"):
        ops.one_hot(LABELS, 2.5)
    with pytest.raises(ValueError, match="unroll"):
        ops.scan(lambda c, x: (c, x), 0.0, np.arange(3.0), unroll=0)
    with pytest.raises(ValueError, match="constant_values"):
        ops.pad(M, 1, mode="reflect", constant_values=1.0)
    with pytest.raises(TypeError, match="list or tuple"):
        ops.concatenate(3.0)
    with pytest.raises(ValueError, match="dtype"):
        ops.cast(M, "not_a_dtype")


def _first_array(args):
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.ndim >= 1:
            return i
    return None


SYMBOLIC_CASES = [c for c in CASES if _first_array(c[1]) is not None]


@pytest.mark.parametrize("name,args,kwargs", SYMBOLIC_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(SYMBOLIC_CASES)])
def test_symbolic_shapes_and_dtypes_match_eager(name, args, kwargs):
    """The same call with a KerasTensor in place of the first array: the eager result's shapes and dtypes,
    with only dimensions that depend on an unknown batch size reported as None."""
    import lstmkit
    from lstmkit.layers.input_layer import KerasTensor

    i = _first_array(args)
    eager = jax.tree_util.tree_leaves(getattr(ops, name)(*args, **kwargs))
    others = [a for j, a in enumerate(args) if j != i and np.ndim(a) >= 1]
    # An unknown first dimension only where nothing pins it: no other array argument, not a square matrix,
    # not the axis an unstack splits along.
    pinned = others or name in ("inv", "det", "cholesky", "slogdet", "logdet", "eigh") or (name == "unstack" and not kwargs)
    for batch_shape in [args[i].shape] + ([(None,) + args[i].shape[1:]] if not pinned else []):
        sym_args = list(args)
        sym_args[i] = lstmkit.Input(batch_shape=batch_shape, dtype=str(args[i].dtype))
        out = jax.tree_util.tree_leaves(getattr(ops, name)(*sym_args, **kwargs),
                                        is_leaf=lambda t: isinstance(t, KerasTensor))
        assert len(out) == len(eager)
        for t, e in zip(out, eager):
            assert isinstance(t, KerasTensor) and t.dtype == str(np.asarray(e).dtype)
            assert len(t.shape) == np.ndim(e)
            if None not in batch_shape:
                assert t.shape == np.shape(e)
            else:
                assert all(d is None or d == de for d, de in zip(t.shape, np.shape(e)))
