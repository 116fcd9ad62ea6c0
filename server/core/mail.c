/*
 * mail — invitation and reminder texts, RFC 5322 / 2047 formatting and SMTP DATA framing. See
 * mail.h for the contract.
 *
 * Templates hold placeholders in braces: {name}, {title}, {link}, {round} and {round_line} (the
 * language's "round N is open now" sentence with its newline when a round is open, else
 * nothing). Texts are kept within 72 columns where the language has spaces to break at.
 */
#include "mail.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAIL_LINE_MAX 78     /* RFC 5322 2.1.1: lines SHOULD be at most 78 characters */
#define MAIL_BODY_LINE 998   /* ... and MUST be at most 998 */
#define MAIL_WORD_BYTES 36   /* text bytes per encoded word: 48 base64 chars, a 60-char word */
#define MAIL_B64_LINE 76     /* RFC 2045 6.8 */

enum { LANG_EN, LANG_JA, LANG_ZH, N_LANGS };
static const char *const lang_codes[N_LANGS] = { "en", "ja", "zh" };

struct template {
	const char *subject;
	const char *body;
	const char *round_line; /* {round_line} when a round is open */
};

static const struct template templates[2][N_LANGS] = {
	[MAIL_INVITATION] = {
		[LANG_EN] = {
			"Invitation to the Delphi survey \"{title}\"",
			"Dear {name},\n"
			"\n"
			"You are invited to take part as an expert in the Delphi survey\n"
			"\"{title}\".\n"
			"{round_line}"
			"\n"
			"Your personal link to the survey:\n"
			"\n"
			"{link}\n"
			"\n"
			"The link is yours alone: please do not forward it. It opens the survey\n"
			"without a password, so anyone who has it can answer in your name.\n"
			"\n"
			"If we sent you a link before, this one replaces it: the earlier link no\n"
			"longer works.\n"
			"\n"
			"Thank you for your time.\n",
			"Round {round} is open now.\n",
		},
		[LANG_JA] = {
			"デルファイ調査「{title}」へのご協力のお願い",
			"{name} 様\n"
			"\n"
			"デルファイ調査「{title}」に、専門家としてご参加いただきたく、ご案内申し上げます。\n"
			"{round_line}"
			"\n"
			"以下はあなた専用の回答用リンクです。\n"
			"\n"
			"{link}\n"
			"\n"
			"このリンクはパスワードなしで調査画面を開きます。リンクを知っている人は誰でも"
			"あなたの名前で回答できるため、他の方には転送しないでください。\n"
			"\n"
			"以前にリンクをお送りしている場合は、このリンクがそれに代わります。"
			"以前のリンクは使えなくなりました。\n"
			"\n"
			"ご協力のほど、よろしくお願い申し上げます。\n",
			"現在、第{round}回調査を実施しています。\n",
		},
		[LANG_ZH] = {
			"邀请参加德尔菲调查“{title}”",
			"{name}：\n"
			"\n"
			"您好！诚挚邀请您以专家身份参加德尔菲调查“{title}”。\n"
			"{round_line}"
			"\n"
			"以下是您的个人专属链接：\n"
			"\n"
			"{link}\n"
			"\n"
			"此链接无需密码即可打开调查，任何持有该链接的人都能以您的名义作答，"
			"请勿转发给他人。\n"
			"\n"
			"如果我们此前曾向您发送过链接，此链接将取而代之，之前的链接已失效。\n"
			"\n"
			"感谢您的支持！\n",
			"第{round}轮调查现已开始。\n",
		},
	},
	[MAIL_REMINDER] = {
		[LANG_EN] = {
			"Reminder: Delphi survey \"{title}\", round {round}",
			"Dear {name},\n"
			"\n"
			"Round {round} of the Delphi survey \"{title}\" is open, and we have\n"
			"not received your answers yet. We would be glad to have your view.\n"
			"\n"
			"Your personal link to the survey:\n"
			"\n"
			"{link}\n"
			"\n"
			"This link replaces the one we sent you earlier: the earlier link no\n"
			"longer works. The link is yours alone: please do not forward it. It\n"
			"opens the survey without a password, so anyone who has it can answer\n"
			"in your name.\n"
			"\n"
			"Thank you for your time.\n",
			"",
		},
		[LANG_JA] = {
			"デルファイ調査「{title}」第{round}回 ご回答のお願い（リマインダー）",
			"{name} 様\n"
			"\n"
			"デルファイ調査「{title}」の第{round}回調査を実施しておりますが、"
			"まだご回答をいただいておりません。ぜひご意見をお寄せください。\n"
			"\n"
			"以下はあなた専用の回答用リンクです。\n"
			"\n"
			"{link}\n"
			"\n"
			"このリンクは以前お送りしたリンクに代わるものです。以前のリンクは使えなく"
			"なりました。\n"
			"このリンクはパスワードなしで調査画面を開きます。リンクを知っている人は誰でも"
			"あなたの名前で回答できるため、他の方には転送しないでください。\n"
			"\n"
			"ご協力のほど、よろしくお願い申し上げます。\n",
			"",
		},
		[LANG_ZH] = {
			"提醒：德尔菲调查“{title}”第{round}轮",
			"{name}：\n"
			"\n"
			"您好！德尔菲调查“{title}”第{round}轮正在进行中，我们尚未收到您的回答，"
			"诚盼您拨冗作答。\n"
			"\n"
			"以下是您的个人专属链接：\n"
			"\n"
			"{link}\n"
			"\n"
			"此链接取代我们之前发送给您的链接，之前的链接已失效。"
			"此链接无需密码即可打开调查，任何持有该链接的人都能以您的名义作答，"
			"请勿转发给他人。\n"
			"\n"
			"感谢您的支持！\n",
			"",
		},
	},
};

