"""Seq2seq with Luong (dot) attention and Bahdanau (additive) attention layers.

Follows the common tf.keras blog / Kaggle pattern "seq2seq with keras.layers.Attention"
(e.g. the text-summarisation and NMT notebooks): Embedding + LSTM(return_sequences=True,
return_state=True) encoder, decoder LSTM(initial_state=[state_h, state_c]),
Attention()([decoder_outputs, encoder_outputs]), Concatenate, TimeDistributed(Dense(softmax)),
sparse_categorical_crossentropy on shifted integer targets; then the same with
AdditiveAttention(use_scale=True).
"""
import numpy as np
from lstmkit.layers import (LSTM, Attention, AdditiveAttention, Concatenate, Dense, Embedding, Input,
                            TimeDistributed)
from lstmkit.models import Model

np.random.seed(0)
src_vocab, tgt_vocab = 20, 15
max_len_src, max_len_tgt = 7, 6
latent_dim = 16
n = 32

encoder_input_data = np.random.randint(1, src_vocab, size=(n, max_len_src))
decoder_full = np.random.randint(1, tgt_vocab, size=(n, max_len_tgt + 1))
decoder_input_data = decoder_full[:, :-1]
decoder_target_data = decoder_full[:, 1:]


def build(attention_layer):
    # Encoder
    encoder_inputs = Input(shape=(max_len_src,))
    enc_emb = Embedding(src_vocab, latent_dim, mask_zero=True)(encoder_inputs)
    encoder_lstm = LSTM(latent_dim, return_sequences=True, return_state=True)
    encoder_outputs, state_h, state_c = encoder_lstm(enc_emb)

    # Decoder, using `encoder_states` as initial state.
    decoder_inputs = Input(shape=(None,))
    dec_emb_layer = Embedding(tgt_vocab, latent_dim, mask_zero=True)
    dec_emb = dec_emb_layer(decoder_inputs)
    decoder_lstm = LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, decoder_fwd_state, decoder_back_state = decoder_lstm(dec_emb, initial_state=[state_h, state_c])

    # Attention layer
    attn_out = attention_layer([decoder_outputs, encoder_outputs])

    # Concat attention input and decoder LSTM output
    decoder_concat_input = Concatenate(axis=-1, name='concat_layer')([decoder_outputs, attn_out])

    # dense layer
    decoder_dense = TimeDistributed(Dense(tgt_vocab, activation='softmax'))
    decoder_outputs = decoder_dense(decoder_concat_input)

    # Define the model
    model = Model([encoder_inputs, decoder_inputs], decoder_outputs)
    return model


for layer in (Attention(), AdditiveAttention(use_scale=True)):
    model = build(layer)
    model.summary()
    model.compile(optimizer='rmsprop', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit([encoder_input_data, decoder_input_data], decoder_target_data,
                        epochs=2, batch_size=8, verbose=0)
    print(history.history['loss'])

preds = model.predict([encoder_input_data[:2], decoder_input_data[:2]], verbose=0)
assert preds.shape == (2, max_len_tgt, tgt_vocab)
