#!/usr/bin/env python3
"""PyTorch baselines on the GPU host, for the engine's CUDA figures (run in the same command).

  gpu-torch-baseline.py [--lengths 4096,16384,65536,131072] [--shape qwen2.5-7b] [--json OUT]

1. Device copy bandwidth: a 4 GiB device-to-device copy, bytes read plus bytes written per second
   (the bound the engine's decode step is held to: weights and KV cache read once).
2. fp16 GEMM throughput (8192^3) through cuBLAS.
3. The same decoder stack as the engine's bench (random fp16 weights of the shape: fused QKV with
   bias, RoPE, causal scaled_dot_product_attention with grouped KV heads, o_proj, RMSNorm, SiLU MLP,
   vocabulary projection of the last position), prefill at each length, with the MLP over all rows
   at once, timed with CUDA events (median of 3 after a warm-up). This is the prefill baseline.
4. A dense decode step over an L-token cache (one token through every layer, SDPA over the cache):
   eager PyTorch, launch-bound; reported for context, not as a bound.
Nothing is downloaded; weights are random.
"""
import argparse
import json
import math
import statistics
import sys

import torch
import torch.nn.functional as F

SHAPES = {
    "qwen2.5-7b": dict(hidden=3584, layers=28, heads=28, kv=4, head_dim=128, mlp=18944, vocab=152064, bias=True, theta=1e6),
    "llama-3.1-8b": dict(hidden=4096, layers=32, heads=32, kv=8, head_dim=128, mlp=14336, vocab=128256, bias=False, theta=5e5),
}


def timed(fn, repeats=3, warmup=1):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times), times