static const char b64_digits[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const char *mail_kind_name(enum mail_kind kind)
{
	assert(kind == MAIL_INVITATION || kind == MAIL_REMINDER);
	return kind == MAIL_INVITATION ? "invitation" : "reminder";
}

static int lang_index(const char *tag)
{
	if (!tag)
		return LANG_EN;
	for (int i = 0; i < N_LANGS; i++)
		if (!strncasecmp(tag, lang_codes[i], 2) &&
		    (tag[2] == '\0' || tag[2] == '-' || tag[2] == '_'))
			return i;
	return LANG_EN;
}

const char *mail_language(const char *tag)
{
	return lang_codes[lang_index(tag)];
}

/* Appends s with every control character (C0 and DEL) made a space. */
static void add_clean(struct buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		buf_addch(out, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
}

/* Expands the placeholders of tpl into out. */
static void expand(const struct template *t, const char *tpl, const struct mail_vars *v,
		   struct buf *out)
{
	while (*tpl) {
		const char *open = strchr(tpl, '{');
		if (!open) {
			buf_adds(out, tpl);
			return;
		}
		buf_add(out, tpl, (size_t)(open - tpl));
		const char *close = strchr(open, '}');
		assert(close); /* the templates are ours */
		size_t n = (size_t)(close - open - 1);
		const char *key = open + 1;
		if (n == 4 && !strncmp(key, "name", 4))
			add_clean(out, v->expert_name);
		else if (n == 5 && !strncmp(key, "title", 5))
			add_clean(out, v->survey_title);
		else if (n == 4 && !strncmp(key, "link", 4))
			add_clean(out, v->link);
		else if (n == 5 && !strncmp(key, "round", 5))
			buf_printf(out, "%d", v->round);
		else if (n == 10 && !strncmp(key, "round_line", 10)) {
			if (v->round > 0)
				expand(t, t->round_line, v, out);
		} else
			assert(!"unknown placeholder");
		tpl = close + 1;
	}
}

void mail_compose(enum mail_kind kind, const char *lang, const struct mail_vars *v,
		  struct buf *subject, struct buf *body)
{
	assert(kind == MAIL_INVITATION || kind == MAIL_REMINDER);
	assert(kind == MAIL_INVITATION || v->round > 0);
	const struct template *t = &templates[kind][lang_index(lang)];
	expand(t, t->subject, v, subject);
	expand(t, t->body, v, body);
}

/* ---- formatting --------------------------------------------------------------------------- */

/* Length of the UTF-8 sequence starting at s (which is valid), at least 1. */
static size_t utf8_len(const unsigned char *s)
{
	if (*s < 0x80)
		return 1;
	if ((*s & 0xe0) == 0xc0)
		return 2;
	if ((*s & 0xf0) == 0xe0)
		return 3;
	return 4;
}

/* 1 if s[0..len) is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static int utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i < n)
			return 0;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += n;
	}
	return 1;
}

/* 1 if s is valid UTF-8 without control characters (a header value's text). */
static int header_text_ok(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return utf8_valid(s, strlen(s));
}

static int is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* An addr-spec we are willing to write: local@domain, no blanks, controls or specials that
 * would end the address early. */
static int address_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	if (!header_text_ok(s) || !at || at == s || !at[1])
		return 0;
	for (const char *p = s; *p; p++)
		if (strchr(" <>()[],;:\"\\", *p))
			return 0;
	return 1;
}

static void base64_add(struct buf *out, const unsigned char *in, size_t len)
{
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		buf_addch(out, b64_digits[v >> 18 & 63]);
		buf_addch(out, b64_digits[v >> 12 & 63]);
		buf_addch(out, i + 1 < len ? b64_digits[v >> 6 & 63] : '=');
		buf_addch(out, i + 2 < len ? b64_digits[v & 63] : '=');
	}
}

