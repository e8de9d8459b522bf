// sy_strbuf: appends never pass the buffer, a cut is marked "...", a full buffer stays full.

#include "core/strbuf.h"
#include "harness.h"

static void test_fits(void) {
    char buf[16];
    sy_strbuf sb;
    sy_strbuf_init(&sb, buf, sizeof buf);
    sy_strbuf_addf(&sb, "[%d", 12);
    sy_strbuf_addf(&sb, ",%s]", "ab");
    CHECK(strcmp(buf, "[12,ab]") == 0 && sb.used == 7 && !sb.cut);
}

static void test_cut(void) {
    char buf[12 + 4];
    memset(buf, 'Z', sizeof buf);
    sy_strbuf sb;
    sy_strbuf_init(&sb, buf, 12);
    sy_strbuf_addf(&sb, "%s", "0123456");
    sy_strbuf_addf(&sb, "%s", "789abcdef"); // 16 bytes in all: cut to 11 + NUL
    CHECK(sb.cut && sb.used == 11);
    CHECK(strcmp(buf, "01234567...") == 0);
    sy_strbuf_addf(&sb, "%s", "more"); // nothing more once cut
    CHECK(strcmp(buf, "01234567...") == 0);
    CHECK(buf[12] == 'Z' && buf[15] == 'Z'); // nothing written past the 12 bytes
}

static void test_tiny(void) {
    char one[1] = {'Z'}, two[2] = {'Z', 'Z'};
    sy_strbuf a, b, c;
    sy_strbuf_init(&a, one, 1);
    sy_strbuf_addf(&a, "abc");
    CHECK(one[0] == '\0' && a.cut);
    sy_strbuf_init(&b, two, 2);
    sy_strbuf_addf(&b, "abc");
    CHECK(two[1] == '\0' && b.cut);
    sy_strbuf_init(&c, NULL, 0); // size 0: never touches the buffer
    sy_strbuf_addf(&c, "abc");
    CHECK(c.used == 0);
}

int main(void) {
    RUN(test_fits);
    RUN(test_cut);
    RUN(test_tiny);
    return TEST_SUMMARY();
}