def bandwidth():
    n = 4 << 30
    src = torch.randint(0, 255, (n,), dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms, _ = timed(lambda: dst.copy_(src), repeats=20, warmup=3)
    del src, dst
    torch.cuda.empty_cache()
    return 2 * n / (ms / 1000) / 1e9


def gemm_tflops(n=8192):
    a = torch.randn(n, n, dtype=torch.float16, device="cuda")
    b = torch.randn(n, n, dtype=torch.float16, device="cuda")
    ms, _ = timed(lambda: a @ b, repeats=20, warmup=3)
    return 2 * n**3 / (ms / 1000) / 1e12


class Stack:
    def __init__(self, s):
        self.s = s
        g = torch.Generator(device="cuda").manual_seed(0)
        d, kvd, qd = s["hidden"], s["kv"] * s["head_dim"], s["heads"] * s["head_dim"]

        def w(*shape):
            return (torch.randn(*shape, generator=g, device="cuda", dtype=torch.float16) * 0.02)

        self.embed = w(s["vocab"], d)
        self.head = w(d, s["vocab"])
        self.layers = []
        for _ in range(s["layers"]):
            self.layers.append(dict(
                n1=torch.ones(d, device="cuda", dtype=torch.float16), n2=torch.ones(d, device="cuda", dtype=torch.float16),
                qkv=w(d, qd + 2 * kvd), qkv_b=w(qd + 2 * kvd) if s["bias"] else None, o=w(qd, d),
                gate_up=w(d, 2 * s["mlp"]), down=w(s["mlp"], d)))
        self.final = torch.ones(d, device="cuda", dtype=torch.float16)

    def rope(self, positions):
        hd = self.s["head_dim"]
        inv = 1.0 / (self.s["theta"] ** (torch.arange(0, hd, 2, device="cuda", dtype=torch.float32) / hd))
        ang = positions.float()[:, None] * inv[None, :]
        return ang.cos().half(), ang.sin().half()

    @staticmethod
    def rotate(x, cos, sin):
        half = x.shape[-1] // 2
        x1, x2 = x[..., :half], x[..., half:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)

    @staticmethod
    def rms(x, gamma, eps=1e-6):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).half() * gamma

    def prefill(self, ids):
        s = self.s
        L = ids.shape[0]
        x = self.embed[ids]
        cos, sin = self.rope(torch.arange(L, device="cuda"))
        qd, kvd = s["heads"] * s["head_dim"], s["kv"] * s["head_dim"]
        for p in self.layers:
            h = self.rms(x, p["n1"])
            qkv = h @ p["qkv"]
            if p["qkv_b"] is not None:
                qkv = qkv + p["qkv_b"]
            q, k, v = qkv.split([qd, kvd, kvd], dim=-1)
            q = self.rotate(q.view(L, s["heads"], s["head_dim"]), cos[:, None], sin[:, None]).transpose(0, 1)[None]
            k = self.rotate(k.view(L, s["kv"], s["head_dim"]), cos[:, None], sin[:, None]).transpose(0, 1)[None]
            v = v.view(L, s["kv"], s["head_dim"]).transpose(0, 1)[None]
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
            x = x + a[0].transpose(0, 1).reshape(L, qd) @ p["o"]
            h = self.rms(x, p["n2"])
            gate, up = (h @ p["gate_up"]).split(s["mlp"], dim=-1)
            x = x + (F.silu(gate) * up) @ p["down"]
        return self.rms(x[-1:], self.final) @ self.head

    def decode_step(self, cache_k, cache_v):
        s = self.s
        x = self.embed[torch.tensor([1], device="cuda")]
        qd, kvd = s["heads"] * s["head_dim"], s["kv"] * s["head_dim"]
        for i, p in enumerate(self.layers):
            h = self.rms(x, p["n1"])
            qkv = h @ p["qkv"]
            q, k, v = qkv.split([qd, kvd, kvd], dim=-1)
            q = q.view(1, s["heads"], 1, s["head_dim"])
            a = F.scaled_dot_product_attention(q, cache_k[i], cache_v[i], enable_gqa=True)
            x = x + a.reshape(1, qd) @ p["o"]
            h = self.rms(x, p["n2"])
            gate, up = (h @ p["gate_up"]).split(s["mlp"], dim=-1)
            x = x + (F.silu(gate) * up) @ p["down"]
        return (self.rms(x, self.final) @ self.head).argmax()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lengths", default="4096,16384,65536,131072")
    ap.add_argument("--shape", default="qwen2.5-7b")
    ap.add_argument("--json")
    args = ap.parse_args()
    out = {"torch": torch.__version__, "device": torch.cuda.get_device_name(), "shape": args.shape}
    out["copyBandwidthGBs"] = round(bandwidth(), 1)
    out["gemmFp16Tflops8192"] = round(gemm_tflops(), 1)
    print(f"torch-baseline: copy {out['copyBandwidthGBs']} GB/s (read + write), fp16 GEMM {out['gemmFp16Tflops8192']} TFLOP/s", file=sys.stderr)
    s = SHAPES[args.shape]
    with torch.no_grad():
        stack = Stack(s)
        rows = []
        for L in [int(x) for x in args.lengths.split(",")]:
            ids = torch.randint(0, s["vocab"], (L,), device="cuda")
            ms, runs = timed(lambda: stack.prefill(ids), repeats=3, warmup=1)
            peak = torch.cuda.max_memory_allocated() / 2**30
            ck = [torch.randn(1, s["kv"], L, s["head_dim"], device="cuda", dtype=torch.float16) for _ in range(s["layers"])]
            cv = [torch.randn(1, s["kv"], L, s["head_dim"], device="cuda", dtype=torch.float16) for _ in range(s["layers"])]
            step_ms, _ = timed(lambda: stack.decode_step(ck, cv), repeats=10, warmup=2)
            del ck, cv
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            row = {"length": L, "prefillMs": round(ms, 1), "prefillRunsMs": [round(t, 1) for t in runs], "peakAllocatedGiB": round(peak, 1), "eagerDecodeStepMs": round(step_ms, 2)}
            rows.append(row)
            print(f"torch-baseline: {json.dumps(row)}", file=sys.stderr)
        out["rows"] = rows
    print(json.dumps(out, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
