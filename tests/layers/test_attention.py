"""Attention, AdditiveAttention and MultiHeadAttention against Keras 3: same weights, same outputs and scores
(masks, causal masks, attention masks), same gradients, configs, weight paths, an LSTM + attention classifier's
`fit`, masks from `Embedding(mask_zero=True)`, `.keras` and `.h5` files both ways."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.models import load_model  # noqa: E402

RNG = np.random.default_rng(11)
Q = RNG.normal(size=(2, 4, 3)).astype("float32")
V = RNG.normal(size=(2, 5, 3)).astype("float32")
K = RNG.normal(size=(2, 5, 3)).astype("float32")
Q_MASK = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
V_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], bool)


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def _pair(cls_name, **kwargs):
    return getattr(keras.layers, cls_name)(**kwargs), getattr(L, cls_name)(**kwargs)


def _shared_weights(k, ours):
    """Random weights (not the initial ones, which are all 1 for Attention) in both layers."""
    weights = [RNG.normal(size=w.shape).astype("float32") for w in k.get_weights()]
    k.set_weights(weights)
    ours.set_weights(weights)


ATTENTION_CASES = [("Attention", {}), ("Attention", dict(use_scale=True)),
                   ("Attention", dict(score_mode="concat")), ("Attention", dict(use_scale=True, score_mode="concat")),
                   ("AdditiveAttention", {}), ("AdditiveAttention", dict(use_scale=False))]


# (inputs, mask, causal) of each compared call
ATTENTION_CALLS = [("qv", None, False), ("qvk", [Q_MASK, V_MASK], True), ("qv", [None, V_MASK], False),
                   ("qvk", [Q_MASK, None], False)]


@pytest.mark.parametrize("name,kwargs", ATTENTION_CASES, ids=[f"{n}-{sorted(k.items())}" for n, k in ATTENTION_CASES])
def test_attention_same_outputs_and_scores_as_keras(name, kwargs):
    k, ours = _pair(name, **kwargs)
    k.build([Q.shape, V.shape, K.shape])
    ours.build([Q.shape, V.shape, K.shape])
    assert [w.path for w in ours.weights] == [w.path for w in k.weights]
    _shared_weights(k, ours)
    for which, mask, causal in ATTENTION_CALLS:
        inputs = [Q, V] if which == "qv" else [Q, V, K]
        call = dict(mask=mask, return_attention_scores=True, use_causal_mask=causal)
        ko, ks = k(inputs, **call)
        oo, os_ = ours(inputs, **call)
        _close(oo, ko)
        _close(os_, ks)
        assert np.asarray(oo).shape == (2, 4, 3) and np.asarray(os_).shape == (2, 4, 5)
        _close(ours(inputs, mask=mask, use_causal_mask=causal), ko)


@pytest.mark.parametrize("name,kwargs", [("Attention", dict(use_scale=True, score_mode="concat")),
                                         ("AdditiveAttention", {})])
def test_attention_same_gradients_as_keras(name, kwargs):
    k, ours = _pair(name, **kwargs)
    k.build([Q.shape, V.shape, K.shape])
    ours.build([Q.shape, V.shape, K.shape])
    _shared_weights(k, ours)

    def loss(layer):
        def f(weights, q, v):
            out, _ = layer.stateless_call(weights, [], [q, v, K], mask=[Q_MASK, V_MASK], use_causal_mask=True)
            return jax.numpy.sum(out ** 2)
        return f

    w = [np.asarray(v) for v in k.get_weights()]
    gk = jax.grad(loss(k), argnums=(0, 1, 2))(w, Q, V)
    go = jax.grad(loss(ours), argnums=(0, 1, 2))(w, Q, V)
    for a, b in zip(jax.tree_util.tree_leaves(go), jax.tree_util.tree_leaves(gk)):
        _close(a, b, 1e-4)


def test_attention_configs_equal_keras():
    for name, kwargs in ATTENTION_CASES + [("Attention", dict(dropout=0.3, seed=4)),
                                           ("AdditiveAttention", dict(dropout=0.2, seed=3))]:
        k, ours = _pair(name, name="a", **kwargs)
        assert ours.get_config() == k.get_config() and list(ours.get_config()) == list(k.get_config())
        assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
        assert ours.compute_output_shape([(2, 4, 3), (2, 5, 6)]) == k.compute_output_shape([(2, 4, 3), (2, 5, 6)])


def test_attention_dropout_only_while_training():
    layer = L.Attention(dropout=0.5, seed=1)
    x = [Q, V]
    _close(layer(x), layer(x))
    _close(layer(x, training=False), L.Attention()(x))
    trained = [np.asarray(layer(x, training=True, return_attention_scores=True)[1]) for _ in range(2)]
    assert not np.allclose(trained[0], trained[1])
    assert set(np.unique(np.round(trained[0], 5))) >= {0.0}


def test_attention_bad_arguments():
    with pytest.raises(ValueError, match="score_mode"):
        L.Attention(score_mode="general")
    with pytest.raises(ValueError, match="dropout"):
        L.Attention(dropout=1.5)
    with pytest.raises(ValueError, match="must be called on a list"):
        L.Attention()(Q)
    with pytest.raises(ValueError, match="must be called on a list"):
        L.Attention()(lstmkit.Input((4, 3)))


def _embedding_inputs(lib, mask_zero=True):
    ids_q, ids_v = lib.Input((4,), dtype="int32"), lib.Input((5,), dtype="int32")
    emb = lib.layers.Embedding(10, 3, mask_zero=mask_zero, name="emb")
    return ids_q, ids_v, emb(ids_q), emb(ids_v)


IDS_Q = np.array([[1, 2, 0, 0], [3, 4, 5, 6], [7, 0, 0, 0]])
IDS_V = np.array([[1, 2, 3, 0, 0], [1, 2, 3, 4, 0], [9, 8, 7, 6, 5]])


def test_embedding_masks_reach_attention_in_a_graph_as_in_keras():
    models = []
    for lib in (keras, lstmkit):
        ids_q, ids_v, eq, ev = _embedding_inputs(lib)
        a = lib.layers.Attention(name="dot")([eq, ev])
        b = lib.layers.AdditiveAttention(name="add")([eq, ev, ev])
        # The query's mask passes on: a masked average over the query steps.
        pooled = lib.layers.GlobalAveragePooling1D()(a)
        models.append(lib.Model([ids_q, ids_v], [a, b, pooled]))
    models[1].set_weights(models[0].get_weights())
    for ko, oo in zip(models[0].predict([IDS_Q, IDS_V], verbose=0), models[1].predict([IDS_Q, IDS_V], verbose=0)):
        _close(oo, ko)
    # ... and they matter: without the masks the numbers differ.
    unmasked = L.Attention()([models[1].get_layer("emb")(IDS_Q).__array__(), models[1].get_layer("emb")(IDS_V).__array__()])
    assert not np.allclose(np.asarray(unmasked), models[1].predict([IDS_Q, IDS_V], verbose=0)[0], atol=1e-4)


def test_embedding_masks_reach_attention_and_mha_eagerly():
    k_emb, o_emb = _pair("Embedding", input_dim=10, output_dim=8, mask_zero=True)
    k_emb.build(None)
    o_emb.build(None)
    o_emb.set_weights(k_emb.get_weights())
    k_mha, o_mha = _pair("MultiHeadAttention", num_heads=2, key_dim=4)
    kq, kv, oq, ov = k_emb(IDS_Q), k_emb(IDS_V), o_emb(IDS_Q), o_emb(IDS_V)
    k_mha(kq, kv)
    o_mha(oq, ov)
    o_mha.set_weights(k_mha.get_weights())
    kq, kv, oq, ov = k_emb(IDS_Q), k_emb(IDS_V), o_emb(IDS_Q), o_emb(IDS_V)
    _close(o_mha(oq, ov), k_mha(kq, kv))
    kq, kv, oq, ov = k_emb(IDS_Q), k_emb(IDS_V), o_emb(IDS_Q), o_emb(IDS_V)
    out = o_mha(query=oq, value=ov)
    _close(lstmkit.backend.get_keras_mask(out) if hasattr(lstmkit.backend, "get_keras_mask")
           else out._keras_mask, IDS_Q != 0)
    k_att, o_att = _pair("Attention")
    kq, kv, oq, ov = k_emb(IDS_Q), k_emb(IDS_V), o_emb(IDS_Q), o_emb(IDS_V)
    _close(o_att([oq, ov]), k_att([kq, kv]))


MHA_CASES = [dict(num_heads=2, key_dim=3), dict(num_heads=3, key_dim=2, value_dim=4),
             dict(num_heads=2, key_dim=3, use_bias=False, output_shape=5), dict(num_heads=2, key_dim=2, use_gate=True),
             dict(num_heads=2, key_dim=2, output_shape=(2, 3), sliding_window=2)]


@pytest.mark.parametrize("kwargs", MHA_CASES, ids=[str(sorted(k.items())) for k in MHA_CASES])
def test_mha_same_outputs_scores_and_gradients_as_keras(kwargs):
    k, ours = _pair("MultiHeadAttention", **kwargs)
    k.build(Q.shape, V.shape, K.shape)
    ours.build(Q.shape, V.shape, K.shape)
    assert [(w.path, tuple(w.shape)) for w in ours.weights] == [(w.path, tuple(w.shape)) for w in k.weights]
    _shared_weights(k, ours)
    attention_mask = Q_MASK[:, :, None] & V_MASK[:, None, :]
    calls = [dict(), dict(key=K, key_mask=V_MASK, value_mask=V_MASK), dict(use_causal_mask=True),
             dict(attention_mask=attention_mask, use_causal_mask=True)]
    for call in calls:
        if kwargs.get("value_dim", 3) == 3:  # Keras's fused path fails for values unlike keys
            _close(ours(Q, V, **call), k(Q, V, **call))
        ko, ks = k(Q, V, return_attention_scores=True, **call)
        oo, os_ = ours(Q, V, return_attention_scores=True, **call)
        _close(oo, ko)
        _close(os_, ks)

    scores_path = kwargs.get("value_dim", 3) != 3  # Keras's fused path fails for values unlike keys

    def loss(layer):
        def f(trainable, q):
            out, _ = layer.stateless_call(trainable, [], q, V, value_mask=V_MASK, use_causal_mask=True,
                                          return_attention_scores=scores_path)
            return jax.numpy.sum(jax.numpy.tanh(out[0] if scores_path else out))
        return f

    if kwargs.get("output_shape"):
        return  # gradients: the other cases
    w = [np.asarray(v) for v in k.trainable_weights]
    gk = jax.grad(loss(k), argnums=(0, 1))(w, Q)
    go = jax.grad(loss(ours), argnums=(0, 1))(w, Q)
    for a, b in zip(jax.tree_util.tree_leaves(go), jax.tree_util.tree_leaves(gk)):
        _close(a, b, 1e-4)


def test_mha_higher_rank_attention_axes_as_keras():
    q = RNG.normal(size=(2, 3, 4, 6)).astype("float32")
    for axes in [None, 2, (1, 2), -2]:
        k, ours = _pair("MultiHeadAttention", num_heads=2, key_dim=2, attention_axes=axes)
        k.build(q.shape, q.shape)
        ours.build(q.shape, q.shape)
        _shared_weights(k, ours)
        for a, b in zip(ours(q, q, return_attention_scores=True), k(q, q, return_attention_scores=True)):
            _close(a, b)
        _close(ours(q, q), k(q, q))
        assert ours.get_config() == k.get_config()


def test_mha_configs_equal_keras():
    for kwargs in MHA_CASES + [dict(num_heads=4, key_dim=8, dropout=0.1, attention_axes=(1,), seed=3,
                                    kernel_initializer="he_normal", bias_initializer="ones",
                                    kernel_regularizer="l2", bias_regularizer="l2", activity_regularizer="l2",
                                    kernel_constraint="non_neg", bias_constraint="max_norm")]:
        k, ours = _pair("MultiHeadAttention", name="m", **kwargs)
        assert ours.get_config() == k.get_config() and list(ours.get_config()) == list(k.get_config())
        k.build(Q.shape, V.shape)
        ours.build(Q.shape, V.shape)
        assert ours.get_config() == k.get_config()
        assert L.MultiHeadAttention.from_config(ours.get_config()).get_config() == ours.get_config()
        assert ours.compute_output_shape(Q.shape, V.shape) == k.compute_output_shape(Q.shape, V.shape)
        assert ours.count_params() == k.count_params()


def test_mha_activity_regularizer_goes_to_the_projections_as_in_keras():
    k, ours = _pair("MultiHeadAttention", num_heads=2, key_dim=2, activity_regularizer="l2")
    k(Q, V)
    ours(Q, V)
    _shared_weights(k, ours)
    k(Q, V)
    ours(Q, V)
    assert len(ours.losses) == len(k.losses) == 4
    _close(sum(np.asarray(x) for x in ours.losses), sum(np.asarray(x) for x in k.losses), 1e-4)


def test_mha_query_mask_argument_is_not_used_as_in_keras():
    k, ours = _pair("MultiHeadAttention", num_heads=2, key_dim=2)
    k(Q, V)
    ours(Q, V)
    _shared_weights(k, ours)
    with pytest.warns(UserWarning, match="query_mask"):
        out = ours(Q, V, query_mask=Q_MASK)
    _close(out, k(Q, V, query_mask=Q_MASK))
    _close(out, ours(Q, V))


def test_mha_bad_arguments():
    for kwargs, match in [(dict(num_heads=0, key_dim=2), "num_heads"), (dict(num_heads=2, key_dim=1.5), "key_dim"),
                          (dict(num_heads=2, key_dim=2, value_dim=-1), "value_dim"),
                          (dict(num_heads=2, key_dim=2, output_shape=8.0), "output_shape"),
                          (dict(num_heads=2, key_dim=2, attention_axes="x"), "attention_axes"),
                          (dict(num_heads=2, key_dim=2, sliding_window=0), "sliding_window"),
                          (dict(num_heads=2, key_dim=2, dropout=2), "dropout"),
                          (dict(num_heads=2, key_dim=2, flash_attention=True), "flash_attention")]:
        with pytest.raises(ValueError, match=match):
            L.MultiHeadAttention(**kwargs)
    with pytest.raises(ValueError, match="must be equal"):
        L.MultiHeadAttention(num_heads=2, key_dim=2)(np.ones((2, 4, 3)), np.ones((2, 5, 3)), np.ones((2, 6, 3)))


def test_mha_symbolic_shapes_and_scores():
    q, v = lstmkit.Input((4, 3)), lstmkit.Input((5, 6))
    out, scores = L.MultiHeadAttention(num_heads=2, key_dim=2, output_shape=7)(q, v, return_attention_scores=True)
    assert out.shape == (None, 4, 7) and scores.shape == (None, 2, 4, 5)
    out = L.MultiHeadAttention(num_heads=2, key_dim=2)(query=q, value=v)
    assert out.shape == (None, 4, 3)


def _classifier(lib):
    ly = lib.layers
    inputs = lib.Input((6, 2))
    seq = ly.LSTM(4, return_sequences=True)(inputs)
    attended = ly.Attention(use_scale=True)([seq, seq])
    pooled = ly.GlobalAveragePooling1D()(attended)
    return lib.Model(inputs, ly.Dense(1, activation="sigmoid")(pooled))


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 2)).astype("float32")
    return x, (x.sum(axis=(1, 2)) > 0).astype("float32")[:, None]


def test_lstm_attention_classifier_fit_matches_keras():
    x, y = _data()
    k, ours = _classifier(keras), _classifier(lstmkit)
    ours.set_weights(k.get_weights())
    assert ours.count_params() == k.count_params()
    _close(ours.predict(x, verbose=0), k.predict(x, verbose=0))
    k.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    ours.compile(optimizer=lstmkit.optimizers.Adam(0.01), loss="binary_crossentropy")
    hk = k.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=1e-4)
    _close(ours.predict(x, verbose=0), k.predict(x, verbose=0), 1e-4)


def _seq2seq(lib):
    """An encoder-decoder with Luong attention and a self-attention block (the seq2seq-with-attention pattern)."""
    ly = lib.layers
    enc_in, dec_in = lib.Input((5,), dtype="int32"), lib.Input((4,), dtype="int32")
    enc_seq, h, c = ly.LSTM(6, return_sequences=True, return_state=True)(ly.Embedding(12, 6, mask_zero=True)(enc_in))
    dec_seq = ly.LSTM(6, return_sequences=True)(ly.Embedding(12, 6)(dec_in), initial_state=[h, c])
    context = ly.Attention()([dec_seq, enc_seq])
    mixed = ly.MultiHeadAttention(num_heads=2, key_dim=3, use_gate=True)(dec_seq, context, use_causal_mask=True)
    add = ly.AdditiveAttention()([mixed, enc_seq])
    return lib.Model([enc_in, dec_in], ly.Dense(12, activation="softmax")(ly.Concatenate()([dec_seq, add])))


def test_seq2seq_with_attention_step_matches_keras():
    rng = np.random.default_rng(1)
    enc = rng.integers(1, 12, size=(16, 5))
    enc[:, 3:] *= rng.integers(0, 2, size=(16, 1))  # padded sources
    dec = rng.integers(1, 12, size=(16, 4))
    y = rng.integers(0, 12, size=(16, 4))
    k, ours = _seq2seq(keras), _seq2seq(lstmkit)
    ours.set_weights(k.get_weights())
    _close(ours.predict([enc, dec], verbose=0), k.predict([enc, dec], verbose=0))
    # One training step against Keras's: the loss and the weights after it.
    k.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    ours.compile(optimizer=lstmkit.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    _close(ours.train_on_batch([enc, dec], y), k.train_on_batch([enc, dec], y), 1e-4)
    for a, b in zip(ours.get_weights(), k.get_weights()):
        _close(a, b, 1e-4)


def _mha_model(lib, **kwargs):
    ly = lib.layers
    q, v = lib.Input((4, 3)), lib.Input((5, 3))
    out, scores = ly.MultiHeadAttention(num_heads=2, key_dim=3, name="mha", **kwargs)(
        q, v, return_attention_scores=True, use_causal_mask=True)
    att = ly.Attention(use_scale=True, score_mode="concat", name="att")([q, v])
    add = ly.AdditiveAttention(name="add")([q, v])
    return lib.Model([q, v], [out, scores, att, add])


@pytest.mark.parametrize("kwargs", [dict(), dict(use_gate=True, output_shape=(2, 2), dropout=0.1)])
def test_keras_files_both_ways(tmp_path, kwargs):
    x = [Q, V]
    k = _mha_model(keras, **kwargs)
    _shared_weights(k, k)
    k.save(tmp_path / "k.keras")
    for loader in (load_model, lstmkit.saving.load_model):
        ours = loader(tmp_path / "k.keras")
        for a, b in zip(ours.predict(x, verbose=0), k.predict(x, verbose=0)):
            _close(a, b)
    ours = _mha_model(lstmkit, **kwargs)
    _shared_weights(ours, ours)
    ours.save(tmp_path / "o.keras")
    k2 = keras.saving.load_model(tmp_path / "o.keras")
    for a, b in zip(k2.predict(x, verbose=0), ours.predict(x, verbose=0)):
        _close(a, b)
    assert [type(layer).__name__ for layer in k2.layers[2:]] == ["MultiHeadAttention", "Attention", "AdditiveAttention"]


def test_h5_files_both_ways(tmp_path):
    x = [Q, V]
    ours = _mha_model(lstmkit, use_gate=True)
    _shared_weights(ours, ours)
    ours.save(tmp_path / "o.h5")
    for a, b in zip(load_model(tmp_path / "o.h5").predict(x, verbose=0), ours.predict(x, verbose=0)):
        _close(a, b)
    k = _mha_model(keras, use_gate=True)
    _shared_weights(k, k)
    k.save(tmp_path / "k.h5")
    for a, b in zip(load_model(tmp_path / "k.h5").predict(x, verbose=0), k.predict(x, verbose=0)):
        _close(a, b)
    # weights-only files into a model built by the other library
    ours.save_weights(tmp_path / "o.weights.h5")
    k.load_weights(tmp_path / "o.weights.h5")
    for a, b in zip(k.predict(x, verbose=0), ours.predict(x, verbose=0)):
        _close(a, b)


def test_summary_param_counts_equal_keras():
    k, ours = _mha_model(keras, use_gate=True), _mha_model(lstmkit, use_gate=True)
    assert [layer.count_params() for layer in ours.layers] == [layer.count_params() for layer in k.layers]
    assert ours.count_params() == k.count_params()


def _mha_on_embeddings(lib, value_masked):
    ids_q, ids_v = lib.Input((4,), dtype="int32"), lib.Input((5,), dtype="int32")
    emb = lib.layers.Embedding(10, 8, mask_zero=True, name="emb")
    plain = lib.layers.Embedding(10, 8, name="plain")
    value = emb(ids_v) if value_masked else plain(ids_v)
    out = lib.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(emb(ids_q), value)
    # The query's mask passes on (a masked average), as in Keras.
    return lib.Model([ids_q, ids_v], [out, lib.layers.GlobalAveragePooling1D()(out)])


def _same_predictions(build):
    k, ours = build(keras), build(lstmkit)
    ours.set_weights(k.get_weights())
    for a, b in zip(ours.predict([IDS_Q, IDS_V], verbose=0), k.predict([IDS_Q, IDS_V], verbose=0)):
        _close(a, b)


def test_mha_in_a_graph_takes_the_query_mask_as_keras():
    _same_predictions(lambda lib: _mha_on_embeddings(lib, value_masked=False))


def test_mha_in_a_graph_takes_the_value_mask_as_keras():
    _same_predictions(lambda lib: _mha_on_embeddings(lib, value_masked=True))


def test_mha_in_a_subclassed_model_takes_embedding_masks_as_keras():
    def build(lib):
        class Encoder(lib.Model):
            def __init__(self):
                super().__init__()
                self.emb = lib.layers.Embedding(10, 8, mask_zero=True)
                self.mha = lib.layers.MultiHeadAttention(num_heads=2, key_dim=4)

            def call(self, inputs):
                q, v = self.emb(inputs[0]), self.emb(inputs[1])
                return self.mha(q, v)

        model = Encoder()
        model([IDS_Q, IDS_V])
        return model

    k, ours = build(keras), build(lstmkit)
    ours.set_weights(k.get_weights())
    _close(ours([IDS_Q, IDS_V]), k([IDS_Q, IDS_V]))
    _close(ours.predict([IDS_Q, IDS_V], verbose=0), k.predict([IDS_Q, IDS_V], verbose=0))


def test_keras2_configs_load():
    """A tf.keras 2 functional config: MultiHeadAttention's recorded build shapes, `value` passed by keyword,
    attention layers on lists; tf.keras 2.4's `causal` flag is refused with the Keras 3 way to say it."""
    import json

    init, zeros = {"class_name": "GlorotUniform", "config": {"seed": None}}, {"class_name": "Zeros", "config": {}}
    base = {"trainable": True, "dtype": "float32"}

    def inp(name, shape):
        return {"class_name": "InputLayer", "name": name, "inbound_nodes": [], "config": {
            "batch_input_shape": [None, *shape], "dtype": "float32", "sparse": False, "ragged": False, "name": name}}

    mha = {"class_name": "MultiHeadAttention", "name": "mha", "inbound_nodes": [[["q", 0, 0, {"value": ["v", 0, 0]}]]],
           "config": {**base, "name": "mha", "num_heads": 2, "key_dim": 3, "value_dim": 3, "dropout": 0.0,
                      "use_bias": True, "output_shape": None, "attention_axes": [1], "kernel_initializer": init,
                      "bias_initializer": zeros, "kernel_regularizer": None, "bias_regularizer": None,
                      "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
                      "query_shape": [None, 4, 3], "key_shape": [None, 5, 3], "value_shape": [None, 5, 3]}}
    att = {"class_name": "Attention", "name": "att", "inbound_nodes": [[["mha", 0, 0, {}], ["v", 0, 0, {}]]],
           "config": {**base, "name": "att", "use_scale": False, "score_mode": "dot", "dropout": 0.0}}
    add = {"class_name": "AdditiveAttention", "name": "add", "inbound_nodes": [[["att", 0, 0, {}], ["v", 0, 0, {}]]],
           "config": {**base, "name": "add", "use_scale": True, "dropout": 0.0}}

    def model_json(layers):
        return json.dumps({"class_name": "Functional", "keras_version": "2.15.0", "backend": "tensorflow", "config": {
            "name": "m", "layers": [inp("q", (4, 3)), inp("v", (5, 3))] + layers,
            "input_layers": [["q", 0, 0], ["v", 0, 0]], "output_layers": [[layers[-1]["name"], 0, 0]]}})

    model = lstmkit.models.model_from_json(model_json([mha, att, add]))
    assert [type(layer).__name__ for layer in model.layers[2:]] == ["MultiHeadAttention", "Attention",
                                                                     "AdditiveAttention"]
    assert model.predict([Q, V], verbose=0).shape == (2, 4, 3)
    causal = {**att, "inbound_nodes": [[["q", 0, 0, {}], ["v", 0, 0, {}]]],
              "config": {**att["config"], "causal": True}}
    with pytest.raises(ValueError, match="use_causal_mask"):
        lstmkit.models.model_from_json(model_json([causal]))


@pytest.mark.parametrize("make", [lambda s: L.Attention(dropout=0.9)([s, s]),
                                  lambda s: L.MultiHeadAttention(num_heads=2, key_dim=2, dropout=0.9)(s, s)],
                         ids=["Attention", "MultiHeadAttention"])
def test_dropout_draws_anew_each_compiled_step_and_not_in_evaluate(make):
    x = RNG.normal(size=(8, 6, 2)).astype("float32")
    y = x[:, :, :1].sum(axis=1)
    inputs = lstmkit.Input((6, 2))
    model = lstmkit.Model(inputs, L.Dense(1)(L.GlobalAveragePooling1D()(make(inputs))))
    model.compile(optimizer=lstmkit.optimizers.SGD(0.0), loss="mse")  # no update: only dropout changes the loss
    losses = [float(model.train_on_batch(x, y)) for _ in range(3)]
    assert len(set(np.round(losses, 5))) == 3
    assert model.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x, verbose=0))
