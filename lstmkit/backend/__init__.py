"""lstmkit.backend: Keras 2's `keras.backend`, as custom layers of Keras 2 programs use it.

`from lstmkit import backend as K` gives `K.dot`, `K.batch_dot`, `K.tanh`, `K.softmax`, `K.sum`,
`K.expand_dims`, `K.int_shape`, `K.epsilon`, `K.clear_session`, `K.get_value` / `K.set_value`, ...
with Keras 2's semantics (e.g. `K.concatenate(axis=-1)`, `K.argmax(axis=-1)`, `K.batch_dot` axes,
`K.hard_sigmoid` = clip(0.2 x + 0.5)). The functions take arrays, Variables and, in the functional
API, symbolic tensors. Keras 3's `keras.backend` names are here too (`standardize_dtype`,
`result_type`, `is_float_dtype`, ...). TensorFlow-1 graph functions (`placeholder`, `function`,
sessions) are clear errors.
"""

from lstmkit.backend.array_ops import (  # noqa: F401
    arange, batch_flatten, cast, concatenate, expand_dims, flatten, foldl, foldr, gather, identity, map_fn,
    one_hot, permute_dimensions, print_tensor, repeat, repeat_elements, reshape, reverse, slice, squeeze, stack,
    stop_gradient, temporal_padding, tile, transpose,
)
from lstmkit.backend.config import (  # noqa: F401
    backend, clear_session, epsilon, floatx, image_data_format, is_float_dtype, is_int_dtype, learning_phase,
    learning_phase_scope, name_scope, result_type, set_epsilon, set_floatx, set_image_data_format,
    set_learning_phase, standardize_dtype,
)
from lstmkit.backend.math_ops import (  # noqa: F401
    abs, all, any, argmax, argmin, batch_dot, clip, cos, cumprod, cumsum, dot, equal, exp, greater,
    greater_equal, in_test_phase, in_train_phase, less, less_equal, log, logsumexp, max, maximum, mean, min,
    minimum, not_equal, pow, prod, round, sign, sin, sqrt, square, std, sum, switch, var,
)
from lstmkit.backend.nn_ops import (  # noqa: F401
    batch_normalization, bias_add, binary_crossentropy, categorical_crossentropy, dropout, elu, hard_sigmoid,
    in_top_k, l2_normalize, relu, sigmoid, softmax, softplus, softsign, sparse_categorical_crossentropy, tanh,
)
from lstmkit.backend.variables import (  # noqa: F401
    batch_get_value, batch_set_value, cast_to_floatx, constant, count_params, dtype, eval, eye, function,
    get_session, get_uid, get_value, int_shape, is_keras_tensor, is_sparse, is_tensor, moving_average_update,
    ndim, ones, ones_like, placeholder, random_bernoulli, random_binomial, random_normal, random_normal_variable,
    random_uniform, random_uniform_variable, reset_uids, rnn, set_session, set_value, shape, to_dense,
    truncated_normal, update, update_add, update_sub, variable, zeros, zeros_like,
)
from lstmkit.layers.tensor_masks import get_keras_mask, set_keras_mask  # noqa: E402,F401  (Keras 3's names)