void mail_encode_words(const char *text, size_t max_bytes, const char *sep, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i = 0;
	if (max_bytes < 4)
		max_bytes = 4; /* room for any one character */
	if (max_bytes > 45)
		max_bytes = 45; /* 60 base64 characters: a 72-character word, under 75 */
	while (i < len) {
		size_t n = 0;
		while (i + n < len) {
			size_t c = utf8_len(s + i + n);
			if (i + n + c > len)
				c = len - i - n; /* a broken tail: take it as it is */
			if (n + c > max_bytes)
				break;
			n += c;
		}
		if (i)
			buf_adds(out, sep);
		buf_adds(out, "=?UTF-8?B?");
		base64_add(out, s + i, n);
		buf_adds(out, "?=");
		i += n;
	}
}

/* atext of RFC 5322 3.2.3, and the space between atoms of a phrase. */
static int is_atext_or_space(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~ ", c));
}

/* "Header: name <addr>" (or "Header: addr" without a name). name and addr are checked. */
static void add_mailbox(struct buf *out, const char *header, const char *name, const char *addr)
{
	size_t nlen = strlen(name), quoted = nlen + 2;
	buf_printf(out, "%s: ", header);
	if (!nlen) {
		buf_printf(out, "%s\r\n", addr);
		return;
	}
	int atoms = name[0] != ' ' && name[nlen - 1] != ' ' && !strstr(name, "=?");
	for (const char *p = name; *p && atoms; p++)
		atoms = is_atext_or_space(*p);
	for (const char *p = name; *p; p++)
		quoted += *p == '"' || *p == '\\';
	size_t line = strlen(header) + 2 + (atoms ? nlen : quoted) + strlen(addr) + 3;
	if (is_ascii(name, nlen) && !strstr(name, "=?") && line <= MAIL_LINE_MAX) {
		if (atoms) {
			buf_adds(out, name);
		} else {
			buf_addch(out, '"');
			for (const char *p = name; *p; p++) {
				if (*p == '"' || *p == '\\')
					buf_addch(out, '\\');
				buf_addch(out, *p);
			}
			buf_addch(out, '"');
		}
		buf_printf(out, " <%s>\r\n", addr);
		return;
	}
	mail_encode_words(name, MAIL_WORD_BYTES, "\r\n ", out);
	buf_printf(out, "\r\n <%s>\r\n", addr);
}

static void add_subject(struct buf *out, const char *subject)
{
	size_t len = strlen(subject);
	if (is_ascii(subject, len) && !strstr(subject, "=?") && 9 + len <= MAIL_LINE_MAX) {
		buf_printf(out, "Subject: %s\r\n", subject);
		return;
	}
	buf_adds(out, "Subject: ");
	mail_encode_words(subject, MAIL_WORD_BYTES, "\r\n ", out);
	buf_adds(out, "\r\n");
}

/* The body with CRLF line endings into out; -1 if it holds a control character other than TAB,
 * CR and LF, or is not UTF-8. */
