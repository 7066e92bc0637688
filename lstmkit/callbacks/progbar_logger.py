"""`ProgbarLogger`: progress output of `fit`, `evaluate` and `predict`.

lstmkit runs whole epochs (often many) per compiled call, so for short epochs it shows progress
over epochs; an epoch expected to take more than about a second runs in parts of about 0.25 s
(`training/epoch_parts.py`), and between them the bar shows Keras 3's progress inside the epoch:

* verbose=1, stdout a terminal (or a Jupyter kernel), short epochs: one line redrawn in place with
  '\\r', at most 10 times a second, the final state always drawn, then a newline::

      Epoch 37/100 [======>.............] 37% - 0.8s elapsed - ETA 1.4s - loss: 0.0123 - val_loss: 0.0234

* the same, long epochs: Keras's lines, the bar redrawn after each part (mid-epoch the time shown
  is the ETA of the epoch, at the end the epoch's run time)::

      Epoch 2/5
      12/40 ━━━━━━━━━━━━━━━━━━━━ 5s 176ms/step - loss: 0.1234

* while the first call of a fit compiles its program, the line says so (``Epoch 1/5 - compiling…``);
  compile time is never part of an ETA or of a time per step, and the epoch bar names it
  (``4.0s elapsed, 3.2s compiling``).

* verbose=1, stdout not a terminal (CI logs, pipes, files): the same text as plain lines, printed
  every 10% of the epochs or every 2 seconds, whichever comes first, plus the last epoch; a
  1000-epoch run prints about a dozen lines.
* verbose=2: exactly one line per epoch: ``Epoch 3/100 - 0.01s - loss: 0.1234 - val_loss: 0.2345``.
* evaluate (verbose 1 or 2): one final line ``4/4 - 0.02s - loss: 0.1234 - mae: 0.2345``;
  predict (verbose=1 only): ``4/4 - 0.02s``.

Values are formatted as Keras 3's progress bar formats them: 4 decimals ('0.1234'), or
scientific notation ('1.2340e-04') at or below 1e-3 (by absolute value with verbose=1, signed
with verbose=2, as Keras does).
"""

import shutil
import sys
import time

from lstmkit.callbacks.callback import Callback, _Console, print_msg

__all__ = ["ProgbarLogger", "format_value"]


def format_value(value, verbose=1):
    """A log value as Keras 3's progress bar prints it (verbose 1 or 2)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    large = abs(v) > 1e-3 if verbose == 1 else v > 1e-3
    return f"{v:.4f}" if large else f"{v:.4e}"


def format_duration(seconds):
    """'0.8s', '59.9s', '2m05s', '1h02m03s'."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    seconds = int(seconds)
    if seconds < 3600:
        minutes, secs = divmod(seconds, 60)
        return f"{minutes}m{secs:02d}s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s"


