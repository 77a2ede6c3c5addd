#!/usr/bin/env python3
"""Trains the tiny reference model (builtin:tiny) on make-data.mjs's samples.

A Llama-architecture decoder (transformers' LlamaForCausalLM from a config, random init from
--seed), trained with AdamW and a warmup + cosine learning-rate schedule over --total-minutes of
training (across sessions: a --resume session continues the schedule where the last one stopped).
Loss: cross-entropy on the answer tokens (gold answer + <|im_end|>) with weight 1 and on the prompt
tokens with weight --prompt-weight (the prompts repeat their questions, which teaches copying).
Curriculum by schedule progress: the longest prompt allowed grows from 1024 to --max-length tokens.
Batches hold samples of similar length (buckets of 256 tokens), --batch-tokens tokens each, right
padded, causal attention only (SDPA's flash path; padding never precedes a real token).

Data: DIR/shard-*.{bin,json} (read as they appear: make-data.mjs may still be writing), and
DIR/heldout.{bin,json}: the held-out set, scored every --eval-every seconds as exact match: greedy
decoding reproduces the gold answer exactly iff the argmax at every answer position (teacher
forced) is the gold token, so one forward pass per sample gives greedy exact match.

Output (--out): model/ (config.json, generation_config.json, model.safetensors in fp16, tokenizer
files), train-record.json (data, seeds, hyperparameters, steps, loss curve, held-out accuracy), and
the same written every --save-every seconds, so an interrupted run leaves a usable checkpoint.
--resume DIR reads DIR/model (weights; the optimizer moments restart, with a short warmup) and
DIR/train-record.json (step, minutes trained, curves).

    python3 scripts/train-tiny/train.py --data DATA --out OUT --minutes 7 --total-minutes 14 [--resume PREV]
"""
import argparse
import glob
import json
import math
import os
import random
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "tiny"))
    ap.add_argument("--resume", default=None, help="a previous --out folder")
    ap.add_argument("--minutes", type=float, default=7.0, help="training time of this session")
    ap.add_argument("--total-minutes", type=float, default=None, help="length of the schedule over all sessions (default --minutes)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in all (smoke tests)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=64)
    ap.add_argument("--intermediate", type=int, default=768)
    ap.add_argument("--rope-theta", type=float, default=500000.0)
    ap.add_argument("--max-position", type=int, default=16384)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.05)
    ap.add_argument("--warmup-steps", type=int, default=200)
    ap.add_argument("--resume-warmup-steps", type=int, default=50)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--batch-tokens", type=int, default=131072)
    ap.add_argument("--prompt-weight", type=float, default=0.1)
    ap.add_argument("--max-length", type=int, default=8192, help="longest prompt the curriculum reaches")
    ap.add_argument("--eval-every", type=float, default=60.0, help="seconds")
    ap.add_argument("--save-every", type=float, default=120.0, help="seconds")
    ap.add_argument("--log-every", type=int, default=20, help="steps")
    ap.add_argument("--no-tokenizer-copy", action="store_true", help="leave the tokenizer files out of OUT/model (they are models/tiny's)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return ap.parse_args()


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Data:
    """Samples of the shards present, bucketed by length (256-token buckets)."""

    def __init__(self, folder):
        self.folder = folder
        self.seen = set()
        self.samples = []  # (ids np.uint16, answerStart, entry, length)
        self.buckets = {}

    def refresh(self):
        for index in sorted(glob.glob(os.path.join(self.folder, "shard-*.json"))):
            if index in self.seen:
                continue
            self.seen.add(index)
            with open(index) as f:
                meta = json.load(f)["samples"]
            ids = np.fromfile(index[:-5] + ".bin", dtype=np.uint16)
            for m in meta:
                i = len(self.samples)
                self.samples.append((ids[m["offset"]:m["offset"] + m["tokens"]], m["answerStart"], m["entry"], m["length"]))
                self.buckets.setdefault(m["tokens"] // 256, []).append(i)
        return len(self.samples)


def load_heldout(folder):
    with open(os.path.join(folder, "heldout.json")) as f:
        meta = json.load(f)["samples"]
    ids = np.fromfile(os.path.join(folder, "heldout.bin"), dtype=np.uint16)
    return [dict(m, ids=ids[m["offset"]:m["offset"] + m["tokens"]]) for m in meta]


def make_batch(samples, device):
    width = max(len(s[0]) for s in samples)
    x = torch.zeros((len(samples), width), dtype=torch.long)
    w = torch.zeros((len(samples), width), dtype=torch.float32)
    for r, s in enumerate(samples):
        ids, start = s[0], s[1]
        x[r, : len(ids)] = torch.from_numpy(ids.astype(np.int64))
        # Weight of predicting token t (from position t-1).
        w[r, 1:start] = ARGS.prompt_weight
        w[r, start : len(ids)] = 1.0
    return x.to(device, non_blocking=True), w.to(device, non_blocking=True)


def weighted_loss(model, x, w):
    with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16, enabled=x.device.type == "cuda"):
        logits = model(input_ids=x).logits
    logits = logits[:, :-1].float()
    target = x[:, 1:]
    weight = w[:, 1:]
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none").view_as(target)
    answer = (weight == 1.0).float()
    return (nll * weight).sum() / weight.sum(), (nll * answer).sum() / answer.sum().clamp(min=1)


@torch.no_grad()
def evaluate(model, heldout, device):
    model.eval()
    per = {}
    for h in heldout:
        x = torch.from_numpy(h["ids"].astype(np.int64))[None].to(device)
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=device.startswith("cuda")):
            logits = model(input_ids=x).logits
        start = h["answerStart"]
        pred = logits[0, start - 1 : -1].argmax(-1)
        gold = x[0, start:]
        key = f"{h['task']}@{h['length']}" + ("" if not h["params"] else " " + json.dumps(h["params"], separators=(",", ":")))
        ok, n = per.get(key, (0, 0))
        per[key] = (ok + int(bool((pred == gold).all())), n + 1)
    model.train()
    return {k: round(ok / n, 4) for k, (ok, n) in per.items()}


