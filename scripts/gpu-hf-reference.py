#!/usr/bin/env python3
"""Reference outputs from Hugging Face transformers for the engine's checks (run on the GPU host).

  fixtures DIR OUT.json   tiny fixture checkpoints (written by the engine's tests, bit-identical):
                          fp32 logits at chosen positions and 8 greedy tokens, for CI's fixture.
  realwidth SHAPE DIR     a random-weight checkpoint of a real shape (from_config + save_pretrained,
                          a few layers at real width, fp16 weights) and transformers' greedy tokens
                          and logits (fp32 compute on the GPU) for 32 steps, into DIR.
  pretrained SRC OUT [PROMPT.json]
                          an existing local checkpoint (e.g. models/tiny; nothing downloaded) on a
                          real task prompt (the "promptIds" of PROMPT.json, by default
                          test/fixtures/tiny-niah-1k.json): the same files as realwidth, into OUT
                          (the checkpoint stays in SRC: gpu-compare SRC --reference OUT). On the CPU
                          when there is no GPU.
"""
import json
import os
import sys
import time

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

PROMPT = [256, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10, 84, 104, 101, 32, 118, 97, 108, 117, 101]
FIXTURE_STEPS = 8
FIXTURE_ROWS = [0, 7, 15, 23]


def greedy(model, prompt, steps, device):
    """Greedy decoding with full forwards (no cache): tokens and the logits that chose each."""
    ids = list(prompt)
    rows = []
    with torch.no_grad():
        for _ in range(steps):
            out = model(torch.tensor([ids], device=device)).logits[0, -1].float()
            rows.append(out.cpu())
            ids.append(int(out.argmax()))
    return ids[len(prompt):], rows


def fixtures(root, out_file):
    result = {"transformers": transformers.__version__, "torch": torch.__version__, "prompt": PROMPT, "families": {}}
    for family in ["llama", "mistral", "qwen2", "qwen3"]:
        path = f"{root}/{family}"
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager").eval()
        tokens, _ = greedy(model, PROMPT, FIXTURE_STEPS, "cpu")
        with torch.no_grad():
            full = model(torch.tensor([PROMPT + tokens[:-1]])).logits[0].float()
        positions = FIXTURE_ROWS + list(range(len(PROMPT), len(PROMPT) + FIXTURE_STEPS - 1))
        result["families"][family] = {
            "tokens": tokens,
            "rows": {str(p): [float(f"{v:.7g}") for v in full[p].tolist()] for p in positions},
        }
        print(f"fixtures: {family} tokens {tokens}", file=sys.stderr)
    with open(out_file, "w") as f:
        json.dump(result, f)


SHAPES = {
    "qwen2": dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], hidden_size=3584, intermediate_size=18944,
                  num_attention_heads=28, num_key_value_heads=4, vocab_size=152064, rope_theta=1000000.0,
                  max_position_embeddings=32768, rms_norm_eps=1e-6, tie_word_embeddings=False, use_sliding_window=False,
                  bos_token_id=151643, eos_token_id=151645),
    "llama": dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=4096, intermediate_size=14336,
                  num_attention_heads=32, num_key_value_heads=8, vocab_size=128256, rope_theta=500000.0,
                  max_position_embeddings=131072, rms_norm_eps=1e-5, tie_word_embeddings=False,
                  rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                    original_max_position_embeddings=8192),
                  bos_token_id=128000, eos_token_id=128009),
}


def realwidth(shape, out_dir, layers=4, prompt_len=200, steps=32):
    started = time.time()
    spec = dict(SHAPES[shape])
    model_type = spec.pop("model_type")
    cfg = AutoConfig.for_model(model_type, num_hidden_layers=layers, **spec)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float16)
    model.eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    model = model.float()  # exact fp16 weights, fp32 compute: the more accurate reference
    gen = torch.Generator().manual_seed(1)
    prompt = torch.randint(0, cfg.vocab_size, (prompt_len,), generator=gen).tolist()
    tokens, rows = greedy(model, prompt, steps, "cuda")
    torch.stack(rows).numpy().astype("float32").tofile(f"{out_dir}/hf_logits.f32")
    # The fp16 yardstick: transformers itself in fp16 on the same tokens (one full forward).
    model = model.half()
    with torch.no_grad():
        full = model(torch.tensor([prompt + tokens[:-1]], device="cuda")).logits[0, len(prompt) - 1:].float().cpu()
    full.numpy().astype("float32").tofile(f"{out_dir}/hf_logits_fp16.f32")
    with open(f"{out_dir}/hf_reference.json", "w") as f:
        json.dump({"transformers": transformers.__version__, "torch": torch.__version__, "shape": shape, "layers": layers,
                   "prompt": prompt, "tokens": tokens, "vocab": cfg.vocab_size, "seconds": time.time() - started}, f)
    print(f"realwidth {shape}: tokens {tokens[:8]}... in {time.time() - started:.1f} s", file=sys.stderr)


TINY_PROMPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "tiny-niah-1k.json")


def pretrained(src, out_dir, prompt_file=TINY_PROMPT, steps=32):
    started = time.time()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    os.makedirs(out_dir, exist_ok=True)
    with open(prompt_file) as f:
        fixture = json.load(f)
    prompt = [int(t) for t in fixture["promptIds"]]
    # The checkpoint's own fp16 weights, upcast exactly: fp32 compute as in realwidth.
    model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float16, local_files_only=True).to(device).eval()
    cfg = model.config
    model = model.float()
    tokens, rows = greedy(model, prompt, steps, device)
    torch.stack(rows).numpy().astype("float32").tofile(f"{out_dir}/hf_logits.f32")
    # The fp16 yardstick: transformers itself in fp16 on the same tokens (one full forward).
    model = model.half()
    with torch.no_grad():
        full = model(torch.tensor([prompt + tokens[:-1]], device=device)).logits[0, len(prompt) - 1:].float().cpu()
    full.numpy().astype("float32").tofile(f"{out_dir}/hf_logits_fp16.f32")
    # The prompt's ids came from the package's tokenizer: does transformers' tokenizer agree? (A note
    # only: the comparison itself is on the ids.)
    tokenizer_agrees = None
    if "text" in fixture and os.path.exists(os.path.join(src, "tokenizer.json")):
        try:
            tokenizer = AutoTokenizer.from_pretrained(src, local_files_only=True)
            tokenizer_agrees = tokenizer.encode(fixture["text"], add_special_tokens=False) == prompt
        except Exception as error:  # noqa: BLE001 - an older transformers may not read this tokenizer
            tokenizer_agrees = f"not checked: {error}"
    name = os.path.basename(os.path.normpath(src))
    with open(f"{out_dir}/hf_reference.json", "w") as f:
        json.dump({"transformers": transformers.__version__, "torch": torch.__version__, "shape": f"pretrained {name}",
                   "layers": cfg.num_hidden_layers, "device": device, "promptSource": fixture.get("sampleId", prompt_file),
                   "tokenizerAgrees": tokenizer_agrees, "prompt": prompt, "tokens": tokens, "vocab": cfg.vocab_size,
                   "seconds": time.time() - started}, f)
    print(f"pretrained {name} on {device}: {len(prompt)}-token prompt, tokens {tokens[:8]}..., "
          f"tokenizer agrees: {tokenizer_agrees}, in {time.time() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "fixtures":
        fixtures(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "realwidth":
        realwidth(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "pretrained" and len(sys.argv) in (4, 5):
        pretrained(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)
