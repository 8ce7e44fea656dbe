"""A sweep's output folder as pandas DataFrames.

    metrics, samples = load("out/default-sweep")

Reads the Parquet files (metrics/, samples/) with pyarrow where it is installed, else the CSV export that the
report job writes beside them (csv/metrics/, csv/samples/). Either way the frames have the same columns:
docs/parquet-schema.md's, with the samples' score map as one column per score, score_<name>. Set
VECINFER_SWEEP_FORMAT=csv to read the CSV even where pyarrow is installed.
"""
import glob
import os
import re

import pandas as pd

SCORE_PREFIX = "score_"
# datasets/passkey names its samples passkey-<context tokens>-d<depth percent>-<index>
PASSKEY_ID = re.compile(r"^passkey-\d+-d(\d{1,3})-\d+$")


def output_folder(default="../out/default-sweep"):
    """The folder to read: $VECINFER_SWEEP, else the default sweep's output as seen from notebooks/."""
    return os.environ.get("VECINFER_SWEEP", default)


def has_pyarrow():
    try:
        import pyarrow  # noqa: F401
        return True
    except ImportError:
        return False


def load(output):
    """(metrics, samples) of the output folder; says which folder and files are missing if they are."""
    if not os.path.isdir(output):
        raise FileNotFoundError(f"{output} is not a folder: give a sweep's output folder (its \"output\", or Evaluate's --output)")
    use_parquet = has_pyarrow() and os.environ.get("VECINFER_SWEEP_FORMAT", "") != "csv"
    if use_parquet:
        metrics = pd.read_parquet(os.path.join(output, "metrics"), partitioning=_partitioning("task"))
        samples = _flat_scores(pd.read_parquet(os.path.join(output, "samples"), partitioning=_partitioning("config_hash")))
    else:
        metrics = _read_csv(output, "metrics")
        samples = _read_csv(output, "samples")
    samples = samples.drop_duplicates(["config_hash", "sample_id"])
    return metrics, samples


def source(output):
    """What load() reads here: 'parquet' or 'csv'."""
    return "parquet" if has_pyarrow() and os.environ.get("VECINFER_SWEEP_FORMAT", "") != "csv" else "csv"


def _read_csv(output, name):
    files = sorted(glob.glob(os.path.join(output, "csv", name, "part-*.csv")))
    if not files:
        raise FileNotFoundError(f"no {os.path.join(output, 'csv', name, 'part-*.csv')}: run the report job on {output} "
                                "(spark-jobs/run-main.sh io.vecinfer.spark.Report OUTPUT) to write the CSV export")
    # Hashes and ids stay text: a config hash of digits only is not a number (and may start with 0).
    return pd.concat([pd.read_csv(f, dtype={"config_hash": str, "sample_id": str, "task": str}) for f in files], ignore_index=True)


def _partitioning(column):
    """The folder partition column (task=..., config_hash=...) as text, not a type guessed from its values."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    return ds.partitioning(pa.schema([(column, pa.string())]), flavor="hive")


def _flat_scores(samples):
    """The Parquet samples' scores map (a list of (name, value) pairs per row) as score_<name> columns, as in the CSV."""
    scores = pd.DataFrame([dict(s) for s in samples["scores"]], index=samples.index)
    scores.columns = [SCORE_PREFIX + c for c in scores.columns]
    return pd.concat([samples.drop(columns=["scores"]), scores[sorted(scores.columns)]], axis=1)


def model_name(metrics_or_samples):
    """The model's folder name, starred for a constructed variant (the outlier model), as the HTML report names it."""
    frame = metrics_or_samples
    short = frame["model"].str.replace(r".*/", "", regex=True)
    return short + frame["model_variant"].str.startswith("transformed").map({True: "*", False: ""})


def method_label(metrics):
    """The family, and for VecInfer the key transform it keeps where it does not keep both."""
    transform = metrics["key_transform"].fillna("both")
    return metrics["method_family"] + transform.map(lambda t: "" if t == "both" else f" ({t})")


def per_cell(metrics):
    """One row per cell: the per-cell columns (bytes, latency, throughput) without the per-score repetition."""
    return metrics.drop_duplicates("config_hash")


def plotted_scores(metrics):
    """The rows of scores worth plotting: all but the perplexity task's token count."""
    return metrics[metrics["score"] != "tokens"]


def passkey_depths(samples):
    """Passkey samples with their key depth in percent, from the sample id (-1 where the id has none)."""
    passkey = samples[samples["task"] == "passkey"].copy()
    passkey["depth_percent"] = passkey["sample_id"].map(lambda i: int(m.group(1)) if (m := PASSKEY_ID.match(i)) else -1)
    return passkey
