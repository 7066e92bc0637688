"""IMDB with a two-layer Bidirectional LSTM, Keras 3 style (`import keras`).

Follows the Keras example "Bidirectional LSTM on IMDB" (keras.io/examples/nlp/bidirectional_lstm_imdb):
keras.Input(shape=(None,), dtype="int32"), Embedding, Bidirectional(LSTM(64, return_sequences=True)),
Bidirectional(LSTM(64)), keras.datasets.imdb.load_data, keras.utils.pad_sequences, fit with
validation_data. (Tiny fake imdb.npz from the test; sizes shrunk.)
"""
import numpy as np
import lstmkit as keras
from lstmkit import layers

max_features = 200  # Only consider the top 20k words
maxlen = 10  # Only consider the first 200 words of each movie review

# Input for variable-length sequences of integers
inputs = keras.Input(shape=(None,), dtype="int32")
# Embed each integer in a 128-dimensional vector
x = layers.Embedding(max_features, 16)(inputs)
# Add 2 bidirectional LSTMs
x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(8))(x)
# Add a classifier
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.summary()

(x_train, y_train), (x_val, y_val) = keras.datasets.imdb.load_data(
    num_words=max_features
)
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")
# Use pad_sequence to standardize sequence length:
# this will truncate sequences longer than 200 words and zero-pad sequences shorter than 200 words.
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=8, epochs=2, validation_data=(x_val, y_val))
print(np.round(model.predict(x_val[:3]), 3))
