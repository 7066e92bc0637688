"""`generate`: sample text from a trained character model, one compiled loop for all the characters."""

from __future__ import annotations

import weakref

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.generation.vocabulary import Vocabulary

__all__ = ["generate"]

# model -> {(length, top_k, greedy): jitted sampler}; the entries go when the model does.
_SAMPLERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _sampler(model, length, top_k, greedy):
    cache = _SAMPLERS.setdefault(model, {})
    key = (length, top_k, greedy)
    if key not in cache:
        def pick(logits, temperature, u):
            if greedy:
                return jnp.argmax(logits).astype(jnp.int32)
            if top_k is not None:  # keep the k most likely characters
                kth = jax.lax.top_k(logits, top_k)[0][-1]
                logits = jnp.where(logits < kth, -jnp.inf, logits)
            # Inverse-CDF sampling with a uniform drawn on the host beforehand: no random-number code
            # in the compiled program, which halves its compile time.
            cdf = jnp.cumsum(jax.nn.softmax(logits / temperature))
            return jnp.minimum(jnp.sum(cdf < u * cdf[-1]), logits.shape[-1] - 1).astype(jnp.int32)

        def run(values, states, prompt_ids, temperature, uniforms):
            # Read the prompt in one call, then sample one character per scan step, feeding it back;
            # the stateful layers' states ride in the scan's carry.
            outs, _, states, _, _ = model.apply_flat(values, states, [prompt_ids[None, :]])
            logits = outs[0][0, -1].astype(jnp.float32)

            def step(carry, u):
                states, logits = carry
                char = pick(logits, temperature, u)
                outs, _, states, _, _ = model.apply_flat(values, states, [char.reshape(1, 1)])
                return (states, outs[0][0, -1].astype(jnp.float32)), char

            _, chars = jax.lax.scan(step, (states, logits), uniforms)
            return chars

        cache[key] = jax.jit(run)
    return cache[key]


def _check(model, prompt, length, temperature, top_k, seed, vocab):
    from lstmkit.models.model import Model

    if not isinstance(model, Model):
        raise TypeError(f"generate(): `model` must be an lstmkit model; received {type(model).__name__}.")
    if not model._stateful_layers():
        raise ValueError("generate() carries the text so far in the model's stateful layers, and this model has "
                         "none: build it with stateful=True recurrent layers, as build_model() does.")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"generate(): `length` must be a positive int; received {length!r}.")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)) \
            or not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"generate(): `temperature` must be a number >= 0 (0: always the likeliest character); "
                         f"received {temperature!r}.")
    classes = model.outputs[0].shape[-1]
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer))
                              or not 1 <= top_k <= classes):
        raise ValueError(f"generate(): `top_k` must be None or an int from 1 to {classes} (the vocabulary size); "
                         f"received {top_k!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"generate(): `seed` must be None or a non-negative int; received {seed!r}.")
    if vocab is not None and not isinstance(vocab, Vocabulary):
        raise TypeError(f"generate(): `vocab` must be a Vocabulary or None; received {type(vocab).__name__}.")
    if vocab is not None and len(vocab) != classes:
        raise ValueError(f"generate(): the vocabulary has {len(vocab)} characters but the model predicts "
                         f"{classes} classes.")
    if isinstance(prompt, str):
        if vocab is None:
            raise ValueError("generate(): a text prompt needs `vocab=` (the Vocabulary the model was trained with) "
                             "to turn characters into ids; or pass the prompt as a list of ids.")
        if not prompt:
            raise ValueError("generate(): `prompt` must have at least one character.")
        return vocab.encode(prompt)
    ids = np.asarray(prompt)
    if ids.ndim != 1 or ids.size == 0 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"generate(): `prompt` must be a non-empty str or 1-D sequence of ids; received {prompt!r}.")
    if ids.min() < 0 or ids.max() >= classes:
        raise ValueError(f"generate(): prompt ids must be in [0, {classes}); received {ids.tolist()}.")
    return ids.astype(np.int32)


def generate(model, prompt, length, temperature=1.0, top_k=None, seed=None, *, vocab=None):
    """Continue `prompt` by `length` characters sampled from `model`; returns prompt + continuation.

    model: a trained character model with stateful recurrent layers (`build_model`),
    used at batch size 1 whatever batch it was built for; its stateful layers start
    from zeros for every call (the model's own states are neither used nor changed).
    prompt: a str (with `vocab`) or a sequence of ids. length: characters to generate.
    temperature: the logits are divided by it before sampling: below 1 more
    predictable, above 1 more surprising; 0 always picks the likeliest character.
    top_k: sample only among the k likeliest characters. seed: the random seed
    (the same seed, model and arguments give the same text); None draws one from
    lstmkit.s global random stream (`lstmkit.utils.set_random_seed`).
    vocab: the `Vocabulary` the model was trained with; needed for a str prompt.
    Returns a str if `vocab` is given, else a list of ids (prompt then continuation).
    All `length` steps run in one compiled `lax.scan`; compiling happens once per
    (model, length, top_k) and prompt length.
    """
    from lstmkit import _random

    prompt_ids = _check(model, prompt, length, temperature, top_k, seed, vocab)
    rng = np.random.default_rng(int(seed)) if seed is not None else _random.numpy_rng()
    uniforms = rng.random(int(length), dtype=np.float32)  # one per generated character
    states = {layer._state_key: layer.initial_state(1) for layer in model._stateful_layers()}
    values = {v.key: v.value for v in model.weights}
    greedy = float(temperature) == 0.0
    run = _sampler(model, int(length), None if top_k is None else int(top_k), greedy)
    chars = np.asarray(run(values, states, jnp.asarray(prompt_ids), jnp.float32(temperature or 1.0),
                           jnp.asarray(uniforms)))
    ids = np.concatenate([prompt_ids, chars.astype(np.int32)])
    return vocab.decode(ids) if vocab is not None else ids.tolist()
