"""`lstmkit generate`: train the seed's character model on a text (or load one) and print generated text.

    lstmkit generate                       # train on the bundled Shakespeare, save to ./char_model, generate
    lstmkit generate my.txt --epochs 20    # train on your own text
    lstmkit generate --model char_model --prompt "ROMEO:" --length 1000 --seed 3

Training progress and the losses go to stderr; the generated text to stdout.
"""

from __future__ import annotations

import sys
import time

from lstmkit._paths import PathProblem, check_output_dir, check_regular_file
from lstmkit.cli import UsageError

EMBEDDING_DIM = 32
RNN_UNITS = 128
BATCH_SIZE = 32
SEQ_LENGTH = 100
LEARNING_RATE = 0.01
DEFAULT_STEPS = 240
DEFAULT_OUT = "char_model"


def add_parser(subparsers):
    p = subparsers.add_parser(
        "generate", help="train a character-level LSTM on a text and generate text from it",
        description="Train seed 000's character model (Embedding + stateful LSTM + Dense) on TEXT_FILE, or on a "
                    "bundled public-domain text when no file is given, save it, and print generated text. "
                    "With --model, load a saved model and generate without training.")
    p.add_argument("text_file", nargs="?", metavar="TEXT_FILE",
                   help="UTF-8 text to train on (default: the bundled Shakespeare, 47,906 characters)")
    steps = p.add_mutually_exclusive_group()
    steps.add_argument("--train-steps", type=int, metavar="N",
                       help=f"training steps (batches of {BATCH_SIZE} x {SEQ_LENGTH} characters; "
                            f"default {DEFAULT_STEPS})")
    steps.add_argument("--epochs", type=int, metavar="N", help="passes through the text instead of --train-steps")
    p.add_argument("--length", type=int, default=500, metavar="N", help="characters to generate (default 500)")
    p.add_argument("--temperature", type=float, default=0.8, metavar="T",
                   help="sampling temperature: lower is more predictable, 0 always picks the likeliest (default 0.8)")
    p.add_argument("--top-k", type=int, metavar="K", help="sample only among the K likeliest characters")
    p.add_argument("--prompt", metavar="STR",
                   help="text to start from (default: the first line of the training text)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="random seed for the initial weights and for sampling (default 0)")
    p.add_argument("--model", metavar="PATH", help="a directory saved by an earlier run: generate without training")
    p.add_argument("--out", metavar="DIR", help=f"where to save the trained model (default ./{DEFAULT_OUT})")
    return p


def _check_args(args):
    if args.length < 1:
        raise UsageError(f"--length must be at least 1, got {args.length}")
    if not args.temperature >= 0 or args.temperature == float("inf"):
        raise UsageError(f"--temperature must be a finite number >= 0, got {args.temperature}")
    if args.top_k is not None and args.top_k < 1:
        raise UsageError(f"--top-k must be at least 1, got {args.top_k}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    for name in ("train_steps", "epochs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.prompt is not None and args.prompt == "":
        raise UsageError("--prompt must not be empty")
    if args.model is not None:
        given = [flag for flag, value in (("TEXT_FILE", args.text_file), ("--train-steps", args.train_steps),
                                          ("--epochs", args.epochs), ("--out", args.out)) if value is not None]
        if given:
            raise UsageError(f"--model generates from a saved model without training; {', '.join(given)} "
                             "cannot be used with it")


def _check_paths(args):
    """The text file and --out, before JAX is imported or anything is trained."""
    if args.model is not None:
        return
    if args.text_file is not None:
        try:
            check_regular_file(args.text_file)
        except PathProblem as problem:
            if problem.reason == "missing":
                raise UsageError(f"text file {args.text_file!r} does not exist") from None
            raise UsageError(str(problem)) from None
    try:
        check_output_dir(args.out or DEFAULT_OUT)
    except PathProblem as problem:
        raise UsageError(f"--out {problem}") from None


def _log(line):
    print(line, file=sys.stderr, flush=True)


def _default_prompt(text):
    """The text's first line with its newline (at most 40 characters), so generation starts as the text does."""
    body = text.lstrip("\n")
    line = body.split("\n", 1)[0]
    if line and len(line) <= 40 and "\n" in body:
        return line + "\n"
    return line[:40] or text[0]


def _train(args, gen):
    import lstmkit

    source = args.text_file or "the bundled Shakespeare (lstmkit/generation/data/tinyshakespeare.txt)"
    try:
        text = gen.read_text_file(args.text_file) if args.text_file else gen.bundled_text()
    except (OSError, ValueError) as error:
        raise UsageError(str(error)) from None
    vocab = gen.Vocabulary.from_text(text)
    if len(vocab) < 2:
        raise UsageError(f"{args.text_file or 'the text'!r} has only one distinct character ({text[0]!r}): there "
                         "is nothing to learn about which character comes next; give a text with at least two")
    need = BATCH_SIZE * (SEQ_LENGTH + 1)
    if len(text) < need:
        raise UsageError(f"{args.text_file!r} has {len(text):,} characters; training needs at least {need:,} "
                         f"({BATCH_SIZE} streams of {SEQ_LENGTH + 1})")
    lstmkit.utils.set_random_seed(args.seed)
    model = gen.build_model(len(vocab), EMBEDDING_DIM, RNN_UNITS, BATCH_SIZE)
    baseline = gen.unigram_entropy(vocab.encode(text))
    _log(f"training on {source}: {len(text):,} characters, {len(vocab)} distinct")
    _log(f"model: Embedding({len(vocab)}, {EMBEDDING_DIM}) -> LSTM({RNN_UNITS}, stateful) -> Dense({len(vocab)}); "
         f"batches of {BATCH_SIZE} x {SEQ_LENGTH} characters")
    _log(f"unigram entropy of the text: {baseline:.3f} nats/character (the loss of guessing by frequency alone)")
    steps = args.train_steps
    if steps is None and args.epochs is None:
        steps = DEFAULT_STEPS
    result = gen.train(model, text, vocab, steps=steps, epochs=args.epochs, seq_length=SEQ_LENGTH,
                       learning_rate=LEARNING_RATE, log=_log)
    _log(f"trained {result.steps} steps in {result.seconds:.1f} s: loss {result.loss:.3f} nats/character "
         f"(last pass through the text) vs unigram entropy {result.unigram_entropy:.3f}")
    out = args.out or DEFAULT_OUT
    try:
        gen.save(model, vocab, out, info={"prompt": _default_prompt(text), "trained_on": source,
                                          "steps": result.steps, "loss": result.loss,
                                          "unigram_entropy": result.unigram_entropy})
    except OSError as error:
        raise UsageError(f"--out {out!r}: cannot save the model there: {error}") from None
    _log(f"saved the model to {out}/ (generate again without training: lstmkit generate --model {out})")
    return model, vocab, _default_prompt(text)


def run(args) -> int:
    _check_args(args)
    _check_paths(args)
    from lstmkit import generation as gen

    if args.model is not None:
        try:
            model, vocab, info = gen.load(args.model)
        except (OSError, ValueError, KeyError) as error:
            raise UsageError(f"--model {args.model!r}: {error}") from None
        default_prompt = info.get("prompt") or vocab.chars[0]
        _log(f"loaded the model from {args.model}/ ({len(vocab)} characters)")
    else:
        model, vocab, default_prompt = _train(args, gen)
    prompt = args.prompt if args.prompt is not None else default_prompt
    unknown = sorted({c for c in prompt if c not in vocab})
    if unknown:
        raise UsageError(f"--prompt has characters the model does not know: {''.join(unknown)!r}")
    if args.top_k is not None and args.top_k > len(vocab):
        raise UsageError(f"--top-k must be at most the vocabulary size {len(vocab)}, got {args.top_k}")
    start = time.perf_counter()
    text = gen.generate(model, prompt, args.length, temperature=args.temperature, top_k=args.top_k,
                        seed=args.seed, vocab=vocab)
    _log(f"generated {args.length} characters in {time.perf_counter() - start:.2f} s "
         f"(temperature {args.temperature:g}{f', top-k {args.top_k}' if args.top_k else ''}, seed {args.seed}):")
    sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    sys.stdout.flush()
    return 0
