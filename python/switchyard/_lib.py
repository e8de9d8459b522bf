"""ctypes declarations of the Switchyard C API (include/switchyard/switchyard.h, types.h).

The shared library is found, in this order, at:
  1. $SWITCHYARD_LIBRARY (a path to libswitchyard.so: a development build tree),
  2. $SWITCHYARD_BUILD_DIR/libswitchyard.so,
  3. libswitchyard.so inside this package (what `pip install .` puts there).
"""

import ctypes
import os
from pathlib import Path

MAX_RANK = 6
NO_VALUE = 0xFFFFFFFF

# sy_status
STATUS_NAMES = {
    0: "SY_OK", 1: "SY_ERR_INVALID_ARGUMENT", 2: "SY_ERR_OUT_OF_MEMORY", 3: "SY_ERR_IO",
    4: "SY_ERR_FORMAT", 5: "SY_ERR_UNSUPPORTED", 6: "SY_ERR_NOT_FOUND", 7: "SY_ERR_SHAPE",
    8: "SY_ERR_DTYPE", 9: "SY_ERR_OUT_OF_RANGE", 10: "SY_ERR_UNAVAILABLE", 11: "SY_ERR_DELEGATE",
    12: "SY_ERR_ABI", 13: "SY_ERR_CONFIG", 14: "SY_ERR_DEVICE", 15: "SY_ERR_INTERNAL",
}

# sy_dtype
DTYPE_F32, DTYPE_F16, DTYPE_BF16, DTYPE_I32, DTYPE_I64, DTYPE_U8, DTYPE_BOOL = 1, 2, 3, 4, 5, 6, 7
# block-quantised (GGUF layouts, docs/FORMAT.md): name -> (id, elements per block, bytes per block)
BLOCK_DTYPES = {"q8_0": (8, 32, 34), "q4_0": (9, 32, 18), "q4_1": (10, 32, 20)}
# sy_role
ROLE_INPUT, ROLE_OUTPUT, ROLE_CONSTANT, ROLE_STATE, ROLE_INTERMEDIATE = 1, 2, 3, 4, 5
# sy_attr_type
ATTR_INT, ATTR_FLOAT, ATTR_INTS, ATTR_STRING = 1, 2, 3, 4
# sy_rule_kind, sy_policy
RULE_PIN, RULE_FORBID = 1, 2
POLICY_FALLBACK, POLICY_STRICT = 0, 1


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_uint32),
                ("dims", ctypes.c_int64 * MAX_RANK)]


class _AttrValue(ctypes.Union):
    _fields_ = [("i", ctypes.c_int64), ("f", ctypes.c_float),
                ("ints", ctypes.POINTER(ctypes.c_int64)), ("s", ctypes.c_char_p)]


class Attr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("type", ctypes.c_int), ("n", ctypes.c_uint32),
                ("u", _AttrValue)]


class ValueDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("role", ctypes.c_int),
                ("rank", ctypes.c_uint32), ("dims", ctypes.c_int64 * MAX_RANK),
                ("sym", ctypes.c_int32 * MAX_RANK)]


class ValueInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("role", ctypes.c_int),
                ("rank", ctypes.c_uint32), ("dims", ctypes.c_int64 * MAX_RANK),
                ("sym", ctypes.c_int32 * MAX_RANK), ("data", ctypes.c_void_p),
                ("nbytes", ctypes.c_size_t)]


class NodeInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("op", ctypes.c_int), ("n_inputs", ctypes.c_uint32),
                ("n_outputs", ctypes.c_uint32), ("n_attrs", ctypes.c_uint32),
                ("inputs", ctypes.POINTER(ctypes.c_uint32)),
                ("outputs", ctypes.POINTER(ctypes.c_uint32)), ("attrs", ctypes.POINTER(Attr))]


class SymbolInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("max", ctypes.c_int64)]


class GraphView(ctypes.Structure):
    _fields_ = [("n_values", ctypes.c_uint32), ("n_nodes", ctypes.c_uint32),
                ("n_symbols", ctypes.c_uint32), ("values", ctypes.POINTER(ValueInfo)),
                ("nodes", ctypes.POINTER(NodeInfo)), ("symbols", ctypes.POINTER(SymbolInfo))]


class RuntimeStats(ctypes.Structure):
    _fields_ = [("n_partitions", ctypes.c_uint32), ("arena_bytes", ctypes.c_size_t),
                ("naive_bytes", ctypes.c_size_t), ("state_bytes", ctypes.c_size_t),
                ("last_copy_bytes", ctypes.c_size_t), ("packed_bytes", ctypes.c_size_t),
                ("n_executes", ctypes.c_uint64), ("last_device_copy_bytes", ctypes.c_size_t)]


