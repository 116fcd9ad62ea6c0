/*
 * test_mail — core/mail.c: language choice, the templates, RFC 2047 encoded words, message
 * formatting (headers, 7bit / base64 bodies), refusal of header injection, and the SMTP DATA
 * framing (CRLF, dot-stuffing). Expected strings are worked out by hand in the comments
 * (base64 of the bytes involved, the weekday of a fixed time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mail.h"

/* 1700000000 s after the epoch is Tuesday 2023-11-14 22:13:20 UTC (19675 days = 2023-11-14;
 * 19675 mod 7 = 5 days after a Thursday: Tuesday; 80000 s = 22 h 13 min 20 s). */
#define FIXED_TIME ((time_t)1700000000)

/* An independent base64 decoder for checking bodies and encoded words. Returns the length. */
static size_t b64_decode(const char *in, size_t len, unsigned char *out)
{
	unsigned v = 0, bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		int d;
		if (c >= 'A' && c <= 'Z')
			d = c - 'A';
		else if (c >= 'a' && c <= 'z')
			d = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			d = c - '0' + 52;
		else if (c == '+')
			d = 62;
		else if (c == '/')
			d = 63;
		else
			continue; /* '=', CR, LF */
		v = v << 6 | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	return n;
}

/* Decodes every "=?UTF-8?B?...?=" word of a header value, concatenated, into out (NUL-ended). */
static void decode_words(const char *value, char *out)
{
	size_t n = 0;
	const char *p = value;
	while ((p = strstr(p, "=?UTF-8?B?"))) {
		p += 10;
		const char *end = strstr(p, "?=");
		assert_non_null(end);
		n += b64_decode(p, (size_t)(end - p), (unsigned char *)out + n);
		p = end + 2;
	}
	out[n] = '\0';
}

/* The header block of a formatted message: everything before the empty line. */
static char *headers_of(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");
	assert_non_null(end);
	return strndup(msg, (size_t)(end - msg) + 2);
}

/* Every line of text (CRLF-separated) is at most max characters long. */
static void assert_lines_within(const char *text, size_t max)
{
	const char *p = text;
	while (*p) {
		const char *e = strstr(p, "\r\n");
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > max)
			fail_msg("line longer than %zu: %.*s", max, (int)len, p);
		p += len + (e ? 2 : 0);
	}
}

/* ---- language and templates ------------------------------------------------------------- */

static void test_language(void **state)
{
	(void)state;
	assert_string_equal(mail_language("ja"), "ja");
	assert_string_equal(mail_language("ja-JP"), "ja");
	assert_string_equal(mail_language("zh"), "zh");
	assert_string_equal(mail_language("zh-Hans"), "zh");
	assert_string_equal(mail_language("ZH"), "zh");
	assert_string_equal(mail_language("en"), "en");
	assert_string_equal(mail_language("pt-BR"), "en"); /* no Portuguese text: English */
	assert_string_equal(mail_language("jav"), "en");   /* Javanese is not Japanese */
	assert_string_equal(mail_language(""), "en");
	assert_string_equal(mail_language(NULL), "en");
}

static void test_invitation_en(void **state)
{
	(void)state;
	struct buf subject = BUF_INIT, body = BUF_INIT;
	buf_init(&subject);
	buf_init(&body);
	const struct mail_vars v = { "Energy 2040", "Alice Aoki", "https://x.test/e/0123", 0 };
	mail_compose(MAIL_INVITATION, "en", &v, &subject, &body);
	assert_string_equal(subject.data, "Invitation to the Delphi survey \"Energy 2040\"");
	assert_non_null(strstr(body.data, "Dear Alice Aoki,\n"));
	assert_non_null(strstr(body.data, "\n\nhttps://x.test/e/0123\n\n"));
	assert_non_null(strstr(body.data, "\"Energy 2040\".\n\nYour personal link"));
	assert_null(strstr(body.data, "Round")); /* no round open: no round sentence */
	assert_non_null(strstr(body.data, "this one replaces it: the earlier link no\nlonger works"));
	assert_int_equal(body.data[body.len - 1], '\n');

	/* with round 1 open, its sentence follows the first paragraph */
	buf_reset(&subject);
	buf_reset(&body);
	const struct mail_vars v1 = { "Energy 2040", "Alice Aoki", "https://x.test/e/0123", 1 };
	mail_compose(MAIL_INVITATION, "en-GB", &v1, &subject, &body);
	assert_non_null(strstr(body.data, "\"Energy 2040\".\nRound 1 is open now.\n\nYour personal"));
	buf_release(&subject);
	buf_release(&body);
}

