"""Text classification with a Tokenizer + texts_to_sequences + pad_sequences pipeline.

Follows the common blog / Kaggle "Keras Tokenizer sentiment LSTM" pattern (e.g. the
Twitter-sentiment and spam-detection notebooks): Tokenizer(num_words=..., oov_token='<OOV>'),
fit_on_texts, word_index, texts_to_sequences, pad_sequences(padding='post',
truncating='post'), Embedding + LSTM + Dense(sigmoid), predicting new sentences, and saving
the tokenizer with to_json / tokenizer_from_json.
"""
import io
import json
import numpy as np
from lstmkit.preprocessing.text import Tokenizer, tokenizer_from_json
from lstmkit.preprocessing.sequence import pad_sequences
from lstmkit.models import Sequential
from lstmkit.layers import Embedding, LSTM, Dense, Dropout, SpatialDropout1D

sentences = [
    "I love my dog", "I love my cat", "You love my dog!", "Do you think my dog is amazing?",
    "this movie was terrible", "what a waste of time", "I hate this", "the worst film ever",
    "great acting and a lovely story", "awful plot, bad acting",
]
labels = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0])

vocab_size = 50
embedding_dim = 8
max_length = 6
trunc_type = 'post'
padding_type = 'post'
oov_tok = "<OOV>"

tokenizer = Tokenizer(num_words=vocab_size, oov_token=oov_tok)
tokenizer.fit_on_texts(sentences)
word_index = tokenizer.word_index
print(word_index)

sequences = tokenizer.texts_to_sequences(sentences)
padded = pad_sequences(sequences, maxlen=max_length, padding=padding_type, truncating=trunc_type)
print(padded)

model = Sequential([
    Embedding(vocab_size, embedding_dim, input_length=max_length),
    SpatialDropout1D(0.2),
    LSTM(16, dropout=0.2, recurrent_dropout=0.2),
    Dense(8, activation='relu'),
    Dropout(0.2),
    Dense(1, activation='sigmoid')
])
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
model.summary()
num_epochs = 3
history = model.fit(padded, labels, epochs=num_epochs, verbose=2)

new_sentences = ["my dog loves a great story", "what a terrible waste"]
seq = tokenizer.texts_to_sequences(new_sentences)
padded_new = pad_sequences(seq, maxlen=max_length, padding=padding_type, truncating=trunc_type)
print(model.predict(padded_new))

# save the tokenizer
tokenizer_json = tokenizer.to_json()
with io.open('tokenizer.json', 'w', encoding='utf-8') as f:
    f.write(json.dumps(tokenizer_json, ensure_ascii=False))
with open('tokenizer.json') as f:
    data = json.load(f)
    loaded = tokenizer_from_json(data)
assert loaded.texts_to_sequences(new_sentences) == seq
