#!/usr/bin/env python3
"""transformers peer of io.vecinfer.bench.TransformersParity: the logits of every prompt position, computed by
transformers on the GPU in the checkpoint's own dtype (bf16 for Llama 3, Qwen3 and the shipped model, fp16 for
Mistral, fp32 for Qwen2: the dtype our CUDA decoder's tensor-core projections round activations to), with SDPA
attention, for the family fixtures and the shipped model.

    python3 gpu-worker/scripts/transformers_parity_peer.py --out /tmp/parity-peer

Writes into --out, for the Java side to read:
  prompts.json            per model: name, checkpoint folder (relative to the repo), dtype, the prompts' token ids
  <name>.safetensors      logits.<p>: float32 [prompt length, vocab] of prompt p (the model's logits, widened)
Prompts are chosen here so both sides run the same ids: for the shipped model, BOS then the start of two held-out
documents tokenized by its tokenizer (HF tokenizers); for the fixtures (random weights, no tokenizer), uniform
random ids from a fixed seed. Lengths are not tile multiples, and leave room for 64 greedy tokens inside the
fixtures' 256 positions.
"""
import argparse
import json
import os
import random
import struct
import sys
import time

import numpy as np
import torch
import transformers

FIXTURES = "gpu-worker/src/test/resources/fixtures/tiny"
SHIPPED = "datasets/reference-model"
HELDOUT = "datasets/heldout/heldout.jsonl"
FIXTURE_LENGTHS = [180, 37]
SHIPPED_DOCUMENTS = [("moby-dick/chapter_126", 320), ("sotu/2013_barack_obama_d", 77)]
ATTENTION = "sdpa"
DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}


def save_float32(path, tensors):
    """A safetensors file of float32 arrays (the format is an 8-byte header length, a JSON header, the data)."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def config_of(folder):
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f)


def shipped_prompts(config):
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(os.path.join(SHIPPED, "tokenizer.json"))
    with open(HELDOUT) as f:
        documents = {d["id"]: d["text"] for d in map(json.loads, f)}
    prompts = []
    for doc, length in SHIPPED_DOCUMENTS:
        ids = tokenizer.encode(documents[doc], add_special_tokens=False).ids
        prompts.append([config["bos_token_id"]] + ids[:length - 1])
    return prompts


def fixture_prompts(arch, vocab):
    rng = random.Random(f"transformers-parity/{arch}")
    return [[rng.randrange(vocab) for _ in range(n)] for n in FIXTURE_LENGTHS]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    models = [(arch, os.path.join(FIXTURES, arch)) for arch in ["llama3", "mistral", "qwen2", "qwen3"]]
    models.append(("reference-model", SHIPPED))
    listing = {"transformers": transformers.__version__, "torch": torch.__version__,
               "device": torch.cuda.get_device_name(0), "attn_implementation": ATTENTION, "models": []}
    for name, folder in models:
        start = time.time()
        config = config_of(folder)
        dtype = config.get("dtype") or config.get("torch_dtype")
        prompts = shipped_prompts(config) if folder == SHIPPED else fixture_prompts(name, config["vocab_size"])
        model = transformers.AutoModelForCausalLM.from_pretrained(
            folder, dtype=DTYPES[dtype], attn_implementation=ATTENTION).to("cuda").eval()
        logits = {}
        with torch.inference_mode():
            for p, ids in enumerate(prompts):
                out = model(torch.tensor([ids], device="cuda")).logits[0]
                logits[f"logits.{p}"] = out.float().cpu().numpy()
        save_float32(os.path.join(args.out, f"{name}.safetensors"), logits)
        listing["models"].append({"name": name, "checkpoint": folder, "dtype": dtype,
                                  "logits_dtype": str(out.dtype).removeprefix("torch."), "prompts": prompts})
        print(f"{name}: {dtype}, prompts {[len(p) for p in prompts]}, {time.time() - start:.1f} s", file=sys.stderr)
        del model
        torch.cuda.empty_cache()
    with open(os.path.join(args.out, "prompts.json"), "w") as f:
        json.dump(listing, f)


if __name__ == "__main__":
    main()
