"""Seed 000: the character model of the text-generation tutorial (Embedding + stateful LSTM + Dense)."""
import numpy as np
import lstmkit as tf  # was: import tensorflow as tf (lstmkit.keras is lstmkit itself)


def build_model(vocab_size, embedding_dim, rnn_units, batch_size):
  model = tf.keras.Sequential([
    tf.keras.layers.Embedding(vocab_size, embedding_dim,
                              batch_input_shape=[batch_size, None]),
    tf.keras.layers.LSTM(rnn_units,
                        return_sequences=True,
                        stateful=True,
                        recurrent_initializer='glorot_uniform'),
    tf.keras.layers.Dense(vocab_size)
  ])
  return model


vocab_size, embedding_dim, rnn_units, batch_size = 65, 256, 1024, 64
model = build_model(vocab_size, embedding_dim, rnn_units, batch_size)
model.summary()

example_batch = np.random.default_rng(0).integers(0, vocab_size, size=(batch_size, 10))
example_batch_predictions = model(example_batch)
print(example_batch_predictions.shape, "# (batch_size, sequence_length, vocab_size)")
