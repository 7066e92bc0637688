"""Named-entity recognition: TimeDistributed(Dense) over a Bidirectional LSTM with masking.

Follows the Kaggle / depends-on-the-definition "Guide to sequence tagging with neural
networks" (ner_dataset.csv notebook): word2idx / tag2idx dictionaries, pad_sequences(
padding="post", value=...), to_categorical per tag, Input(shape=(max_len,)),
Embedding(mask_zero=True), Dropout, Bidirectional(LSTM(return_sequences=True,
recurrent_dropout=0.1)), TimeDistributed(Dense(n_tags, activation="softmax")), fit with
validation_split, predict + argmax. The CSV is replaced by a few sentences.
"""
import numpy as np
from lstmkit.models import Model, Input
from lstmkit.layers import LSTM, Embedding, Dense, TimeDistributed, Dropout, Bidirectional
from lstmkit.preprocessing.sequence import pad_sequences
from lstmkit.utils import to_categorical

sentences = [
    [("Thousands", "O"), ("of", "O"), ("demonstrators", "O"), ("marched", "O"), ("through", "O"),
     ("London", "B-geo"), (".", "O")],
    [("Iran", "B-gpe"), ("says", "O"), ("it", "O"), ("wants", "O"), ("talks", "O"), (".", "O")],
    [("Helicopter", "O"), ("gunships", "O"), ("Saturday", "B-tim"), ("pounded", "O"), ("Iraq", "B-geo")],
    [("Bush", "B-per"), ("met", "O"), ("Blair", "B-per"), ("in", "O"), ("Washington", "B-geo"), (".", "O")],
] * 4
words = sorted(set(w for s in sentences for w, _ in s)) + ["ENDPAD"]
n_words = len(words)
tags = sorted(set(t for s in sentences for _, t in s))
n_tags = len(tags)

max_len = 8
word2idx = {w: i + 1 for i, w in enumerate(words)}
tag2idx = {t: i for i, t in enumerate(tags)}

X = [[word2idx[w[0]] for w in s] for s in sentences]
X = pad_sequences(maxlen=max_len, sequences=X, padding="post", value=0)
y = [[tag2idx[w[1]] for w in s] for s in sentences]
y = pad_sequences(maxlen=max_len, sequences=y, padding="post", value=tag2idx["O"])
y = [to_categorical(i, num_classes=n_tags) for i in y]

input = Input(shape=(max_len,))
model = Embedding(input_dim=n_words + 1, output_dim=20, input_length=max_len, mask_zero=True)(input)
model = Dropout(0.1)(model)
model = Bidirectional(LSTM(units=16, return_sequences=True, recurrent_dropout=0.1))(model)
out = TimeDistributed(Dense(n_tags, activation="softmax"))(model)  # softmax output layer

model = Model(input, out)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.summary()

history = model.fit(X, np.array(y), batch_size=4, epochs=2, validation_split=0.25, verbose=1)

i = 3
p = model.predict(np.array([X[i]]))
p = np.argmax(p, axis=-1)
print("{:15}: {}".format("Word", "Pred"))
for w, pred in zip(X[i], p[0]):
    if w != 0:
        print("{:15}: {}".format(words[w - 1], tags[pred]))
