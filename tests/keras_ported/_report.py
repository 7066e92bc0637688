"""Refresh the table in tests/keras_ported/README.md: `python tests/keras_ported/_report.py [--write]`.

Runs the ported files (pytest -n 0, one process), counts passed / xfailed per file from a JUnit XML report,
reads each file's "Left out" list from its docstring (bullets `- <reason>: test_a, test_b ...`), and prints the
per-file table, the left-out reasons and the distinct xfail reasons with their counts. `--write` replaces the
part of README.md between the `<!-- report -->` markers.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KERAS_NAMES = {
    "test_lstm.py": "rnn/lstm_test.py", "test_gru.py": "rnn/gru_test.py", "test_simple_rnn.py": "rnn/simple_rnn_test.py",
    "test_rnn.py": "rnn/rnn_test.py", "test_stacked_rnn_cells.py": "rnn/stacked_rnn_cells_test.py",
    "test_dropout_rnn_cell.py": "rnn/dropout_rnn_cell_test.py", "test_bidirectional.py": "rnn/bidirectional_test.py",
    "test_time_distributed.py": "rnn/time_distributed_test.py", "test_dense.py": "core/dense_test.py",
    "test_embedding.py": "core/embedding_test.py", "test_masking.py": "core/masking_test.py",
    "test_input_layer.py": "core/input_layer_test.py", "test_lambda_layer.py": "core/lambda_layer_test.py",
    "test_repeat_vector.py": "reshaping/repeat_vector_test.py", "test_layer.py": "layer_test.py (custom-layer parts)",
    "test_einsum_dense.py": "core/einsum_dense_test.py", "test_reversible_embedding.py": "core/reversible_embedding_test.py",
    "test_identity.py": "core/identity_test.py", "test_wrapper.py": "core/wrapper_test.py",
    "test_batch_normalization.py": "normalization/batch_normalization_test.py",
    "test_layer_normalization.py": "normalization/layer_normalization_test.py",
    "test_conv.py": "convolutional/conv_test.py (Conv1D)", "test_max_pooling.py": "pooling/max_pooling_test.py",
    "test_average_pooling.py": "pooling/average_pooling_test.py",
    "test_global_max_pooling.py": "pooling/global_max_pooling_test.py",
    "test_global_average_pooling.py": "pooling/global_average_pooling_test.py",
    "test_spatial_dropout.py": "regularization/spatial_dropout_test.py",
    "test_up_sampling1d.py": "reshaping/up_sampling1d_test.py",
    "test_zero_padding1d.py": "reshaping/zero_padding1d_test.py", "test_cropping1d.py": "reshaping/cropping1d_test.py",
    "test_conv2d.py": "convolutional/conv_test.py (Conv2D, Conv3D)", "test_separable_conv.py": "convolutional/separable_conv_test.py",
    "test_depthwise_conv.py": "convolutional/depthwise_conv_test.py", "test_conv_transpose.py": "convolutional/conv_transpose_test.py",
    "test_max_pooling2d.py": "pooling/max_pooling_test.py (2-D)", "test_average_pooling2d.py": "pooling/average_pooling_test.py (2-D)",
    "test_global_max_pooling2d.py": "pooling/global_max_pooling_test.py (2-D)",
    "test_global_average_pooling2d.py": "pooling/global_average_pooling_test.py (2-D)",
    "test_up_sampling2d.py": "reshaping/up_sampling2d_test.py", "test_zero_padding2d.py": "reshaping/zero_padding2d_test.py",
    "test_cropping2d.py": "reshaping/cropping2d_test.py",
    "test_conv_lstm.py": "rnn/conv_lstm_test.py", "test_conv_lstm1d.py": "rnn/conv_lstm1d_test.py",
    "test_conv_lstm2d.py": "rnn/conv_lstm2d_test.py", "test_conv_lstm3d.py": "rnn/conv_lstm3d_test.py",
    "test_gaussian_noise.py": "regularization/gaussian_noise_test.py",
    "test_gaussian_dropout.py": "regularization/gaussian_dropout_test.py",
    "test_alpha_dropout.py": "regularization/alpha_dropout_test.py",
    "test_activity_regularization.py": "regularization/activity_regularization_test.py",
    "test_group_normalization.py": "normalization/group_normalization_test.py",
    "test_unit_normalization.py": "normalization/unit_normalization_test.py",
    "test_leaky_relu.py": "activations/leaky_relu_test.py", "test_prelu.py": "activations/prelu_test.py",
    "test_elu.py": "activations/elu_test.py", "test_relu.py": "activations/relu_test.py",
    "test_softmax.py": "activations/softmax_test.py", "test_permute.py": "reshaping/permute_test.py",
    "test_merging.py": "merging/merging_test.py (Dot)", "test_rescaling.py": "preprocessing/rescaling_test.py",
    "test_normalization.py": "preprocessing/normalization_test.py",
    "test_attention.py": "attention/attention_test.py", "test_additive_attention.py": "attention/additive_attention_test.py",
    "test_multi_head_attention.py": "attention/multi_head_attention_test.py",
    "test_timeseries_dataset_utils.py": "utils/timeseries_dataset_utils_test.py",
    "test_dataset_utils.py": "utils/dataset_utils_test.py",
    "test_backup_and_restore.py": "callbacks/backup_and_restore_test.py",
}


def left_out(path):
    doc = open(path).read().split('"""')[1]
    out = []  # (reason, test name)
    reason, buf = None, ""
    lines = doc.split("Left out", 1)[1].splitlines()[1:] if "Left out" in doc else []
    bullets = []
    for line in lines:
        if line.startswith("- "):
            bullets.append(line[2:])
        elif line.startswith("  ") and bullets:
            bullets[-1] += " " + line.strip()
        elif line.strip() and bullets:
            break
    for b in bullets:
        reason, _, names = b.partition(":")
        reason = re.sub(r"\s*\(out of scope\)", "", reason).strip()
        for n in dict.fromkeys(re.findall(r"\btest\w+", names)):
            out.append((reason, n))
    return out