# --- LLM structs (include/switchyard/generate.h, llm.h): field order and types as in C;
# tests/python/test_generate_py.py compiles the headers and compares sizes and offsets. ---

# sy_encode / sy_decode flags, sy_special_token
ENCODE_ADD_SPECIAL, ENCODE_SPLIT_SPECIAL, DECODE_SKIP_SPECIAL = 1, 2, 1
SPECIAL_BOS, SPECIAL_EOS, SPECIAL_PAD, SPECIAL_UNK = 1, 2, 3, 4
# sy_stop_reason
STOP_NONE, STOP_EOS, STOP_MAX_TOKENS, STOP_CACHE_FULL, STOP_CALLBACK, STOP_STRING = 0, 1, 2, 3, 4, 5

TOKEN_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int32)
TEXT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char), ctypes.c_size_t)
# sy_text_codec.decode: (user, id, buf, cap, n_out) -> sy_status
CODEC_DECODE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int32,
                                   ctypes.POINTER(ctypes.c_char), ctypes.c_size_t,
                                   ctypes.POINTER(ctypes.c_size_t))
# sy_text_codec.flush: (user, buf, cap, n_out) -> sy_status
CODEC_FLUSH_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char),
                                  ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t))


class SamplerParams(ctypes.Structure):
    _fields_ = [("temperature", ctypes.c_float), ("top_k", ctypes.c_int32), ("top_p", ctypes.c_float),
                ("min_p", ctypes.c_float), ("repeat_penalty", ctypes.c_float),
                ("repeat_window", ctypes.c_int32), ("seed", ctypes.c_uint64)]


class GeneratorOptions(ctypes.Structure):
    _fields_ = [("load_ms", ctypes.c_double), ("max_chunk", ctypes.c_int64),
                ("on_step", ctypes.c_void_p), ("step_user", ctypes.c_void_p)]


class GenerateStats(ctypes.Structure):
    _fields_ = [("load_ms", ctypes.c_double), ("ttft_ms", ctypes.c_double),
                ("prefill_ms", ctypes.c_double), ("decode_ms", ctypes.c_double),
                ("sampling_ms", ctypes.c_double), ("prefill_tok_s", ctypes.c_double),
                ("decode_tok_s", ctypes.c_double), ("n_prompt", ctypes.c_int64),
                ("n_prefilled", ctypes.c_int64), ("n_decoded", ctypes.c_int64),
                ("n_generated", ctypes.c_int64), ("peak_rss_kb", ctypes.c_long),
                ("stop", ctypes.c_int)]


class GenerateParams(ctypes.Structure):
    _fields_ = [("max_new_tokens", ctypes.c_int64), ("sampling", SamplerParams),
                ("eos_ids", ctypes.POINTER(ctypes.c_int32)), ("n_eos", ctypes.c_uint32),
                ("reuse_cache", ctypes.c_bool)]


class TextCodec(ctypes.Structure):
    # the callbacks are kept as plain pointers; generate.py calls or replaces them
    _fields_ = [("user", ctypes.c_void_p), ("n_vocab", ctypes.c_int64), ("bos", ctypes.c_int32),
                ("eos", ctypes.c_int32), ("encode", ctypes.c_void_p), ("decode", ctypes.c_void_p),
                ("flush", ctypes.c_void_p), ("release", ctypes.c_void_p),
                ("find_token", ctypes.c_void_p)]


class TextParams(ctypes.Structure):
    _fields_ = [("gen", GenerateParams), ("stop", ctypes.POINTER(ctypes.c_char_p)),
                ("n_stop", ctypes.c_uint32), ("add_bos", ctypes.c_bool),
                ("max_prompt_tokens", ctypes.c_size_t)]


class ChatMessage(ctypes.Structure):
    _fields_ = [("role", ctypes.c_char_p), ("content", ctypes.c_char_p)]


class ChatTemplate(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("default_system", ctypes.c_char * 1024),
                ("bos", ctypes.c_char * 32), ("eos", ctypes.c_char * 32)]


# (struct, its C name) for the layout test
LLM_STRUCTS = [(SamplerParams, "sy_sampler_params"), (GeneratorOptions, "sy_generator_options"),
               (GenerateStats, "sy_generate_stats"), (GenerateParams, "sy_generate_params"),
               (TextCodec, "sy_text_codec"), (TextParams, "sy_text_params"),
               (ChatMessage, "sy_chat_message"), (ChatTemplate, "sy_chat_template")]


