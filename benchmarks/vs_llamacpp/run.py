#!/usr/bin/env python3
"""Switchyard vs llama.cpp, side by side on one machine, from one GGUF (README.md).

For every weight dtype (f32, q8_0, q4_0, q4_1) and thread count (1, 2): llama.cpp's llama-bench
on a llama-quantize'd GGUF and `switchyard bench` on the program `switchyard convert` makes from
the same f32 source, alternately (A B A B ...), --rounds rounds each; then a markdown table of
prefill and decode tokens/s: median, min, max, ratio, and decode as % of the read-bandwidth limit
(bytes of weights per token / bandwidth measured by sy-bwprobe in the same run).

Only the standard library; every tool is a path given on the command line (or found in the
build folder), nothing is downloaded.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DTYPES = ("f32", "q8_0", "q4_0", "q4_1")


def log(msg):
    print(f"[vs_llamacpp {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    log(" ".join(cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p.stdout


def probe_bandwidth(bwprobe):
    out = json.loads(run([bwprobe, "512", "--json"]))
    return {1: out["read_gbs_1t"], 2: out["read_gbs_2t"]}


def llama_round(a, gguf, threads):
    """One llama-bench run (-r 1): (prefill tok/s, decode tok/s)."""
    out = run([a.llama_bench, "-m", gguf, "-p", str(a.prompt_len), "-n", str(a.decode), "-t", str(threads),
               "-r", "1", "-o", "json"])
    pp = tg = None
    for e in json.loads(out):
        if e.get("n_prompt", 0) > 0 and e.get("n_gen", 0) == 0:
            pp = e["avg_ts"]
        elif e.get("n_gen", 0) > 0 and e.get("n_prompt", 0) == 0:
            tg = e["avg_ts"]
    return pp, tg


def switchyard_round(a, program, threads, tmp):
    """One `switchyard bench` run: (prefill tok/s, decode tok/s, constant bytes)."""
    out_json = os.path.join(tmp, "bench.json")
    cmd = [a.switchyard, "bench", program, "--backends", a.backends, "--prompt-len", str(a.prompt_len),
           "--decode", str(a.decode), "--iters", str(a.iters), "--warmup", "1", "--no-check", "--quiet",
           "--option", f"xnnpack.threads={threads}", "--json", out_json]
    for opt in a.option:
        cmd += ["--option", opt]
    run(cmd)
    with open(out_json) as f:
        doc = json.load(f)
    conf = doc["configurations"][0]
    if conf["status"] != "ok":
        raise RuntimeError(f"switchyard bench: configuration {conf['label']} {conf['status']}: {conf['reason']}")
    llm = conf["llm"]
    return llm["prefill_tokens_per_s"], llm["decode_tokens_per_s"], doc["program"]["constant_bytes"]


def prepare_models(a, work):
    """GGUFs for llama.cpp and programs for Switchyard per dtype, all from one f32 source."""
    f32_gguf = os.path.join(work, "src-f32.gguf")
    if not os.path.exists(f32_gguf):
        run([a.llama_quantize, "--allow-requantize", a.gguf, f32_gguf, "F32"])
    models = {}
    for dt in a.dtypes:
        gguf = f32_gguf if dt == "f32" else os.path.join(work, f"llama-{dt}.gguf")
        if not os.path.exists(gguf):
            run([a.llama_quantize, f32_gguf, gguf, dt.upper()])
        syp = os.path.join(work, f"switchyard-{dt}.syp")
        if not os.path.exists(syp):
            cmd = [a.switchyard, "convert", f32_gguf, "-o", syp, "--max-seq-len", str(a.prompt_len + a.decode),
                   "--logits", "last"]
            if dt in ("q8_0", "q4_0"):
                cmd += ["--requantize", dt]
            elif dt == "q4_1":  # our converter does not requantise to q4_1: it keeps llama.cpp's blocks
                cmd = [a.switchyard, "convert", gguf, "-o", syp, "--max-seq-len", str(a.prompt_len + a.decode),
                   "--logits", "last"]
            run(cmd)
        models[dt] = (gguf, syp)
    if a.random_program:
        models["f32 random 135M"] = (f32_gguf, a.random_program)
    return models


def summarise(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def fmt(s):
    return "—" if s is None else f"{s['median']:.1f} ({s['min']:.1f}–{s['max']:.1f})"


def table(results, bw):
    lines = [
        "| weights | threads | phase | llama.cpp tok/s median (min–max) | Switchyard tok/s median (min–max) "
        "| ratio | llama.cpp % of bw | Switchyard % of bw |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for phase in ("prefill", "decode"):
            L, S = r["llama"][phase], r["switchyard"][phase]
            ratio = f"{S['median'] / L['median']:.2f}×" if L and S else "—"
            pct_l = pct_s = "—"
            if phase == "decode":
                limit_l = bw[r["threads"]] * 1e9 / r["llama_bytes"]
                limit_s = bw[r["threads"]] * 1e9 / r["switchyard_bytes"] if r["switchyard_bytes"] else None
                pct_l = f"{100 * L['median'] / limit_l:.0f} %" if L else "—"
                pct_s = f"{100 * S['median'] / limit_s:.0f} %" if S and limit_s else "—"
            lines.append(f"| {r['dtype']} | {r['threads']} | {phase} | {fmt(L)} | {fmt(S)} | {ratio} | {pct_l} | {pct_s} |")
    return "\n".join(lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "..", "..", "build")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("llama_bench", help="path of a llama-bench binary (CPU build)")
    p.add_argument("gguf", help="the model: a GGUF (f32, f16 or quantised; it is dequantised to f32 first)")
    p.add_argument("--llama-quantize", help="llama-quantize binary (default: next to llama-bench)")
    p.add_argument("--switchyard", default=os.path.join(build, "tools", "switchyard"))
    p.add_argument("--bwprobe", default=os.path.join(build, "benchmarks", "vs_llamacpp", "sy-bwprobe"))
    p.add_argument("--backends", default="xnnpack,portable")
    p.add_argument("--option", action="append", default=[],
                   help="a backend option for switchyard bench, e.g. xnnpack.activations=q8 (repeatable)")
    p.add_argument("--dtypes", default=",".join(DTYPES),
                   help="subset of " + ",".join(DTYPES) + "; 'none' with --random-program runs only that")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=3, help="A B rounds per (dtype, threads), at least 3")
    p.add_argument("--prompt-len", type=int, default=128)
    p.add_argument("--decode", type=int, default=64)
    p.add_argument("--iters", type=int, default=1, help="switchyard bench repetitions per round")
    p.add_argument("--random-program", help="also a 135M-shape random f32 program (sy-genprog decoder_135m)")
    p.add_argument("--workdir", help="where converted models go (default: a temporary folder, removed)")
    p.add_argument("--out", default="-", help="markdown table file (default stdout)")
    p.add_argument("--json", help="every sample as JSON")
    a = p.parse_args()
    a.dtypes = [d for d in a.dtypes.split(",") if d and d != "none"]
    if not a.dtypes and not a.random_program:
        p.error("nothing to run: no --dtypes and no --random-program")
    bad = [d for d in a.dtypes if d not in DTYPES]
    if bad:
        p.error(f"unknown dtype(s) {bad}; expected some of {DTYPES}")
    a.threads = [int(t) for t in a.threads.split(",")]
    if any(t not in (1, 2) for t in a.threads):
        p.error("--threads takes 1 and/or 2 (the probe measures those)")
    if a.rounds < 3:
        p.error("--rounds must be at least 3")
    a.llama_quantize = a.llama_quantize or os.path.join(os.path.dirname(a.llama_bench), "llama-quantize")
    for tool in (a.llama_bench, a.llama_quantize, a.switchyard, a.bwprobe):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            p.error(f"not an executable: {tool}")
    if not os.path.isfile(a.gguf):
        p.error(f"no such GGUF: {a.gguf}")

    work = a.workdir or tempfile.mkdtemp(prefix="sy-vs-llamacpp-")
    os.makedirs(work, exist_ok=True)
    try:
        bw_start = probe_bandwidth(a.bwprobe)
        models = prepare_models(a, work)
        results = []
        for name, (gguf, syp) in models.items():
            for t in a.threads:
                r = {"dtype": name, "threads": t, "llama_samples": [], "switchyard_samples": [],
                     "llama_bytes": os.path.getsize(gguf), "switchyard_bytes": None}
                for rnd in range(a.rounds):  # A B A B: drifts in machine load hit both alike
                    r["llama_samples"].append(llama_round(a, gguf, t))
                    pp, tg, cb = switchyard_round(a, syp, t, work)
                    r["switchyard_samples"].append((pp, tg))
                    r["switchyard_bytes"] = cb
                    log(f"{name} t={t} round {rnd + 1}: llama {r['llama_samples'][-1]}, switchyard {(pp, tg)}")
                for who in ("llama", "switchyard"):
                    s = r[f"{who}_samples"]
                    r[who] = {"prefill": summarise([x[0] for x in s]), "decode": summarise([x[1] for x in s])}
                results.append(r)
        bw_end = probe_bandwidth(a.bwprobe)
        bw = {t: max(bw_start[t], bw_end[t]) for t in (1, 2)}
        head = (f"read bandwidth (sy-bwprobe, best of start/end of run): 1 thread {bw[1]:.1f} GB/s, "
                f"2 threads {bw[2]:.1f} GB/s (start {bw_start[1]:.1f}/{bw_start[2]:.1f}, end "
                f"{bw_end[1]:.1f}/{bw_end[2]:.1f}); prompt {a.prompt_len}, decode {a.decode}, {a.rounds} rounds, "
                f"load average at end {os.getloadavg()[0]:.1f}\n\n")
        md = head + table(results, bw) + "\n"
        if a.out == "-":
            sys.stdout.write(md)
        else:
            with open(a.out, "w") as f:
                f.write(md)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"bandwidth_gbs": bw, "results": results}, f, indent=1)
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
