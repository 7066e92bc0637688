"""Character-level text generation with a sampling loop in a LambdaCallback and a custom Callback.

Follows the Keras 2 example `examples/lstm_text_generation.py` (one-hot X of dtype bool,
LSTM(128, input_shape=(maxlen, len(chars))), Dense(softmax), RMSprop(lr=0.01), sample()
with temperature, LambdaCallback(on_epoch_end=...)) and machinelearningmastery's
"Text Generation With LSTM Recurrent Neural Networks" (a Callback subclass logging per
epoch). The nietzsche.txt download is replaced by a short text; sizes are shrunk.
"""
from __future__ import print_function
from lstmkit.callbacks import LambdaCallback, Callback
from lstmkit.models import Sequential
from lstmkit.layers import Dense
from lstmkit.layers import LSTM
from lstmkit.optimizers import RMSprop
import numpy as np
import random
import sys

text = ("the quick brown fox jumps over the lazy dog. the dog sleeps under the tree. "
        "a fox is quick and a dog is lazy. ") * 2
print('corpus length:', len(text))

chars = sorted(list(set(text)))
print('total chars:', len(chars))
char_indices = dict((c, i) for i, c in enumerate(chars))
indices_char = dict((i, c) for i, c in enumerate(chars))

# cut the text in semi-redundant sequences of maxlen characters
maxlen = 10
step = 3
sentences = []
next_chars = []
for i in range(0, len(text) - maxlen, step):
    sentences.append(text[i: i + maxlen])
    next_chars.append(text[i + maxlen])
print('nb sequences:', len(sentences))

print('Vectorization...')
x = np.zeros((len(sentences), maxlen, len(chars)), dtype=bool)
y = np.zeros((len(sentences), len(chars)), dtype=bool)
for i, sentence in enumerate(sentences):
    for t, char in enumerate(sentence):
        x[i, t, char_indices[char]] = 1
    y[i, char_indices[next_chars[i]]] = 1


# build the model: a single LSTM
print('Build model...')
model = Sequential()
model.add(LSTM(32, input_shape=(maxlen, len(chars))))
model.add(Dense(len(chars), activation='softmax'))

optimizer = RMSprop(lr=0.01)
model.compile(loss='categorical_crossentropy', optimizer=optimizer)


def sample(preds, temperature=1.0):
    # helper function to sample an index from a probability array
    preds = np.asarray(preds).astype('float64')
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


def on_epoch_end(epoch, _):
    # Function invoked at end of each epoch. Prints generated text.
    print()
    print('----- Generating text after Epoch: %d' % epoch)

    start_index = random.randint(0, len(text) - maxlen - 1)
    for diversity in [0.2, 1.0]:
        print('----- diversity:', diversity)

        generated = ''
        sentence = text[start_index: start_index + maxlen]
        generated += sentence
        print('----- Generating with seed: "' + sentence + '"')
        sys.stdout.write(generated)

        for i in range(12):
            x_pred = np.zeros((1, maxlen, len(chars)))
            for t, char in enumerate(sentence):
                x_pred[0, t, char_indices[char]] = 1.

            preds = model.predict(x_pred, verbose=0)[0]
            next_index = sample(preds, diversity)
            next_char = indices_char[next_index]

            sentence = sentence[1:] + next_char

            sys.stdout.write(next_char)
            sys.stdout.flush()
        print()


class LossHistory(Callback):
    def on_train_begin(self, logs={}):
        self.losses = []

    def on_batch_end(self, batch, logs={}):
        self.losses.append(logs.get('loss'))

    def on_epoch_end(self, epoch, logs=None):
        print('epoch', epoch, 'loss', logs['loss'], 'lr', float(self.model.optimizer.learning_rate))


print_callback = LambdaCallback(on_epoch_end=on_epoch_end)
history = LossHistory()

model.fit(x, y,
          batch_size=16,
          epochs=2,
          callbacks=[print_callback, history])
assert len(history.losses) == 2 * int(np.ceil(len(sentences) / 16))