static void test_reminder_ja_zh(void **state)
{
	(void)state;
	struct buf subject = BUF_INIT, body = BUF_INIT;
	buf_init(&subject);
	buf_init(&body);
	const struct mail_vars v = { "エネルギー", "山田 花子", "https://x.test/e/ab", 2 };
	mail_compose(MAIL_REMINDER, "ja", &v, &subject, &body);
	assert_string_equal(subject.data,
			    "デルファイ調査「エネルギー」第2回 ご回答のお願い（リマインダー）");
	assert_true(!strncmp(body.data, "山田 花子 様\n\n", strlen("山田 花子 様\n\n")));
	assert_non_null(strstr(body.data, "\n\nhttps://x.test/e/ab\n\n"));
	assert_non_null(strstr(body.data, "以前お送りしたリンクに代わるもの"));

	buf_reset(&subject);
	buf_reset(&body);
	const struct mail_vars z = { "能源", "王伟", "https://x.test/e/cd", 2 };
	mail_compose(MAIL_REMINDER, "zh-Hans", &z, &subject, &body);
	assert_string_equal(subject.data, "提醒：德尔菲调查“能源”第2轮");
	assert_non_null(strstr(body.data, "王伟：\n"));
	assert_non_null(strstr(body.data, "https://x.test/e/cd"));
	assert_non_null(strstr(body.data, "之前的链接已失效"));

	/* a language without its own text gets English */
	buf_reset(&subject);
	buf_reset(&body);
	mail_compose(MAIL_REMINDER, "de", &z, &subject, &body);
	assert_string_equal(subject.data, "Reminder: Delphi survey \"能源\", round 2");
	assert_non_null(strstr(body.data, "This link replaces the one we sent you earlier"));
	buf_release(&subject);
	buf_release(&body);
}

/* Control characters in the survey title or the name never reach a subject or a body line. */
static void test_compose_strips_controls(void **state)
{
	(void)state;
	struct buf subject = BUF_INIT, body = BUF_INIT;
	buf_init(&subject);
	buf_init(&body);
	const struct mail_vars v = { "Title\r\nBcc: evil@x.test", "Eve\nX-Evil: 1", "https://l/e/1",
				     0 };
	mail_compose(MAIL_INVITATION, "en", &v, &subject, &body);
	assert_string_equal(subject.data,
			    "Invitation to the Delphi survey \"Title  Bcc: evil@x.test\"");
	assert_non_null(strstr(body.data, "Dear Eve X-Evil: 1,\n"));
	assert_null(strchr(subject.data, '\r'));
	buf_release(&subject);
	buf_release(&body);
}

/* ---- encoded words ----------------------------------------------------------------------- */

static void test_encode_words(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	buf_init(&out);
	/* "Hello" = 48 65 6c 6c 6f -> SGVs bG8= */
	mail_encode_words("Hello", 45, " ", &out);
	assert_string_equal(out.data, "=?UTF-8?B?SGVsbG8=?=");

	/* 日 = e6 97 a5 -> 111001 101001 011110 100101 = 57 41 30 37 = "5pel";
	 * 本 = e6 9c ac -> 111001 101001 110010 101100 = 57 41 50 44 = "5pys" */
	buf_reset(&out);
	mail_encode_words("日本", 45, "\r\n ", &out);
	assert_string_equal(out.data, "=?UTF-8?B?5pel5pys?=");

	/* 4 bytes per word hold one 3-byte character: two words, no character cut in two */
	buf_reset(&out);
	mail_encode_words("日本", 4, "\r\n ", &out);
	assert_string_equal(out.data, "=?UTF-8?B?5pel?=\r\n =?UTF-8?B?5pys?=");

	buf_reset(&out);
	mail_encode_words("", 45, " ", &out);
	assert_string_equal(out.data, "");
	buf_release(&out);
}

/* ---- mail_format ------------------------------------------------------------------------- */

static void test_format_ascii(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	char err[MAIL_ERR_MAX];
	buf_init(&out);
	const struct mail_message m = {
		.from_name = "Delphi Office",
		.from_addr = "office@delphi.test",
		.to_name = "Alice Aoki",
		.to_addr = "alice@example.org",
		.subject = "Hello",
		.body = "line one\nline two\n",
		.date = FIXED_TIME,
		.id_random = "abc123",
	};
	assert_int_equal(mail_format(&m, &out, err), 0);
	assert_string_equal(out.data, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
				      "From: Delphi Office <office@delphi.test>\r\n"
				      "To: Alice Aoki <alice@example.org>\r\n"
				      "Subject: Hello\r\n"
				      "Message-ID: <abc123@delphi.test>\r\n"
				      "MIME-Version: 1.0\r\n"
				      "Content-Type: text/plain; charset=utf-8\r\n"
				      "Content-Transfer-Encoding: 7bit\r\n"
				      "\r\n"
				      "line one\r\n"
				      "line two\r\n");
	buf_release(&out);
}