def library_path() -> Path:
    """Where the shared library is loaded from (see the module docstring)."""
    env = os.environ.get("SWITCHYARD_LIBRARY")
    if env:
        return Path(env)
    build = os.environ.get("SWITCHYARD_BUILD_DIR")
    if build:
        return Path(build) / "libswitchyard.so"
    return Path(__file__).resolve().parent / "libswitchyard.so"


_P = ctypes.c_void_p
_u32p = ctypes.POINTER(ctypes.c_uint32)
_i64p = ctypes.POINTER(ctypes.c_int64)
_i32p = ctypes.POINTER(ctypes.c_int32)
_charp = ctypes.POINTER(ctypes.c_char)  # bytes that need not be NUL-terminated

# name: (restype, argtypes); restype int = sy_status
_SIGNATURES = {
    "sy_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "sy_last_error": (ctypes.c_char_p, []),
    "sy_op_name": (ctypes.c_char_p, [ctypes.c_int]),
    "sy_op_from_name": (ctypes.c_int, [ctypes.c_char_p]),
    "sy_dtype_name": (ctypes.c_char_p, [ctypes.c_int]),
    "sy_quantize_row": (ctypes.c_int, [ctypes.c_int, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]),
    "sy_graph_create": (ctypes.c_int, [ctypes.POINTER(_P)]),
    "sy_graph_destroy": (None, [_P]),
    "sy_graph_add_symbol": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int64, _u32p]),
    "sy_graph_add_value": (ctypes.c_int, [_P, ctypes.POINTER(ValueDesc), _u32p]),
    "sy_graph_add_constant": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint32,
                                             _i64p, ctypes.c_void_p, ctypes.c_size_t, _u32p]),
    "sy_graph_add_node": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int, _u32p, ctypes.c_uint32,
                                         _u32p, ctypes.c_uint32, ctypes.POINTER(Attr),
                                         ctypes.c_uint32, _u32p]),
    "sy_graph_add_op": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int, _u32p, ctypes.c_uint32,
                                       ctypes.POINTER(Attr), ctypes.c_uint32, _u32p]),
    "sy_graph_set_output": (ctypes.c_int, [_P, ctypes.c_uint32, ctypes.c_char_p]),
    "sy_graph_set_metadata": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "sy_graph_validate": (ctypes.c_int, [_P]),
    "sy_graph_save": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "sy_graph_get_view": (ctypes.POINTER(GraphView), [_P]),
    "sy_program_load": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_P)]),
    "sy_program_from_graph": (ctypes.c_int, [_P, ctypes.POINTER(_P)]),
    "sy_program_destroy": (None, [_P]),
    "sy_program_get_graph": (ctypes.POINTER(GraphView), [_P]),
    "sy_program_get_metadata": (ctypes.c_char_p, [_P, ctypes.c_char_p]),
    "sy_program_n_metadata": (ctypes.c_uint32, [_P]),
    "sy_program_get_metadata_at": (None, [_P, ctypes.c_uint32, ctypes.POINTER(ctypes.c_char_p),
                                          ctypes.POINTER(ctypes.c_char_p)]),
    "sy_config_create": (ctypes.c_int, [ctypes.POINTER(_P)]),
    "sy_config_destroy": (None, [_P]),
    "sy_config_load_file": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "sy_config_set_backends": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "sy_config_set_option": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]),
    "sy_config_add_rule": (ctypes.c_int, [_P, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p]),
    "sy_config_add_plugin": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "sy_config_set_policy": (None, [_P, ctypes.c_int]),
    "sy_config_apply_env": (ctypes.c_int, [_P]),
    "sy_config_get_backends": (ctypes.c_char_p, [_P]),
    "sy_runtime_create": (ctypes.c_int, [_P, _P, ctypes.POINTER(_P)]),
    "sy_runtime_destroy": (None, [_P]),
    "sy_runtime_set_input": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.POINTER(Tensor)]),
    "sy_runtime_execute": (ctypes.c_int, [_P]),
    "sy_runtime_get_output": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.POINTER(Tensor)]),
    "sy_runtime_read_state": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.POINTER(Tensor)]),
    "sy_runtime_reset_state": (ctypes.c_int, [_P]),
    "sy_runtime_get_stats": (ctypes.c_int, [_P, ctypes.POINTER(RuntimeStats)]),
    # llm.h: tokenizer
    "sy_tokenizer_create_from_json": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_P)]),
    "sy_tokenizer_create_from_program": (ctypes.c_int, [_P, ctypes.POINTER(_P)]),
    "sy_tokenizer_destroy": (None, [_P]),
    "sy_tokenizer_n_vocab": (ctypes.c_uint32, [_P]),
    "sy_tokenizer_token_text": (ctypes.c_int, [_P, ctypes.c_int32, ctypes.POINTER(_charp),
                                               ctypes.POINTER(ctypes.c_size_t)]),
    "sy_tokenizer_token_id": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_size_t, _i32p]),
    "sy_tokenizer_is_special": (ctypes.c_bool, [_P, ctypes.c_int32]),
    "sy_tokenizer_get_special": (ctypes.c_int, [_P, ctypes.c_int, _i32p]),
    "sy_tokenizer_set_special": (ctypes.c_int, [_P, ctypes.c_int, ctypes.c_int32]),
    "sy_tokenizer_encode": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32, _i32p,
                                           ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]),
    "sy_tokenizer_decode": (ctypes.c_int, [_P, _i32p, ctypes.c_size_t, ctypes.c_uint32, _charp,
                                           ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]),
    "sy_token_decoder_create": (ctypes.c_int, [_P, ctypes.c_uint32, ctypes.POINTER(_P)]),
    "sy_token_decoder_destroy": (None, [_P]),
    "sy_token_decoder_feed": (ctypes.c_int, [_P, ctypes.c_int32, ctypes.POINTER(_charp),
                                             ctypes.POINTER(ctypes.c_size_t)]),
    "sy_token_decoder_flush": (ctypes.c_int, [_P, ctypes.POINTER(_charp), ctypes.POINTER(ctypes.c_size_t)]),
    "sy_token_decoder_reset": (None, [_P]),
    # generate.h
    "sy_stop_reason_name": (ctypes.c_char_p, [ctypes.c_int]),
    "sy_sampler_default_params": (SamplerParams, []),
    "sy_sampler_params_check": (ctypes.c_int, [ctypes.POINTER(SamplerParams)]),
    "sy_generate_default_params": (GenerateParams, []),
    "sy_generator_create": (ctypes.c_int, [_P, _P, ctypes.POINTER(GeneratorOptions), ctypes.POINTER(_P)]),
    "sy_generator_destroy": (None, [_P]),
    "sy_generator_n_vocab": (ctypes.c_int64, [_P]),
    "sy_generator_n_ctx": (ctypes.c_int64, [_P]),
    "sy_generator_chunk": (ctypes.c_int64, [_P]),
    "sy_generator_n_past": (ctypes.c_int64, [_P]),
    "sy_generator_tokens": (_i32p, [_P]),
    "sy_generator_reset": (ctypes.c_int, [_P]),
    "sy_generator_generate": (ctypes.c_int, [_P, _i32p, ctypes.c_size_t, ctypes.POINTER(GenerateParams),
                                             TOKEN_FN, ctypes.c_void_p]),
    "sy_generator_get_stats": (ctypes.c_int, [_P, ctypes.POINTER(GenerateStats)]),
    "sy_text_codec_from_program": (ctypes.c_int, [_P, ctypes.POINTER(TextCodec)]),
    "sy_text_codec_deinit": (None, [ctypes.POINTER(TextCodec)]),
    "sy_text_default_params": (TextParams, []),
    "sy_text_generator_create": (ctypes.c_int, [_P, ctypes.POINTER(TextCodec), ctypes.POINTER(_P)]),
    "sy_text_generator_destroy": (None, [_P]),
    "sy_text_generate": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(TextParams),
                                        TEXT_FN, ctypes.c_void_p]),
    "sy_text_generator_get_stats": (ctypes.c_int, [_P, ctypes.POINTER(GenerateStats)]),
    "sy_chat_format_name": (ctypes.c_char_p, [ctypes.c_int]),
    "sy_chat_template_init": (ctypes.c_int, [ctypes.POINTER(ChatTemplate), ctypes.c_char_p, ctypes.c_char_p]),
    "sy_chat_render": (ctypes.c_int, [ctypes.POINTER(ChatTemplate), ctypes.POINTER(ChatMessage), ctypes.c_size_t,
                                      ctypes.c_bool, _charp, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]),
}

_lib = None


def lib() -> ctypes.CDLL:
    """The loaded library (loaded on first use)."""
    global _lib
    if _lib is None:
        path = library_path()
        if not path.exists():
            raise ImportError(
                f"switchyard: the shared library '{path}' does not exist; install the package with "
                f"`pip install .` or point SWITCHYARD_LIBRARY at a build tree's libswitchyard.so")
        handle = ctypes.CDLL(str(path))
        for name, (res, args) in _SIGNATURES.items():
            fn = getattr(handle, name)
            fn.restype = res
            fn.argtypes = args
        _lib = handle
    return _lib