def lr_at(step_in_session, progress, resumed):
    warm = ARGS.resume_warmup_steps if resumed else ARGS.warmup_steps
    scale = min(1.0, (step_in_session + 1) / warm)
    cosine = ARGS.min_lr_ratio + (1 - ARGS.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return ARGS.lr * scale * cosine


def max_prompt(progress):
    """Curriculum: prompts up to 1024 tokens first, then longer, reaching --max-length at 60%."""
    steps = [(0.08, 1024), (0.2, 2048), (0.4, 4096)]
    for edge, cap in steps:
        if progress < edge:
            return min(cap, ARGS.max_length)
    return ARGS.max_length if progress >= 0.6 else min(6144, ARGS.max_length)


def save(model, tok_dir, out, record):
    model_dir = os.path.join(out, "model")
    os.makedirs(model_dir, exist_ok=True)
    half = {k: v.detach().to(torch.float16).cpu() for k, v in model.state_dict().items()}
    model.save_pretrained(model_dir, state_dict=half, safe_serialization=True)
    cfg_path = os.path.join(model_dir, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg["torch_dtype"] = "float16"
    cfg["dtype"] = "float16"
    # transformers 4 reads rope_theta at the top level (5 reads rope_parameters).
    cfg["rope_theta"] = cfg.get("rope_parameters", {}).get("rope_theta", ARGS.rope_theta)
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2)
    for name in () if ARGS.no_tokenizer_copy else ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(tok_dir, name), os.path.join(model_dir, name))
    tmp = os.path.join(out, "train-record.json.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f, indent=1)
    os.replace(tmp, os.path.join(out, "train-record.json"))


def main():
    global ARGS
    ARGS = parse_args()
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    total_minutes = ARGS.total_minutes or ARGS.minutes
    device = ARGS.device
    random.seed(ARGS.seed)
    np.random.seed(ARGS.seed)
    torch.manual_seed(ARGS.seed)
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    record = None
    if ARGS.resume:
        with open(os.path.join(ARGS.resume, "train-record.json")) as f:
            record = json.load(f)
        model = LlamaForCausalLM.from_pretrained(os.path.join(ARGS.resume, "model"), torch_dtype=torch.float32, attn_implementation="sdpa")
        log(f"resumed from {ARGS.resume}: step {record['steps']}, {record['minutes']:.2f} min trained")
        # A new session draws fresh batches.
        random.seed(ARGS.seed + record["steps"])
    else:
        config = LlamaConfig(
            vocab_size=4096,
            hidden_size=ARGS.hidden,
            intermediate_size=ARGS.intermediate,
            num_hidden_layers=ARGS.layers,
            num_attention_heads=ARGS.heads,
            num_key_value_heads=ARGS.kv_heads,
            head_dim=ARGS.head_dim,
            max_position_embeddings=ARGS.max_position,
            rope_theta=ARGS.rope_theta,
            rms_norm_eps=1e-5,
            tie_word_embeddings=True,
            bos_token_id=None,
            eos_token_id=2,
            pad_token_id=0,
            attention_bias=False,
            mlp_bias=False,
            hidden_act="silu",
            initializer_range=0.02,
        )
        model = LlamaForCausalLM._from_config(config, attn_implementation="sdpa", torch_dtype=torch.float32)
        record = {
            "model": "builtin:tiny",
            "architecture": "LlamaForCausalLM",
            "parameters": sum(p.numel() for p in model.parameters()),
            "hyperparameters": {k: v for k, v in vars(ARGS).items() if k not in ("data", "out", "resume", "device", "tokenizer")},
            "sessions": [],
            "steps": 0,
            "minutes": 0.0,
            "tokens": 0,
            "loss": [],
            "heldout": [],
        }
        log(f"new model: {record['parameters'] / 1e6:.2f} M parameters")
    model.generation_config = GenerationConfig(eos_token_id=2, pad_token_id=0, do_sample=False)
    model.to(device)
    model.train()

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": ARGS.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=ARGS.lr, betas=(0.9, 0.95), eps=1e-8, fused=device.startswith("cuda"),
    )

    data = Data(ARGS.data)
    while data.refresh() == 0:
        log("waiting for the first shard")
        time.sleep(2)
    heldout = load_heldout(ARGS.data)
    make_data_meta = os.path.join(ARGS.data, "make-data.json")
    session = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "minutes": ARGS.minutes, "total_minutes": total_minutes,
               "resumed_from_step": record["steps"], "device": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu",
               "torch": torch.__version__,
               "args": {k: v for k, v in vars(ARGS).items() if k not in ("data", "out", "resume", "device", "tokenizer")}}
    if os.path.exists(make_data_meta):
        with open(make_data_meta) as f:
            session["data"] = json.load(f)
    record["sessions"].append(session)
    resumed = record["steps"] > 0
    minutes0 = record["minutes"]
    t0 = time.time()
    last_eval = last_save = t0
    step_in_session = 0
    acc_loss = acc_ans = 0.0
    acc_n = 0
    while True:
        elapsed = (time.time() - t0) / 60
        if elapsed >= ARGS.minutes or (ARGS.max_steps is not None and record["steps"] >= ARGS.max_steps):
            break
        progress = (minutes0 + elapsed) / total_minutes
        if step_in_session % 25 == 0:
            data.refresh()
        cap = max_prompt(progress)
        eligible = [b for b in data.buckets if b * 256 <= cap + 512]
        recent = [b for b in eligible if (b + 1) * 256 > cap // 2]
        # Half of the batches from the curriculum's newest lengths, half from all allowed.
        pool = recent if recent and random.random() < 0.5 else eligible
        bucket = random.choice(pool)
        members = data.buckets[bucket]
        per_batch = max(1, ARGS.batch_tokens // ((bucket + 1) * 256))
        batch = [data.samples[random.choice(members)] for _ in range(per_batch)]
        x, w = make_batch(batch, device)
        lr = lr_at(step_in_session, progress, resumed)
        for g in opt.param_groups:
            g["lr"] = lr
        loss, answer_loss = weighted_loss(model, x, w)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step_in_session += 1
        record["steps"] += 1
        record["tokens"] += int(x.numel())
        acc_loss += loss.detach()
        acc_ans += answer_loss.detach()
        acc_n += 1
        if record["steps"] % ARGS.log_every == 0:
            minutes = minutes0 + (time.time() - t0) / 60
            entry = {"step": record["steps"], "minutes": round(minutes, 3), "lr": lr, "loss": round(float(acc_loss) / acc_n, 4),
                     "answer_loss": round(float(acc_ans) / acc_n, 4), "max_prompt": cap, "samples_available": len(data.samples), "tokens": record["tokens"]}
            record["loss"].append(entry)
            log(json.dumps(entry))
            acc_loss = acc_ans = 0.0
            acc_n = 0
        now = time.time()
        if now - last_eval >= ARGS.eval_every:
            last_eval = now
            acc = evaluate(model, heldout, device)
            record["heldout"].append({"step": record["steps"], "minutes": round(minutes0 + (now - t0) / 60, 3), "exact_match": acc})
            log(f"held-out exact match: {json.dumps(acc)}")
        if now - last_save >= ARGS.save_every:
            last_save = now
            record["minutes"] = minutes0 + (now - t0) / 60
            save(model, ARGS.tokenizer, ARGS.out, record)
            log(f"checkpoint saved at step {record['steps']}")
    record["minutes"] = minutes0 + (time.time() - t0) / 60
    acc = evaluate(model, heldout, device)
    record["heldout"].append({"step": record["steps"], "minutes": round(record["minutes"], 3), "exact_match": acc})
    record["samples_seen_by_trainer"] = len(data.samples)
    log(f"final held-out exact match: {json.dumps(acc)}")
    save(model, ARGS.tokenizer, ARGS.out, record)
    log(f"saved {ARGS.out}/model after {record['steps']} steps, {record['minutes']:.2f} min, {record['tokens'] / 1e6:.1f} M tokens")


if __name__ == "__main__":
    main()
