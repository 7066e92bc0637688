"""lstmkit.ops: Keras 3's `keras.ops`, on JAX.

The functions Keras code uses in custom layers and between layers of a functional model, with
Keras's names, arguments, defaults and results: `ops.matmul(x, self.kernel)`,
`ops.softmax(scores, axis=-1)`, `ops.concatenate([a, b], axis=-1)`, ... They take JAX and NumPy
arrays, lstmkit Variables and symbolic KerasTensors. As in Keras, the families are also submodules
(`ops.numpy`, `ops.nn`, `ops.core`, `ops.math`, `ops.linalg`) and everything is exported flat.

On KerasTensors an op becomes a node of the functional graph (a weightless layer named as Keras names
the op, e.g. `concatenate (Concatenate)` in `summary()`), so the model trains and predicts with it.
Unlike Keras 3, lstmkit cannot write such nodes to a model file: saving the model is a clear error
asking for a layer (e.g. `layers.Concatenate`) in their place.
"""

from lstmkit.ops import core, linalg, math, nn, numpy  # noqa: F401
from lstmkit.ops.core import (  # noqa: F401
    associative_scan, cast, cond, convert_to_numpy, convert_to_tensor, custom_gradient, dtype, fori_loop,
    get_item, is_tensor, map, saturate_cast, scan, scatter, scatter_update, shape, slice, slice_update,
    stop_gradient, switch, unstack, vectorized_map, while_loop,
)
from lstmkit.ops.linalg import cholesky, det, eigh, inv, lstsq, matrix_rank, norm, pinv, qr, solve, solve_triangular, svd  # noqa: F401
from lstmkit.ops.math import (  # noqa: F401
    erf, erfc, erfinv, extract_sequences, in_top_k, logdet, logsumexp, rsqrt, segment_max, segment_min, segment_prod,
    segment_sum, top_k,
)
from lstmkit.ops.numpy import *  # noqa: F401,F403
# ops.nn-level functions exported flat, as Keras does: ops.sigmoid, ops.relu, ops.softmax, ...
from lstmkit.ops.nn import (  # noqa: F401
    batch_normalization, binary_crossentropy, categorical_crossentropy, celu, dot_product_attention, elu, gelu,
    glu, hard_shrink, hard_sigmoid, hard_silu, hard_swish, hard_tanh, layer_normalization, leaky_relu, log_sigmoid,
    log_softmax, moments, multi_hot, normalize, one_hot, relu, relu6, rms_normalization, selu, sigmoid, silu,
    soft_shrink, softmax, softplus, softsign, sparse_categorical_crossentropy, sparse_plus, sparse_sigmoid, sparsemax,
    squareplus, swish, tanh_shrink,
    threshold,
)
