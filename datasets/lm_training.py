"""What the shipped models' training scripts share (reference-model/train.py, long-context-model/train.py): reading
JSON lines, tokenizing, the masked next-token loss, one optimizer step on a text + answer batch, the loss-curve row,
saving in Hugging Face format with the tokenizer config, and held-out perplexity over fixed windows."""
import json
import math
import os
import time

import torch
import torch.nn.functional as F

BOS, EOS = "<|begin_of_text|>", "<|end_of_text|>"
PPL_WINDOW = 2048


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def encode(tok, text):
    return tok.encode(text, add_special_tokens=False).ids


def masked_mean_nll(logits, x, mask):
    # logits[:, t] predicts x[:, t + 1]
    nll = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1),
                          reduction="none").view(x.shape[0], -1)
    m = mask[:, 1:]
    return (nll * m).sum() / m.sum().clamp(min=1.0)


def train_step(model, opt, sched, x, text_mask, ans_mask):
    """One step on a batch whose rows are scored on their text (text_mask) or their answer (ans_mask):
    loss = mean text loss + mean answer loss, bf16 autocast, gradients clipped to norm 1. Returns both losses."""
    with torch.autocast(x.device.type, dtype=torch.bfloat16):
        logits = model(x).logits
    text_loss = masked_mean_nll(logits, x, text_mask)
    ans_loss = masked_mean_nll(logits, x, ans_mask)
    loss = text_loss + ans_loss
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    return text_loss, ans_loss


def curve_row(step, length, text_loss, ans_loss, sched, t0):
    """The loss curve's row for this step, printed as it is logged."""
    row = {"step": step, "length": length, "text_loss": round(text_loss.item(), 4),
           "answer_loss": round(ans_loss.item(), 4), "lr": sched.get_last_lr()[0],
           "elapsed_s": round(time.time() - t0, 1)}
    print(json.dumps(row), flush=True)
    return row


def save_model(model, out, context):
    """The weights in bf16 (safetensors) and a tokenizer_config.json for a context of `context` tokens."""
    model.to(torch.bfloat16).save_pretrained(out, safe_serialization=True)
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": BOS, "eos_token": EOS,
                   "model_max_length": context, "clean_up_tokenization_spaces": False}, f, indent=2)


@torch.no_grad()
def heldout_perplexity(model, tok, heldout_text, device):
    """Perplexity over consecutive windows of PPL_WINDOW tokens, each after BOS: (perplexity, mean NLL of each
    window, tokens of the text)."""
    ids = encode(tok, heldout_text)
    bos = tok.token_to_id(BOS)
    windows = len(ids) // PPL_WINDOW
    per_window = []
    total = 0.0
    for w in range(windows):
        x = torch.tensor([[bos] + ids[w * PPL_WINDOW:(w + 1) * PPL_WINDOW]], device=device)
        logits = model(x).logits.float()
        nll = F.cross_entropy(logits[0, :-1], x[0, 1:], reduction="sum").item()
        per_window.append(nll / PPL_WINDOW)
        total += nll
    return math.exp(total / (windows * PPL_WINDOW)), per_window, len(ids)
