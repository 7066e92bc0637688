"""lstmkit.backend: Keras 2's `keras.backend`, as custom layers of Keras 2 programs use it.

`from lstmkit import backend as K` gives `K.dot`, `K.batch_dot`, `K.tanh`, `K.softmax`, `K.sum`,
`K.expand_dims`, `K.int_shape`, `K.epsilon`, `K.clear_session`, `K.get_value` / `K.set_value`, ...
with Keras 2's semantics (e.g. `K.concatenate(axis=-1)`, `K.argmax(axis=-1)`, `K.batch_dot` axes,
`K.hard_sigmoid` = clip(0.2 x + 0.5)). The functions take arrays, Variables and, in the functional
API, symbolic tensors. TensorFlow-1 graph functions (`placeholder`, `function`) are clear errors.
"""

from lstmkit.backend.array_ops import (  # noqa: F401
    arange, batch_flatten, cast, concatenate, expand_dims, flatten, gather, identity, one_hot,
    permute_dimensions, repeat, repeat_elements, reshape, reverse, squeeze, stack, stop_gradient,
    temporal_padding, tile, transpose,
)
from lstmkit.backend.config import (  # noqa: F401
    backend, clear_session, epsilon, floatx, image_data_format, learning_phase, learning_phase_scope,
    name_scope, set_epsilon, set_floatx, set_image_data_format, set_learning_phase,
)
from lstmkit.backend.math_ops import (  # noqa: F401
    abs, all, any, argmax, argmin, batch_dot, binary_crossentropy, categorical_crossentropy, clip, cos,
    cumprod, cumsum, dot, dropout, elu, equal, exp, greater, greater_equal, hard_sigmoid, in_test_phase,
    in_train_phase, l2_normalize, less, less_equal, log, logsumexp, max, maximum, mean, min, minimum,
    not_equal, pow, prod, relu, round, sigmoid, sign, sin, softmax, softplus, softsign, sqrt, square, std,
    sum, switch, tanh, var,
)
from lstmkit.backend.variables import (  # noqa: F401
    batch_get_value, batch_set_value, constant, count_params, dtype, eval, eye, function, get_value,
    int_shape, is_keras_tensor, is_tensor, ndim, ones, ones_like, placeholder, random_bernoulli,
    random_binomial, random_normal, random_uniform, rnn, set_value, shape, truncated_normal, variable,
    zeros, zeros_like,
)