def main():
    files = sorted(f for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))
    with tempfile.TemporaryDirectory() as tmp:
        xml = os.path.join(tmp, "r.xml")
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:randomly", HERE, "--junitxml", xml],
                       cwd=ROOT, capture_output=True, text=True)
        tree = ET.parse(xml)
    per_file = collections.OrderedDict((f, collections.Counter()) for f in files)
    reasons = collections.Counter()
    for tc in tree.iter("testcase"):
        parts = (tc.get("classname") or "").split(".")
        # classname is "tests.keras_ported.<module>.<Class>": match the module exactly
        # (test_layer is a prefix of test_layer_normalization).
        f = next((p + ".py" for p in parts if p + ".py" in files), "?")
        c = per_file.setdefault(f, collections.Counter())
        if tc.find("failure") is not None or tc.find("error") is not None:
            c["FAILED"] += 1
            continue
        s = tc.find("skipped")
        if s is not None:
            if (s.get("type") or "") == "pytest.xfail" or "xfail" in (s.get("type") or ""):
                c["xfailed"] += 1
                reasons[(s.get("message") or "").removeprefix("xfail").strip(" :")] += 1
            else:
                c["skipped"] += 1
            continue
        c["passed"] += 1
    lo_reasons = collections.Counter()
    rows = ["| ported file | Keras file | passed | xfailed | left out |", "|---|---|---:|---:|---:|"]
    tot = collections.Counter()
    for f in files:
        lo = left_out(os.path.join(HERE, f))
        for r, _ in lo:
            lo_reasons[r] += 1
        c = per_file[f]
        extra = "".join(f" **{c[k]} {k}**" for k in ("FAILED", "skipped") if c[k])
        rows.append(f"| {f} | {KERAS_NAMES.get(f, '?')} | {c['passed']} | {c['xfailed']}{extra} | {len(lo)} |")
        tot.update(c)
        tot["left out"] += len(lo)
    rows.append(f"| **total** | | **{tot['passed']}** | **{tot['xfailed']}** | **{tot['left out']}** |")
    text = ["Counts are pytest items (a parameterized Keras test gives one per case); \"left out\" counts Keras tests",
            "not ported, wholly or in part (see each file's docstring).", "", *rows, "",
            "Left out, by reason (tests):", ""]
    text += [f"- {r}: {n}" for r, n in lo_reasons.most_common()]
    text += ["", "Distinct xfail reasons (items):", "", "| items | reason |", "|---:|---|"]
    text += [f"| {n} | {r} |" for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))]
    # A reason "A; then B" names the first failing check (A) and what fails after it (B); count each cause.
    causes = collections.Counter()
    first = collections.Counter()
    for r, n in reasons.items():
        parts = [p.strip() for p in r.split("; then ")]
        first[parts[0]] += n
        for p in parts:
            causes[p] += n
    multi = {c: n for c, n in causes.items() if n != first.get(c, 0)}
    if multi:
        text += ["", "Causes named after a \"; then\" (items failing on them once the first cause is fixed):", ""]
        text += [f"- {n}: {c}" for c, n in sorted(multi.items(), key=lambda kv: -kv[1])]
    out = "\n".join(text)
    print(out)
    if "--write" in sys.argv:
        readme = os.path.join(HERE, "README.md")
        src = open(readme).read()
        a, b = "<!-- report -->", "<!-- /report -->"
        src = src[: src.index(a) + len(a)] + "\n" + out + "\n" + src[src.index(b):]
        open(readme, "w").write(src)


if __name__ == "__main__":
    main()
