"""The keras.layers.Attention / AdditiveAttention docs example: query-value attention classifier.

Follows the Keras API docs for `Attention` (and `AdditiveAttention`): token Inputs of shape
(None,), a shared Embedding, a shared Conv1D(filters, 4, padding='same'), query-value
attention, GlobalAveragePooling1D over both, Concatenate, a Dense head; also
return_attention_scores=True.
"""
import numpy as np
import lstmkit as tf  # `import tensorflow as tf` programs call tf.keras.*

max_tokens = 30
dimension = 8

# Variable-length int sequences.
query_input = tf.keras.Input(shape=(None,), dtype='int32')
value_input = tf.keras.Input(shape=(None,), dtype='int32')

# Embedding lookup.
token_embedding = tf.keras.layers.Embedding(input_dim=max_tokens, output_dim=dimension)
# Query embeddings of shape [batch_size, Tq, dimension].
query_embeddings = token_embedding(query_input)
# Value embeddings of shape [batch_size, Tv, dimension].
value_embeddings = token_embedding(value_input)

# CNN layer.
cnn_layer = tf.keras.layers.Conv1D(
    filters=16,
    kernel_size=4,
    # Use 'same' padding so outputs have the same shape as inputs.
    padding='same')
# Query encoding of shape [batch_size, Tq, filters].
query_seq_encoding = cnn_layer(query_embeddings)
# Value encoding of shape [batch_size, Tv, filters].
value_seq_encoding = cnn_layer(value_embeddings)

# Query-value attention of shape [batch_size, Tq, filters].
query_value_attention_seq = tf.keras.layers.Attention()(
    [query_seq_encoding, value_seq_encoding])
additive_seq = tf.keras.layers.AdditiveAttention()(
    [query_seq_encoding, value_seq_encoding])

# Reduce over the sequence axis to produce encodings of shape
# [batch_size, filters].
query_encoding = tf.keras.layers.GlobalAveragePooling1D()(
    query_seq_encoding)
query_value_attention = tf.keras.layers.GlobalAveragePooling1D()(
    query_value_attention_seq)
additive = tf.keras.layers.GlobalAveragePooling1D()(additive_seq)

# Concatenate query and document encodings to produce a DNN input layer.
input_layer = tf.keras.layers.Concatenate()(
    [query_encoding, query_value_attention, additive])

# Add DNN layers, and create Model.
output = tf.keras.layers.Dense(1, activation='sigmoid')(input_layer)
model = tf.keras.Model([query_input, value_input], output)
model.summary()
model.compile(optimizer='adam', loss='binary_crossentropy')

q = np.random.randint(0, max_tokens, size=(16, 5))
v = np.random.randint(0, max_tokens, size=(16, 7))
labels = np.random.randint(0, 2, size=(16, 1))
model.fit([q, v], labels, epochs=2, batch_size=8, verbose=0)
print(model.predict([q[:2], v[:2]], verbose=0))

# attention scores
layer = tf.keras.layers.Attention()
out, scores = layer([np.random.rand(2, 5, 4).astype('float32'), np.random.rand(2, 7, 4).astype('float32')],
                    return_attention_scores=True)
print(out.shape, scores.shape)
assert tuple(scores.shape) == (2, 5, 7)
np.testing.assert_allclose(np.asarray(scores).sum(axis=-1), 1.0, rtol=1e-5)
