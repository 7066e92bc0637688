"""Character-level text generation: seed 000's model (Embedding + stateful LSTM + Dense), trained and sampled.

    from lstmkit import generation as gen

    text = gen.bundled_text()                       # or gen.read_text_file("my.txt")
    vocab = gen.Vocabulary.from_text(text)
    model = gen.build_model(len(vocab), embedding_dim=64, rnn_units=256, batch_size=32)
    result = gen.train(model, text, vocab, steps=300, log=print)
    print(gen.generate(model, "ROMEO:", 500, temperature=0.8, seed=0, vocab=vocab))
    gen.save(model, vocab, "char_model")            # later: model, vocab, info = gen.load("char_model")
"""

from lstmkit.generation.model import build_model
from lstmkit.generation.sampling import generate
from lstmkit.generation.store import load, save
from lstmkit.generation.text import bundled_text, next_char_windows, read_text_file, unigram_entropy
from lstmkit.generation.training import TrainingResult, train
from lstmkit.generation.vocabulary import Vocabulary

__all__ = ["TrainingResult", "Vocabulary", "build_model", "bundled_text", "generate", "load", "next_char_windows",
           "read_text_file", "save", "train", "unigram_entropy"]
