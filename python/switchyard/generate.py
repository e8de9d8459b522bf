"""Text generation from Python over the C generation API (include/switchyard/generate.h): the
same prefill/decode loop, sampler, stop conditions, chat templates and stats as
`switchyard generate` (docs/GENERATE.md).

    g = Generator("smollm2.syp", backends="portable")
    r = g.generate("The capital of France is", max_new_tokens=16)
    r.text, r.ids, r.stop_reason, r.stats["decode_tokens_per_s"]

A str prompt (or a list of chat messages) goes through sy_text_generate: encoded by the program's
tokenizer (metadata "tokenizer.json"), stop strings applied, text decoded as it streams. A list
of ints is token ids (sy_generator_generate; no tokenizer needed, no text out), like the CLI's
--ids.

Streaming: `on_token(id, piece)` is called for every generated token (piece: the text the token
completes as decoded, "" for part of a character, None for an id prompt); `on_text(chunk)` is
called with the text as `switchyard generate` prints it (stop strings held back and removed).
Either returning True stops the generation (stop reason "interrupted"); an exception inside one
(KeyboardInterrupt included) stops it too and is raised once the C call has returned.

How the per-token callback reaches the text layer: the C text generator sees its tokenizer
through a sy_text_codec (a vtable). This module hands it a copy of the program's codec whose
`decode` is a Python function that records the id, calls the real decode and then on_token; to
stop on a token it returns a non-zero status, which ends the C loop after that token (the
text layer's "the codec failed" path) and is recognised here as the user's stop.

A Generator is used by one thread at a time.
"""

import ctypes
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from . import _lib
from .errors import SwitchyardError, check
from .runtime import Program, Runtime
from .tokenizer import Tokenizer, id_array, utf8_bytes

_USER_STOP = 15  # status our codec's decode returns to stop the text layer (recognised by flag)
_FIND_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                            ctypes.POINTER(ctypes.c_int32))
# the end-of-turn token of each chat format (sy_chat_format), an EOS id in chat mode as in the CLI
_TURN_END = {1: "<|im_end|>", 2: "<|eot_id|>", 3: "</s>"}
_PIECE_CAP = 1024


@dataclass
class GenerationResult:
    """What one generate call produced. `text` is None for an id prompt. `ids` are the emitted
    tokens (an EOS that ended the generation is not one of them). `stats` has the keys of
    `switchyard generate --json` (ExecuTorch runner fields)."""
    text: Optional[str]
    ids: List[int]
    prompt_ids: List[int]
    stop_reason: str
    stats: Dict[str, Union[int, float, str]] = field(repr=False)


class _Call:
    """State of one generate call, seen by the C callbacks."""

    def __init__(self, on_token, on_text):
        self.on_token, self.on_text = on_token, on_text
        self.ids: List[int] = []
        self.pieces: List[bytes] = []   # every decoded piece (text mode)
        self.shown: List[bytes] = []    # what the text layer emitted (on_text)
        self.stopping = False           # the user asked to stop (or a callback raised)
        self.exc: Optional[BaseException] = None

    def ask(self, fn, *args) -> bool:
        """Calls a user callback; True when it wants to stop (or raised: kept for later)."""
        if fn is None or self.stopping:
            return self.stopping
        try:
            if fn(*args):
                self.stopping = True
        except BaseException as e:  # noqa: BLE001 - re-raised after the C call returns
            self.exc, self.stopping = e, True
        return self.stopping


def _stats_dict(s: _lib.GenerateStats) -> Dict[str, Union[int, float, str]]:
    return {
        "stop_reason": _lib.lib().sy_stop_reason_name(s.stop).decode(),
        "prompt_tokens": s.n_prompt, "prefilled_tokens": s.n_prefilled,
        "generated_tokens": s.n_generated, "decode_steps": s.n_decoded,
        "model_load_ms": s.load_ms, "ttft_ms": s.ttft_ms,
        "prefill_ms": s.prefill_ms, "prefill_tokens_per_s": s.prefill_tok_s,
        "decode_ms": s.decode_ms, "decode_tokens_per_s": s.decode_tok_s,
        "sampling_ms": s.sampling_ms, "peak_rss_kb": s.peak_rss_kb,
    }