def _per_step(seconds):
    """' 52ms/step', as Keras 3 writes a time per step."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/step"
    return f" {seconds * 1e6:.0f}us/step"


def _is_dynamic(stream):
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return "ipykernel" in sys.modules


class ProgbarLogger(Callback):
    """Prints progress and metrics to stdout (added by `fit`/`evaluate` when `verbose != 0`).

    Args:
        verbose: 1 (progress line) or 2 (one line per epoch); None takes `fit`'s `verbose`.
    """

    _live_epochs = False  # output of replayed epochs is as good as live output
    _process_zero_only = True  # under a distribution over a cluster, only process 0 prints
    BAR_WIDTH = 20
    REDRAW_INTERVAL = 0.1  # seconds between in-place redraws on a terminal
    PLAIN_INTERVAL = 2.0  # seconds between plain lines when not on a terminal
    PLAIN_FRACTION_STEPS = 10  # plain lines at every 1/10 of the epochs
    _clock = staticmethod(time.perf_counter)

    def __init__(self, verbose=None):
        super().__init__()
        if verbose not in (None, "auto", 0, 1, 2):
            raise ValueError(f"ProgbarLogger(verbose=...) must be 0, 1, 2 or 'auto'; received {verbose!r}.")
        self._verbose_arg = None if verbose is None else (1 if verbose == "auto" else verbose)
        self.verbose = 1 if self._verbose_arg is None else self._verbose_arg
        self.epochs = 1
        self.target = None
        self._in_fit = False
        self._epoch_time = None
        self._reset_fit_state()

    def shows_steps(self):
        """Whether progress inside epochs is drawn now (fit, verbose=1, stdout a terminal)."""
        return self.verbose == 1 and self._in_fit and self._dynamic

    def set_params(self, params):
        super().set_params(params)
        params = params or {}
        if self._verbose_arg is None:
            verbose = params.get("verbose", 1)
            self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _set_epoch_time(self, seconds):
        self._epoch_time = None if seconds is None else float(seconds)

    def _reset_fit_state(self):
        now = self._clock()
        self._start = now
        self._last_end = now
        self._last_draw = None
        self._last_print = now
        self._last_bucket = None
        self._first_epoch = None
        self._state = None  # (epoch, logs) of the latest epoch
        self._drawn = False  # whether the latest state has been shown
        self._drawn_with_eta = False
        self._prev_width = 0
        self._dynamic = False
        self._compile_seconds = 0.0  # spent compiling during this fit's calls (kept out of the ETA)
        self._compile_start = None
        self._compile_told = 0.0
        self._compile_line = False  # compile seconds a header has already shown
        self._upcoming_epoch = 0  # the epoch the next compiled call starts in (set by the engine)
        self._steps_epoch = None  # the epoch whose in-epoch bar is on screen
        self._steps_start = None  # when that epoch's bar began
        self._run_time = None  # run seconds per epoch of the epochs about to be replayed

    # ----------------------------------------------------------------- fit
    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._epoch_time = None
        self._reset_fit_state()
        self._dynamic = _is_dynamic(sys.stdout)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        now = self._clock()
        if self._first_epoch is None:
            self._first_epoch = epoch
        if self.verbose >= 2:
            seconds = self._epoch_time if self._epoch_time is not None else now - self._last_end
            parts = [f"Epoch {epoch + 1}/{self.epochs}", f"{seconds:.2f}s"]
            parts += [f"{k}: {format_value(v, 2)}" for k, v in logs.items()]
            print_msg(" - ".join(parts))
        elif self.verbose == 1:
            self._state = (epoch, logs)
            self._drawn = False
            final = epoch + 1 >= self.epochs
            if self._dynamic and epoch == self._steps_epoch:
                self._finish_steps(epoch, logs)
            elif self._dynamic:
                if final or self._last_draw is None or now - self._last_draw >= self.REDRAW_INTERVAL:
                    self._redraw(now, with_eta=True)
            else:
                steps = self.PLAIN_FRACTION_STEPS
                total = max(self.epochs, 1)
                if self._last_bucket is None:
                    self._last_bucket = (epoch * steps) // total
                bucket = ((epoch + 1) * steps) // total
                if final or bucket > self._last_bucket or now - self._last_print >= self.PLAIN_INTERVAL:
                    self._print_plain(now)
                    self._last_bucket = bucket
        self._last_end = self._clock()

    def on_train_end(self, logs=None):
        if self.verbose == 1 and self._state is not None:
            now = self._clock()
            if self._dynamic:
                if not self._drawn or (self._drawn_with_eta and _Console.line_open):
                    self._redraw(now, with_eta=False)
                if _Console.line_open:
                    sys.stdout.write("\n")
                    sys.stdout.flush()
                    _Console.line_open = False
            elif not self._drawn:
                self._print_plain(now, with_eta=False)
        self._in_fit = False
        self._state = None

    # ----------------------------------------------------------------- in-epoch progress (engine hooks)
    def _set_run_time(self, seconds):
        self._run_time = None if seconds is None else float(seconds)

    def _compiling(self, started):
        """The engine's next call starts (True) or ends (False) compiling its program."""
        now = self._clock()
        if started:
            self._compile_start = now
            if self.shows_steps():
                self._write_line(f"Epoch {self._upcoming_epoch + 1}/{self.epochs} - compiling…", compile_line=True)
        elif self._compile_start is not None:
            self._compile_seconds += now - self._compile_start
            self._compile_start = None

    def _batch_progress(self, epoch, done, steps, logs, run_seconds):
        """Epoch `epoch` has run `done` of its `steps` batches in `run_seconds` (compiling left out)."""
        if not self.shows_steps():
            return
        if epoch != self._steps_epoch:
            self._steps_header(epoch)
        per_step = run_seconds / max(done, 1)
        self._write_line(self._steps_line(done, steps, f"{per_step * (steps - done):.0f}s", per_step, logs))

    def _steps_header(self, epoch):
        header = f"Epoch {epoch + 1}/{self.epochs}"
        if self._compile_seconds > self._compile_told:  # compiled since the last header said so
            header += f" - compiled in {format_duration(self._compile_seconds - self._compile_told)}"
            self._compile_told = self._compile_seconds
        if _Console.line_open and not self._compile_line:  # an epoch bar stays on screen
            sys.stdout.write("\n")
            _Console.line_open = False
        self._write_line(header)
        sys.stdout.write("\n")
        _Console.line_open = False
        self._prev_width = 0
        self._steps_epoch = epoch

    def _finish_steps(self, epoch, logs):
        steps = self.target or 1
        run = self._run_time if self._run_time is not None else 0.0
        self._write_line(self._steps_line(steps, steps, f"{run:.0f}s", run / steps, logs))
        sys.stdout.write("\n")
        sys.stdout.flush()
        _Console.line_open = False
        self._prev_width = 0
        self._steps_epoch = None
        self._drawn = True
        self._drawn_with_eta = False
        self._last_draw = self._clock()

    @staticmethod
    def _steps_line(done, steps, seconds, per_step, logs):
        """Keras 3's bar: (plain text, the same with Keras's colours)."""
        digits = len(str(steps))
        count = f"{done:>{digits}d}/{steps}"
        filled = (done * 20) // max(steps, 1)
        tail = f" {seconds}{_per_step(per_step)}" + "".join(f" - {k}: {format_value(v, 1)}" for k, v in logs.items())
        plain = f"{count} " + "━" * 20 + tail
        coloured = (f"\x1b[1m{count}\x1b[0m \x1b[32m{'━' * filled}\x1b[0m\x1b[37m{'━' * (20 - filled)}\x1b[0m"
                    f"\x1b[1m{tail[:len(seconds) + 1]}\x1b[0m{tail[len(seconds) + 1:]}")
        return plain, coloured

    def _write_line(self, line, compile_line=False):
        """Draw `line` (text, or (plain, coloured)) over the open line, cut to the terminal's width."""
        plain, coloured = (line, line) if isinstance(line, str) else line
        columns = shutil.get_terminal_size((120, 24)).columns
        if len(plain) > columns - 1 > 0:  # a wrapped line could not be redrawn in place
            coloured = coloured[: len(coloured) - (len(plain) - (columns - 1))] + "\x1b[0m"
            plain = plain[: columns - 1]
        pad = max(0, self._prev_width - len(plain)) if _Console.line_open else 0
        sys.stdout.write("\r" + coloured + " " * pad)
        sys.stdout.flush()
        _Console.line_open = True
        self._prev_width = len(plain)
        self._compile_line = compile_line  # the open line only says "compiling…" (a header replaces it)

    def _line(self, now, with_eta):
        epoch, logs = self._state
        pos, total = epoch + 1, self.epochs
        if total > 0:
            pos_c = min(pos, total)
            filled = (pos_c * self.BAR_WIDTH) // total
            percent = (pos_c * 100) // total
        else:
            filled, percent = self.BAR_WIDTH, 100
        bar = ("=" * (filled - 1) + (">" if percent < 100 else "=")) if filled > 0 else ""
        bar += "." * (self.BAR_WIDTH - filled)
        elapsed = now - self._start
        compiling = self._compile_seconds
        parts = [f"Epoch {pos}/{total} [{bar}] {percent}%", f"{format_duration(elapsed)} elapsed"
                 + (f", {format_duration(compiling)} compiling" if compiling > 0 else "")]
        eta_shown = False
        if with_eta and pos < total:
            done = pos - self._first_epoch
            if done > 0:
                parts.append(f"ETA {format_duration(max(0.0, elapsed - compiling) / done * (total - pos))}")
                eta_shown = True
        parts += [f"{k}: {format_value(v, 1)}" for k, v in logs.items()]
        return " - ".join(parts), eta_shown

    def _redraw(self, now, with_eta):
        line, eta_shown = self._line(now, with_eta)
        columns = shutil.get_terminal_size((120, 24)).columns
        if len(line) > columns - 1 > 0:
            line = line[: columns - 1]  # a wrapped line could not be redrawn in place
        pad = max(0, self._prev_width - len(line)) if _Console.line_open else 0
        sys.stdout.write("\r" + line + " " * pad)
        sys.stdout.flush()
        _Console.line_open = True
        self._compile_line = False
        self._prev_width = len(line)
        self._last_draw = now
        self._drawn = True
        self._drawn_with_eta = eta_shown

    def _print_plain(self, now, with_eta=True):
        line, _ = self._line(now, with_eta)
        print_msg(line)
        self._last_print = now
        self._drawn = True

    # ----------------------------------------------------------------- evaluate / predict
    def _steps_prefix(self):
        return [f"{self.target}/{self.target}"] if self.target else []

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._test_start = self._clock()

    def on_test_end(self, logs=None):
        if self._in_fit or not self.verbose:
            return
        seconds = self._clock() - getattr(self, "_test_start", self._clock())
        verbose = 1 if self.verbose == 1 else 2
        parts = self._steps_prefix() + [f"{seconds:.2f}s"]
        parts += [f"{k}: {format_value(v, verbose)}" for k, v in (logs or {}).items()]
        print_msg(" - ".join(parts))

    def on_predict_begin(self, logs=None):
        self._predict_start = self._clock()

    def on_predict_end(self, logs=None):
        if self.verbose != 1:
            return
        seconds = self._clock() - getattr(self, "_predict_start", self._clock())
        print_msg(" - ".join(self._steps_prefix() + [f"{seconds:.2f}s"]))
