"""The C tokenizer (include/switchyard/llm.h) from Python: a Hugging Face tokenizer.json, given
directly or taken from a program's metadata, encoded and decoded exactly as `switchyard tokenize`
and `switchyard generate` do.

Text goes to C as UTF-8. A `str` is encoded with "surrogatepass", so a lone surrogate reaches C
as invalid UTF-8 and C's message (naming the byte offset) is what the SwitchyardError says;
`bytes` are passed unchanged. Every failure is a SwitchyardError carrying sy_last_error().
"""

import ctypes
import os
from typing import Iterable, List, Optional, Union

from . import _lib
from .errors import SwitchyardError, check

Text = Union[str, bytes]
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def utf8_bytes(text: Text) -> bytes:
    """`text` as the bytes handed to C (str: UTF-8 with lone surrogates kept, so C refuses them)."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    raise TypeError(f"text must be str or bytes, not {type(text).__name__}")


def id_array(ids: Iterable[int], what: str = "token ids"):
    """A C int32 array of `ids` (and its length). Ids that do not fit in int32 would wrap in
    ctypes, so they are refused here with SY_ERR_OUT_OF_RANGE; C checks the vocabulary bound."""
    ids = [int(i) for i in ids]
    for k, i in enumerate(ids):
        if not INT32_MIN <= i <= INT32_MAX:
            raise SwitchyardError("SY_ERR_OUT_OF_RANGE",
                                  f"{what}: id {i} at index {k} does not fit in a 32-bit token id")
    return (ctypes.c_int32 * max(len(ids), 1))(*ids), len(ids)


def _program_handle(program):
    from .runtime import Program
    if isinstance(program, (str, bytes, os.PathLike)):
        program = Program.load(program)
    if not isinstance(program, Program):
        raise TypeError(f"expected a switchyard.Program or a path, not {type(program).__name__}")
    return program


class Tokenizer:
    """A tokenizer in C. Immutable after creation (special ids aside), so encode/decode may run
    on several threads at once."""

    def __init__(self, handle: int, keep=None):
        self._h = handle
        self.program = keep  # the Program a from_program tokenizer came from (None for from_json)

    @classmethod
    def from_json(cls, text: Text) -> "Tokenizer":
        """Builds a tokenizer from a tokenizer.json document (str or bytes). SwitchyardError:
        SY_ERR_FORMAT (malformed), SY_ERR_UNSUPPORTED (a component C does not implement, named)."""
        data = utf8_bytes(text)
        h = ctypes.c_void_p()
        check(_lib.lib().sy_tokenizer_create_from_json(data, len(data), ctypes.byref(h)))
        return cls(h.value)

    @classmethod
    def from_program(cls, program) -> "Tokenizer":
        """The tokenizer of a program (a switchyard.Program or a .syp path): metadata
        "tokenizer.json", special ids overridden by "tokenizer.*_token_id". SY_ERR_NOT_FOUND
        naming the key when the program has none."""
        program = _program_handle(program)
        h = ctypes.c_void_p()
        check(_lib.lib().sy_tokenizer_create_from_program(program._h, ctypes.byref(h)))
        return cls(h.value, program)

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.lib().sy_tokenizer_destroy(self._h)
            self._h = None

    # --- vocabulary ---

    @property
    def n_vocab(self) -> int:
        """Number of ids (largest id + 1 over the vocabulary and the added tokens)."""
        return int(_lib.lib().sy_tokenizer_n_vocab(self._h))

    def __len__(self) -> int:
        return self.n_vocab

    def _special(self, which: int) -> Optional[int]:
        out = ctypes.c_int32()
        if _lib.lib().sy_tokenizer_get_special(self._h, which, ctypes.byref(out)) != 0:
            return None
        return int(out.value)

    @property
    def bos_id(self) -> Optional[int]:
        """The BOS id, or None when the tokenizer does not say."""
        return self._special(_lib.SPECIAL_BOS)

    @property
    def eos_id(self) -> Optional[int]:
        return self._special(_lib.SPECIAL_EOS)

    @property
    def pad_id(self) -> Optional[int]:
        return self._special(_lib.SPECIAL_PAD)

    @property
    def unk_id(self) -> Optional[int]:
        return self._special(_lib.SPECIAL_UNK)

    def token_text(self, id: int) -> str:
        """The vocabulary spelling of `id` ("Ġthe"). SY_ERR_OUT_OF_RANGE for a bad id."""
        (arr, _) = id_array([id])
        p, n = _lib._charp(), ctypes.c_size_t()
        check(_lib.lib().sy_tokenizer_token_text(self._h, arr[0], ctypes.byref(p), ctypes.byref(n)))
        return ctypes.string_at(p, n.value).decode("utf-8", "surrogateescape")

    def token_id(self, text: Text) -> int:
        """The id of the token spelled `text`. SY_ERR_NOT_FOUND when there is none."""
        data = utf8_bytes(text)
        out = ctypes.c_int32()
        check(_lib.lib().sy_tokenizer_token_id(self._h, data, len(data), ctypes.byref(out)))
        return int(out.value)

    def is_special(self, id: int) -> bool:
        """Whether `id` is a special added token (False for ids outside the vocabulary)."""
        if not INT32_MIN <= int(id) <= INT32_MAX:
            return False
        return bool(_lib.lib().sy_tokenizer_is_special(self._h, int(id)))

    # --- encode / decode ---

    def encode(self, text: Text, add_special: bool = False, split_special: bool = False) -> List[int]:
        """Token ids of `text`. add_special: the post-processor's tokens (BOS...);
        split_special: special-token text is plain text (for untrusted user input).
        SY_ERR_INVALID_ARGUMENT for invalid UTF-8 (the message names the offset)."""
        data = utf8_bytes(text)
        flags = (_lib.ENCODE_ADD_SPECIAL if add_special else 0) | \
                (_lib.ENCODE_SPLIT_SPECIAL if split_special else 0)
        L = _lib.lib()
        cap = len(data) + 8
        while True:
            buf = (ctypes.c_int32 * cap)()
            n = ctypes.c_size_t()
            check(L.sy_tokenizer_encode(self._h, data, len(data), flags, buf, cap, ctypes.byref(n)))
            if n.value <= cap:
                return buf[:n.value]
            cap = n.value

    def decode(self, ids: Iterable[int], skip_special: bool = False) -> str:
        """Text of `ids` (incomplete UTF-8 becomes U+FFFD). SY_ERR_OUT_OF_RANGE names a bad id."""
        arr, n = id_array(ids)
        flags = _lib.DECODE_SKIP_SPECIAL if skip_special else 0
        L = _lib.lib()
        cap = 16 * n + 16
        while True:
            buf = ctypes.create_string_buffer(cap)
            length = ctypes.c_size_t()
            check(L.sy_tokenizer_decode(self._h, arr, n, flags, buf, cap, ctypes.byref(length)))
            if length.value < cap:
                return buf.raw[:length.value].decode("utf-8")
            cap = length.value + 1

    def decoder(self, skip_special: bool = False) -> "TokenDecoder":
        """A streaming decoder: feed ids one at a time, get text once it is complete UTF-8."""
        return TokenDecoder(self, skip_special)


class TokenDecoder:
    """Streams ids to text (sy_token_decoder): feed() returns the characters each id completes,
    flush() what is left (an incomplete character as U+FFFD) and starts a new stream."""

    def __init__(self, tokenizer: Tokenizer, skip_special: bool = False):
        self.tokenizer = tokenizer  # must outlive the C decoder
        self._h = None
        h = ctypes.c_void_p()
        flags = _lib.DECODE_SKIP_SPECIAL if skip_special else 0
        check(_lib.lib().sy_token_decoder_create(tokenizer._h, flags, ctypes.byref(h)))
        self._h = h.value

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.lib().sy_token_decoder_destroy(self._h)
            self._h = None

    def feed(self, id: int) -> str:
        arr, _ = id_array([id])
        p, n = _lib._charp(), ctypes.c_size_t()
        check(_lib.lib().sy_token_decoder_feed(self._h, arr[0], ctypes.byref(p), ctypes.byref(n)))
        return ctypes.string_at(p, n.value).decode("utf-8") if n.value else ""

    def flush(self) -> str:
        p, n = _lib._charp(), ctypes.c_size_t()
        check(_lib.lib().sy_token_decoder_flush(self._h, ctypes.byref(p), ctypes.byref(n)))
        return ctypes.string_at(p, n.value).decode("utf-8") if n.value else ""

    def reset(self) -> None:
        _lib.lib().sy_token_decoder_reset(self._h)