/* Names with specials go in a quoted string; names without one, bare addresses. */
static void test_format_names(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	char err[MAIL_ERR_MAX];
	buf_init(&out);
	const struct mail_message m = {
		.from_name = "",
		.from_addr = "office@delphi.test",
		.to_name = "Bob \"The Builder\", Jr.",
		.to_addr = "bob@example.org",
		.subject = "Hi",
		.body = "x",
		.date = FIXED_TIME,
		.id_random = "1",
	};
	assert_int_equal(mail_format(&m, &out, err), 0);
	assert_non_null(strstr(out.data, "\r\nFrom: office@delphi.test\r\n"));
	assert_non_null(strstr(out.data, "\r\nTo: \"Bob \\\"The Builder\\\", Jr.\" <bob@example.org>\r\n"));
	/* a body without a final newline gets one */
	assert_true(out.len >= 3 && !strcmp(out.data + out.len - 3, "x\r\n"));
	buf_release(&out);
}

static void test_format_utf8(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	char err[MAIL_ERR_MAX], decoded[4096];
	buf_init(&out);
	const char *subject = "デルファイ調査「エネルギーの未来2040」第2回 ご回答のお願い（リマインダー）";
	const struct mail_message m = {
		.from_name = "デルファイ事務局",
		.from_addr = "office@delphi.test",
		.to_name = "山田 花子",
		.to_addr = "hanako@example.jp",
		.subject = subject,
		.body = "山田 花子 様\n\nhttps://x.test/e/0123456789abcdef0123456789abcdef\n",
		.date = FIXED_TIME,
		.id_random = "r",
	};
	assert_int_equal(mail_format(&m, &out, err), 0);
	char *h = headers_of(out.data);
	assert_lines_within(h, 78);

	/* 山田 花子 = e5 b1 b1 e7 94 b0 20 e8 8a b1 e5 ad 90 (13 bytes, one word):
	 * e5b1b1 -> 5bGx, e794b0 -> 55Sw, 20e88a -> IOiK, b1e5ad -> seWt, 90 -> kA== */
	assert_non_null(strstr(h, "\r\nTo: =?UTF-8?B?5bGx55SwIOiKseWtkA==?=\r\n <hanako@example.jp>\r\n"));

	const char *s = strstr(h, "\r\nSubject: ");
	assert_non_null(s);
	const char *e = strstr(s + 2, "\r\nMessage-ID:");
	char *value = strndup(s + 11, (size_t)(e - s - 11));
	decode_words(value, decoded);
	assert_string_equal(decoded, subject);
	free(value);

	assert_non_null(strstr(h, "Content-Transfer-Encoding: base64\r\n"));
	const char *b = strstr(out.data, "\r\n\r\n") + 4;
	assert_lines_within(b, 76);
	size_t n = b64_decode(b, strlen(b), (unsigned char *)decoded);
	decoded[n] = '\0';
	assert_string_equal(decoded,
			    "山田 花子 様\r\n\r\nhttps://x.test/e/0123456789abcdef0123456789abcdef\r\n");
	free(h);
	buf_release(&out);
}

/* An ASCII body with a line longer than 998 bytes cannot go as 7bit. */
static void test_format_long_line(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	char err[MAIL_ERR_MAX], *body = malloc(1200);
	buf_init(&out);
	memset(body, 'a', 999);
	body[999] = '\0';
	const struct mail_message m = { "", "o@d.test", "", "t@d.test", "s", body, FIXED_TIME, "i" };
	assert_int_equal(mail_format(&m, &out, err), 0);
	assert_non_null(strstr(out.data, "Content-Transfer-Encoding: base64\r\n"));
	buf_reset(&out);
	body[998] = '\0'; /* 998 is still fine */
	assert_int_equal(mail_format(&m, &out, err), 0);
	assert_non_null(strstr(out.data, "Content-Transfer-Encoding: 7bit\r\n"));
	free(body);
	buf_release(&out);
}

