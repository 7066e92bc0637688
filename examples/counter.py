"""Seed 001, section 4: an LSTM that learns to count (aaaaaXbbbbb).

A character model reads strings of n a's, an X, n b's and an end mark "." and
predicts the next character at every step. After the X it must say "b" exactly
n times and then ".", so it has to count the a's and count down the b's. We
train it, trace its cell states with `lstmkit.inspect.trace`, find the unit
whose cell state follows the count (a's seen minus b's seen) and draw it over
the characters with `lstmkit.plot.trace_heatmap`: the colour deepens with
every a and fades with every b, as in the seed's picture. The hidden state h
(working memory) looks like a sharpened, squashed copy of the cell state
(long-term memory): h = o * tanh(c).

Writes counter.png in the current directory.
"""
import time

import numpy as np

import lstmkit
from lstmkit.inspect import find_units, trace
from lstmkit.layers import LSTM, Dense, Masking
from lstmkit.models import Sequential
from lstmkit.plot import trace_heatmap

start = time.perf_counter()
lstmkit.utils.set_random_seed(0)

# ---- data: "a"*n + "X" + "b"*n + ".", inputs one-hot, padded at the end with zeros (masked)
CHARS = "aXb."
ids = {c: i + 1 for i, c in enumerate(CHARS)}  # 0 is padding
strings = ["a" * n + "X" + "b" * n + "." for n in range(1, 13)]
steps = max(len(s) for s in strings) - 1
x_ids = np.zeros((len(strings), steps), np.int32)
y = np.zeros((len(strings), steps), np.int32)
for row, s in enumerate(strings):
    codes = [ids[c] for c in s]
    x_ids[row, :len(codes) - 1] = codes[:-1]  # read every character but the last ...
    y[row, :len(codes) - 1] = codes[1:]  # ... and predict the one after it
X = np.eye(len(CHARS) + 1, dtype="float32")[x_ids]
X[..., 0] = 0.0  # padding steps are all zeros, which Masking skips

# ---- model: the seed's LSTM, predicting the next character at every step
model = Sequential([
    Masking(0.0, input_shape=(steps, len(CHARS) + 1)),
    LSTM(8, return_sequences=True, name="lstm"),
    Dense(len(CHARS) + 1),
])
model.compile(optimizer=lstmkit.optimizers.Adam(0.02),
              loss=lstmkit.losses.SparseCategoricalCrossentropy(from_logits=True))
history = model.fit(X, y, epochs=300, batch_size=len(X), verbose=0)
predicted = model.predict(X, verbose=0).argmax(-1)
after_x = [(predicted[r, n:2 * n + 1] == y[r, n:2 * n + 1]).all() for r, n in enumerate(range(1, 13))]
print(f"loss {history.history['loss'][-1]:.3f}; "
      f"b's and end mark right after X in {sum(after_x)}/{len(after_x)} strings")

# ---- look inside: which cell counts?
traces = trace(model, X)
count = np.full(x_ids.shape, np.nan)  # a's read minus b's read, after each step; NaN on padding
for row, s in enumerate(strings):
    running = 0
    for t, c in enumerate(s[:-1]):
        running += {"a": 1, "b": -1}.get(c, 0)
        count[row, t] = running
best = find_units(traces, count, quantity="c", top=3)
for match in best:
    print(f"unit {match.unit}: correlation of its cell state with the count {match.correlation:+.3f}")
counter = best[0]
assert abs(counter.correlation) > 0.9, f"no counting unit found: best |r| = {abs(counter.correlation):.3f}"
same_unit_h = next(m for m in find_units(traces, count, quantity="h", top=None) if m.unit == counter.unit)
print(f"its hidden state h: correlation {same_unit_h.correlation:+.3f} (squashed by tanh and the output gate)")

# ---- the picture: cell state and hidden state of the counting unit, character by character
import matplotlib.pyplot as plt  # noqa: E402  (after lstmkit.plot chose a headless backend if needed)

sample = 7  # n = 8: aaaaaaaaXbbbbbbbb
text = strings[sample][:-1]
fig, axes = plt.subplots(2, 1, figsize=(10, 3.2))
trace_heatmap(traces, "lstm", "c", units=[counter.unit], labels=text, sample=sample, steps=len(text), ax=axes[0],
              title=f"cell state c of unit {counter.unit} (long-term memory)")
trace_heatmap(traces, "lstm", "h", units=[counter.unit], labels=text, sample=sample, steps=len(text), ax=axes[1],
              title=f"hidden state h of unit {counter.unit} (working memory)")
fig.tight_layout()
fig.savefig("counter.png", dpi=100)
plt.close(fig)
print(f"saved counter.png ({time.perf_counter() - start:.1f} s)")