def _int(name: str, v, lo: int, hi: int) -> int:
    """An integer parameter that must fit its C type (C checks the meaningful range)."""
    if isinstance(v, bool) or not isinstance(v, int):
        try:
            if float(v) != int(v):
                raise ValueError
            v = int(v)
        except (TypeError, ValueError, OverflowError):
            raise SwitchyardError("SY_ERR_INVALID_ARGUMENT", f"{name} {v!r} is not an integer") from None
    if not lo <= v <= hi:
        raise SwitchyardError("SY_ERR_INVALID_ARGUMENT", f"{name} {v} is out of range [{lo}, {hi}]")
    return v


def _float(name: str, v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        raise SwitchyardError("SY_ERR_INVALID_ARGUMENT", f"{name} {v!r} is not a number") from None


class Generator:
    """A decoder program ready to generate: forward(input_ids, cache_position) -> logits with its
    KV caches as states (what `switchyard convert`, `switchyard.export` and `switchyard demo`
    make).

    program_or_path: a switchyard.Program or a .syp path. backends, options, plugins, policy,
    config, rules: as for switchyard.Runtime. max_chunk: the prefill chunk size (0: the program's
    bound of T). The load time in the stats is the program load (for a path) plus the runtime's
    creation, measured here.
    """

    def __init__(self, program_or_path: Union[Program, str, os.PathLike],
                 backends: Union[str, Iterable[str], None] = None, options: Optional[Mapping] = None,
                 plugins: Iterable[str] = (), policy: Optional[str] = None, config: Optional[str] = None,
                 rules=(), max_chunk: int = 0):
        self._h = self._tg = None
        self._codec = None
        self._call: Optional[_Call] = None
        self._tokenizer = None
        self._last_text = False
        t0 = time.perf_counter()
        program = program_or_path
        if not isinstance(program, Program):
            program = Program.load(program)
        self.program = program
        self.runtime = Runtime(program, backends=backends, options=options, plugins=plugins,
                               policy=policy, config=config, rules=rules)
        opts = _lib.GeneratorOptions(load_ms=(time.perf_counter() - t0) * 1e3,
                                     max_chunk=_int("max_chunk", max_chunk, 0, 2 ** 62))
        h = ctypes.c_void_p()
        check(_lib.lib().sy_generator_create(program._h, self.runtime._h, ctypes.byref(opts),
                                             ctypes.byref(h)))
        self._h = h.value
        self._token_cb = _lib.TOKEN_FN(self._on_id)
        self._text_cb = _lib.TEXT_FN(self._on_text)

    def close(self) -> None:
        """Frees the C generator (also done when the object is collected)."""
        L = _lib.lib()
        if getattr(self, "_tg", None):
            L.sy_text_generator_destroy(self._tg)
            self._tg = None
        if getattr(self, "_codec", None) is not None:
            L.sy_text_codec_deinit(ctypes.byref(self._codec))
            self._codec = None
        if getattr(self, "_h", None):
            L.sy_generator_destroy(self._h)
            self._h = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- what the generator reads from the program ---

    @property
    def n_vocab(self) -> int:
        return int(_lib.lib().sy_generator_n_vocab(self._h))

    @property
    def n_ctx(self) -> int:
        """Cache positions."""
        return int(_lib.lib().sy_generator_n_ctx(self._h))

    @property
    def chunk(self) -> int:
        """Prefill chunk size."""
        return int(_lib.lib().sy_generator_chunk(self._h))

    @property
    def n_past(self) -> int:
        """Positions in use in the cache."""
        return int(_lib.lib().sy_generator_n_past(self._h))

    @property
    def tokens(self) -> List[int]:
        """The tokens in the cache, oldest first."""
        n = self.n_past
        p = _lib.lib().sy_generator_tokens(self._h)
        return p[:n] if n else []

    @property
    def tokenizer(self) -> Tokenizer:
        """The program's tokenizer (SwitchyardError SY_ERR_NOT_FOUND when it has none)."""
        if self._tokenizer is None:
            self._tokenizer = Tokenizer.from_program(self.program)
        return self._tokenizer

    def reset(self) -> None:
        """Zeroes the KV caches, forgets the cached tokens and the stats."""
        check(_lib.lib().sy_generator_reset(self._h))

    def stats(self) -> Dict[str, Union[int, float, str]]:
        """Stats of the last generate call (keys of `switchyard generate --json`)."""
        s = _lib.GenerateStats()
        if self._tg and self._last_text:
            check(_lib.lib().sy_text_generator_get_stats(self._tg, ctypes.byref(s)))
        else:
            check(_lib.lib().sy_generator_get_stats(self._h, ctypes.byref(s)))
        return _stats_dict(s)

    # --- C callbacks ---

    def _on_id(self, user, token):
        c = self._call
        c.ids.append(int(token))
        return 1 if c.ask(c.on_token, int(token), None) else 0

    def _on_text(self, user, ptr, n):
        c = self._call
        chunk = ctypes.string_at(ptr, n)
        c.shown.append(chunk)
        return 1 if c.ask(c.on_text, chunk.decode("utf-8", "replace")) else 0

    def _on_decode(self, user, token, buf, cap, n_out):
        st = self._real_decode(user, token, buf, cap, n_out)
        c = self._call
        if st != 0 or c is None:
            return st
        piece = ctypes.string_at(buf, n_out[0])
        c.ids.append(int(token))
        c.pieces.append(piece)
        return _USER_STOP if c.ask(c.on_token, int(token), piece.decode("utf-8", "replace")) else 0

    # --- text setup ---

    def _text_generator(self):
        """Creates (once) the codec and the text generator; SY_ERR_NOT_FOUND without a tokenizer."""
        if self._tg:
            return self._tg
        L = _lib.lib()
        codec = _lib.TextCodec()
        check(L.sy_text_codec_from_program(self.program._h, ctypes.byref(codec)))
        self._codec = codec
        self._real_decode = _lib.CODEC_DECODE_FN(codec.decode)
        self._real_flush = _lib.CODEC_FLUSH_FN(codec.flush)
        self._find = _FIND_FN(codec.find_token) if codec.find_token else None
        self._decode_cb = _lib.CODEC_DECODE_FN(self._on_decode)
        wrapped = _lib.TextCodec.from_buffer_copy(codec)
        wrapped.decode = ctypes.cast(self._decode_cb, ctypes.c_void_p).value
        wrapped.release = None  # the real codec is released by close()
        self._wrapped = wrapped
        tg = ctypes.c_void_p()
        check(L.sy_text_generator_create(self._h, ctypes.byref(wrapped), ctypes.byref(tg)))
        self._tg = tg.value
        return self._tg

    def _find_token(self, text: str) -> Optional[int]:
        if not self._find:
            return None
        data = text.encode()
        out = ctypes.c_int32()
        return int(out.value) if self._find(self._codec.user, data, len(data), ctypes.byref(out)) == 0 else None

    def render_chat(self, messages: Sequence[Mapping[str, str]], chat_template: Optional[str] = None):
        """The prompt the model sees for `messages` ([{"role", "content"}], the assistant header
        added) under the program's chat template (metadata "tokenizer.chat_template") or the
        family `chat_template` names ("chatml", "llama3", "llama2"). Returns (text, template)."""
        L = _lib.lib()
        tmpl = _lib.ChatTemplate()
        text = L.sy_program_get_metadata(self.program._h, b"tokenizer.chat_template")
        check(L.sy_chat_template_init(ctypes.byref(tmpl), text,
                                      chat_template.encode() if chat_template else None))
        keep = []
        arr = (_lib.ChatMessage * max(len(messages), 1))()
        for i, m in enumerate(messages):
            try:
                role, content = utf8_bytes(m["role"]), utf8_bytes(m["content"])
            except (KeyError, TypeError):
                raise SwitchyardError("SY_ERR_INVALID_ARGUMENT",
                                      f"chat message #{i} is not a {{'role': ..., 'content': ...}} mapping") from None
            keep += [role, content]
            arr[i].role, arr[i].content = role, content
        need = ctypes.c_size_t()
        st = L.sy_chat_render(ctypes.byref(tmpl), arr, len(messages), True, None, 0, ctypes.byref(need))
        if st != 9:  # SY_ERR_OUT_OF_RANGE: it only tells the length
            check(st)
        buf = ctypes.create_string_buffer(need.value + 1)
        check(L.sy_chat_render(ctypes.byref(tmpl), arr, len(messages), True, buf, need.value + 1,
                               ctypes.byref(need)))
        return buf.raw[:need.value], tmpl

    # --- generate ---

    def generate(self, prompt: Union[str, bytes, Sequence[int], Sequence[Mapping[str, str]]],
                 max_new_tokens: int = 128, temperature: float = 0.0, top_k: int = 0, top_p: float = 1.0,
                 min_p: float = 0.0, repeat_penalty: float = 1.0, repeat_window: int = 64, seed: int = 0,
                 stop: Sequence[str] = (), chat: bool = False, system: Optional[str] = None,
                 chat_template: Optional[str] = None, eos_ids: Optional[Sequence[int]] = None,
                 reuse_cache: bool = False, on_token: Optional[Callable] = None,
                 on_text: Optional[Callable[[str], Optional[bool]]] = None) -> GenerationResult:
        """Generates from `prompt`: text (str/bytes), token ids (a list of ints), or with chat=True
        a user message (str) or a list of messages. Sampling defaults to greedy (temperature 0);
        the parameters are those of `switchyard generate` (docs/GENERATE.md) and C checks them:
        a bad value raises SwitchyardError with C's message. eos_ids: None takes the tokenizer's
        EOS (and in chat mode the template's end-of-turn token) for text, none for ids (as the
        CLI's --ids). reuse_cache keeps the cached prefix the prompt shares (multi-turn).
        A prompt longer than the cache is refused (SY_ERR_OUT_OF_RANGE); generation that fills
        the cache ends with stop reason "cache_full"."""
        if self._call is not None:
            raise SwitchyardError("SY_ERR_INVALID_ARGUMENT", "generate: called again from one of its callbacks")
        gp = _lib.lib().sy_generate_default_params()
        gp.max_new_tokens = _int("max_new_tokens", max_new_tokens, -2 ** 63, 2 ** 63 - 1)
        s = gp.sampling
        s.temperature, s.top_p = _float("temperature", temperature), _float("top_p", top_p)
        s.min_p, s.repeat_penalty = _float("min_p", min_p), _float("repeat_penalty", repeat_penalty)
        s.top_k = _int("top_k", top_k, -2 ** 31, 2 ** 31 - 1)
        s.repeat_window = _int("repeat_window", repeat_window, -2 ** 31, 2 ** 31 - 1)
        s.seed = _int("seed", seed, 0, 2 ** 64 - 1)
        gp.sampling = s
        gp.reuse_cache = bool(reuse_cache)
        is_ids = not isinstance(prompt, (str, bytes, bytearray)) and not chat
        if is_ids and (stop or system is not None):
            raise SwitchyardError("SY_ERR_INVALID_ARGUMENT",
                                  "generate: a token-id prompt takes no stop strings or system message "
                                  "(they need text)")
        self._call = _Call(on_token, on_text)
        self._last_text = not is_ids
        try:
            if is_ids:
                return self._generate_ids(list(prompt), gp, eos_ids)
            return self._generate_text(prompt, gp, eos_ids, stop, chat, system, chat_template)
        finally:
            self._call = None

    def _generate_ids(self, prompt, gp, eos_ids) -> GenerationResult:
        L = _lib.lib()
        arr, n = id_array(prompt, "generate: prompt")
        eos, n_eos = id_array(eos_ids or [], "generate: EOS ids")
        gp.eos_ids, gp.n_eos = (eos, n_eos) if n_eos else (None, 0)
        st = L.sy_generator_generate(self._h, arr if n else None, n, ctypes.byref(gp), self._token_cb, None)
        c = self._call
        check(st)
        if c.exc is not None:
            raise c.exc
        s = _lib.GenerateStats()
        check(L.sy_generator_get_stats(self._h, ctypes.byref(s)))
        stats = _stats_dict(s)
        return GenerationResult(None, c.ids, self.tokens[:s.n_prompt], stats["stop_reason"], stats)

    def _generate_text(self, prompt, gp, eos_ids, stop, chat, system, chat_template) -> GenerationResult:
        L = _lib.lib()
        tg = self._text_generator()
        add_bos = True
        if chat:
            if isinstance(prompt, (str, bytes, bytearray)):
                messages = [{"role": "user", "content": prompt}]
            else:
                messages = list(prompt)
            if system is not None:
                messages.insert(0, {"role": "system", "content": system})
            data, tmpl = self.render_chat(messages, chat_template)
            add_bos = not tmpl.bos  # a template that writes BOS has it in the text
            if eos_ids is None:
                eos_ids = [self._codec.eos] if self._codec.eos >= 0 else []
                end = self._find_token(_TURN_END[tmpl.format]) if tmpl.format in _TURN_END else None
                if end is not None and end not in eos_ids:
                    eos_ids.append(end)
        else:
            data = utf8_bytes(prompt)
        tp = L.sy_text_default_params()
        eos, n_eos = id_array(eos_ids or [], "generate: EOS ids")
        if eos_ids is not None:
            gp.eos_ids, gp.n_eos = (eos, n_eos) if n_eos else (None, 0)
        tp.gen = gp
        if isinstance(stop, (str, bytes)):
            stop = [stop]
        stop = stop or ()
        stops = [utf8_bytes(x) for x in stop]
        stop_arr = (ctypes.c_char_p * max(len(stops), 1))(*stops)
        tp.stop, tp.n_stop = (stop_arr, len(stops)) if stops else (None, 0)
        tp.add_bos = add_bos
        st = L.sy_text_generate(tg, data, len(data), ctypes.byref(tp), self._text_cb, None)
        c = self._call
        stats = self.stats()
        if c.stopping and st == _USER_STOP and c.pieces:
            text = self._text_after_user_stop(c, stops)
            if text is None:
                text = b"".join(c.pieces)
            else:
                stats["stop_reason"] = "stop_string"
        else:
            check(st)
            text = b"".join(c.shown)
        if c.exc is not None:
            raise c.exc
        return GenerationResult(text.decode("utf-8", "replace"), c.ids, self.tokens[:stats["prompt_tokens"]],
                                stats["stop_reason"], stats)

    def _text_after_user_stop(self, c: _Call, stops: List[bytes]) -> Optional[bytes]:
        """The text layer ended at our codec's stop without showing its held text: take every
        piece plus the decoder's rest; cut at a stop string (returned) if the last piece made one."""
        rest = ctypes.create_string_buffer(_PIECE_CAP)
        n = ctypes.c_size_t()
        if self._real_flush(self._codec.user, rest, _PIECE_CAP, ctypes.byref(n)) == 0 and n.value:
            c.pieces.append(rest.raw[:n.value])
        full = b"".join(c.pieces)
        cuts = [full.find(s) for s in stops if full.find(s) >= 0]
        if cuts:
            return full[:min(cuts)]
        c.pieces = [full]
        return None