/* No header injection: CR, LF or another control character in any header input is refused. */
static void test_format_refuses_injection(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	char err[MAIL_ERR_MAX];
	buf_init(&out);
	struct mail_message ok = { "Office", "office@delphi.test", "Alice", "alice@example.org",
				   "Subject", "body", FIXED_TIME, "id" };
	struct mail_message m;

	m = ok;
	m.subject = "Hello\r\nBcc: evil@x.test";
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.subject = "Hello\nBcc: evil@x.test";
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.to_name = "Alice\rBcc: evil@x.test";
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.from_name = "Office\x01";
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.to_addr = "alice@example.org\r\nBcc: evil@x.test";
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.to_addr = "alice@example.org>, <evil@x.test";
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.to_addr = "no-at-sign";
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.from_addr = "office@";
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.id_random = "a>b";
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.subject = "\xff\xfe"; /* not UTF-8 */
	assert_int_equal(mail_format(&m, &out, err), -1);
	m = ok;
	m.body = "bell\x07";
	assert_int_equal(mail_format(&m, &out, err), -1);

	buf_reset(&out);
	assert_int_equal(mail_format(&ok, &out, err), 0);
	buf_release(&out);
}

/* A subject that looks like an encoded word is encoded itself, so it reads as written. */
static void test_format_subject_lookalike(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	char err[MAIL_ERR_MAX];
	buf_init(&out);
	const struct mail_message m = { "", "o@d.test", "", "t@d.test", "=?UTF-8?B?SGk=?=", "b",
					FIXED_TIME, "i" };
	assert_int_equal(mail_format(&m, &out, err), 0);
	assert_null(strstr(out.data, "Subject: =?UTF-8?B?SGk=?=\r\n"));
	buf_release(&out);
}

/* ---- SMTP DATA --------------------------------------------------------------------------- */

static void test_smtp_data(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	buf_init(&out);
	/* a leading dot gets a second one; LF, CRLF and a lone CR all become CRLF */
	const char *in = ".hidden\nline\r\n..x\rend";
	mail_smtp_data(in, strlen(in), &out);
	assert_string_equal(out.data, "..hidden\r\nline\r\n...x\r\nend\r\n.\r\n");

	/* a line holding only "." must not end the data early */
	buf_reset(&out);
	mail_smtp_data("a\r\n.\r\nb\r\n", 9, &out);
	assert_string_equal(out.data, "a\r\n..\r\nb\r\n.\r\n");

	/* dots elsewhere stay as they are */
	buf_reset(&out);
	mail_smtp_data("a.b\r\n x.\r\n", 10, &out);
	assert_string_equal(out.data, "a.b\r\n x.\r\n.\r\n");

	buf_reset(&out);
	mail_smtp_data("", 0, &out);
	assert_string_equal(out.data, ".\r\n");
	buf_release(&out);
}

/* The whole chain: a composed, formatted message keeps its shape through the DATA framing. */
static void test_compose_format_data(void **state)
{
	(void)state;
	struct buf subject = BUF_INIT, body = BUF_INIT, msg = BUF_INIT, data = BUF_INIT;
	char err[MAIL_ERR_MAX];
	buf_init(&subject);
	buf_init(&body);
	buf_init(&msg);
	buf_init(&data);
	const struct mail_vars v = { "Energy", ".dotted name", "https://x.test/e/ff", 1 };
	mail_compose(MAIL_INVITATION, "en", &v, &subject, &body);
	const struct mail_message m = { "Office", "office@delphi.test", v.expert_name,
					"d@example.org", subject.data, body.data, FIXED_TIME, "x" };
	assert_int_equal(mail_format(&m, &msg, err), 0);
	mail_smtp_data(msg.data, msg.len, &data);
	/* the data ends with exactly one terminator and no bare LF is left */
	assert_true(data.len > 5 && !strcmp(data.data + data.len - 5, "\r\n.\r\n"));
	for (size_t i = 0; i < data.len; i++)
		if (data.data[i] == '\n')
			assert_int_equal(data.data[i - 1], '\r');
	assert_true(strstr(data.data, "\r\n.\r\n") == data.data + data.len - 5);
	buf_release(&subject);
	buf_release(&body);
	buf_release(&msg);
	buf_release(&data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_language),
		cmocka_unit_test(test_invitation_en),
		cmocka_unit_test(test_reminder_ja_zh),
		cmocka_unit_test(test_compose_strips_controls),
		cmocka_unit_test(test_encode_words),
		cmocka_unit_test(test_format_ascii),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_format_utf8),
		cmocka_unit_test(test_format_long_line),
		cmocka_unit_test(test_format_refuses_injection),
		cmocka_unit_test(test_format_subject_lookalike),
		cmocka_unit_test(test_smtp_data),
		cmocka_unit_test(test_compose_format_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