static int body_crlf(const char *body, struct buf *out)
{
	size_t len = strlen(body);
	if (!utf8_valid(body, len))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)body[i];
		if (c == '\r') {
			buf_adds(out, "\r\n");
			if (i + 1 < len && body[i + 1] == '\n')
				i++;
		} else if (c == '\n') {
			buf_adds(out, "\r\n");
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return -1;
		} else {
			buf_addch(out, (char)c);
		}
	}
	if (len && out->data[out->len - 1] != '\n')
		buf_adds(out, "\r\n");
	return 0;
}

/* 1 if the CRLF body can go as 7bit: ASCII, lines of at most 998 bytes. */
static int body_is_7bit(const struct buf *b)
{
	size_t line = 0;
	for (size_t i = 0; i < b->len; i++) {
		if ((unsigned char)b->data[i] >= 0x80)
			return 0;
		if (b->data[i] == '\n')
			line = 0;
		else if (b->data[i] != '\r' && ++line > MAIL_BODY_LINE)
			return 0;
	}
	return 1;
}

int mail_format(const struct mail_message *m, struct buf *out, char err[MAIL_ERR_MAX])
{
	static const char *const days[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
						"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct buf body = BUF_INIT;
	struct tm tm;
	int rc = -1;
	buf_init(&body);
	if (!address_ok(m->from_addr) || !address_ok(m->to_addr)) {
		snprintf(err, MAIL_ERR_MAX, "not an e-mail address we can write: %s",
			 address_ok(m->from_addr) ? "the recipient's" : "the sender's");
		goto out;
	}
	if (!header_text_ok(m->from_name) || !header_text_ok(m->to_name) ||
	    !header_text_ok(m->subject)) {
		snprintf(err, MAIL_ERR_MAX, "a name or the subject holds a line break or another "
					    "control character, or is not UTF-8");
		goto out;
	}
	size_t idlen = strlen(m->id_random);
	if (!idlen || idlen > 64 || strspn(m->id_random,
					   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					   "0123456789.-") != idlen) {
		snprintf(err, MAIL_ERR_MAX, "bad Message-ID part");
		goto out;
	}
	if (body_crlf(m->body, &body)) {
		snprintf(err, MAIL_ERR_MAX, "the body holds a control character or is not UTF-8");
		goto out;
	}
	if (!gmtime_r(&m->date, &tm)) {
		snprintf(err, MAIL_ERR_MAX, "bad date");
		goto out;
	}
	const char *domain = strrchr(m->from_addr, '@') + 1;
	if (!is_ascii(domain, strlen(domain)))
		domain = "localhost";

	buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
		   tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		   tm.tm_sec);
	add_mailbox(out, "From", m->from_name, m->from_addr);
	add_mailbox(out, "To", m->to_name, m->to_addr);
	add_subject(out, m->subject);
	buf_printf(out, "Message-ID: <%s@%s>\r\n", m->id_random, domain);
	buf_adds(out, "MIME-Version: 1.0\r\n"
		      "Content-Type: text/plain; charset=utf-8\r\n");
	if (body_is_7bit(&body)) {
		buf_adds(out, "Content-Transfer-Encoding: 7bit\r\n\r\n");
		buf_add(out, body.data, body.len);
	} else {
		buf_adds(out, "Content-Transfer-Encoding: base64\r\n\r\n");
		const unsigned char *p = (const unsigned char *)body.data;
		for (size_t i = 0; i < body.len; i += MAIL_B64_LINE / 4 * 3) {
			size_t n = body.len - i < MAIL_B64_LINE / 4 * 3 ? body.len - i
									: MAIL_B64_LINE / 4 * 3;
			base64_add(out, p + i, n);
			buf_adds(out, "\r\n");
		}
	}
	rc = 0;
out:
	buf_release(&body);
	return rc;
}

void mail_smtp_data(const char *msg, size_t len, struct buf *out)
{
	int line_start = 1;
	for (size_t i = 0; i < len; i++) {
		char c = msg[i];
		if (line_start && c == '.')
			buf_addch(out, '.');
		if (c == '\r' || c == '\n') {
			buf_adds(out, "\r\n");
			if (c == '\r' && i + 1 < len && msg[i + 1] == '\n')
				i++;
			line_start = 1;
			continue;
		}
		buf_addch(out, c);
		line_start = 0;
	}
	if (!line_start)
		buf_adds(out, "\r\n");
	buf_adds(out, ".\r\n");
}
