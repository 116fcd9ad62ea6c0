/*
 * mail — the e-mails delphi sends to experts, as text: the invitation and reminder templates in
 * English, Japanese and Chinese, and the formatting of one RFC 5322 message (headers with
 * RFC 2047 encoded words, a text/plain UTF-8 body) and of its SMTP DATA payload (CRLF lines,
 * dot-stuffing, the final "."). smtp.c moves the bytes; mail_batch.c decides who gets what.
 *
 * Header injection is impossible by construction: mail_format refuses any header input (names,
 * addresses, subject, domain) holding a control character (CR and LF included), and
 * mail_compose turns every control character of the texts it is given (survey title, expert
 * name) into a space before they reach a subject or a body line.
 *
 * Pure C (libc only): no I/O, no clock, no randomness; the caller passes the date and the random
 * part of the Message-ID.
 */
#ifndef DELPHI_MAIL_H
#define DELPHI_MAIL_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define MAIL_ERR_MAX 256

enum mail_kind {
	MAIL_INVITATION,
	MAIL_REMINDER,
};

/* "invitation", "reminder" (the values of mail_log.kind). */
const char *mail_kind_name(enum mail_kind kind);

/* What a template is filled with. Strings are UTF-8; the caller keeps them. */
struct mail_vars {
	const char *survey_title; /* in the mail's language (survey_text) */
	const char *expert_name;
	const char *link;         /* the personal link, PUBLIC_URL/e/TOKEN */
	int round;                /* the open round's number, 0 when none is open */
};

/*
 * The template language for a language tag: "ja" and "zh" (also "ja-JP", "zh-Hans", ...), else
 * "en". Never NULL.
 */
const char *mail_language(const char *tag);

/*
 * Fills the template of kind in the language mail_language(lang) with v: the subject (one line)
 * into subject and the body (LF line endings, ending with a newline) into body, both appended.
 * Control characters in v's texts become spaces. A reminder needs v->round > 0 (asserted). Every
 * mail carries a freshly issued link, so both kinds say that it replaces any earlier link.
 */
void mail_compose(enum mail_kind kind, const char *lang, const struct mail_vars *v,
		  struct buf *subject, struct buf *body);

/* One message. Every string is UTF-8 without control characters (else mail_format fails). */
struct mail_message {
	const char *from_name; /* display name, may be "" */
	const char *from_addr; /* addr-spec, e.g. delphi@example.org */
	const char *to_name;   /* may be "" */
	const char *to_addr;
	const char *subject;
	const char *body;      /* LF or CRLF line endings; control characters other than TAB, LF,
				* CR are refused */
	time_t date;           /* the Date: header, written in UTC (+0000) */
	const char *id_random; /* the unique part of the Message-ID: [A-Za-z0-9.-], 1..64 chars */
};

/*
 * Appends the whole message (headers, empty line, body; CRLF line endings) to out:
 * Date, From, To, Subject, Message-ID <ID_RANDOM@DOMAIN OF FROM_ADDR>, MIME-Version: 1.0,
 * Content-Type: text/plain; charset=utf-8, and Content-Transfer-Encoding: 7bit when the body is
 * ASCII with lines of at most 998 bytes, else base64 (76-character lines). Display names are
 * written as atoms, quoted strings or RFC 2047 "=?UTF-8?B?...?=" words; the subject as is when
 * it is printable ASCII and short, else as encoded words. Encoded words never split a UTF-8
 * character and header lines stay within 78 characters except where an address is longer.
 * Returns 0, or -1 with a message in err (out may then hold a partial message: reset it).
 */
int mail_format(const struct mail_message *m, struct buf *out, char err[MAIL_ERR_MAX]);

/*
 * Appends the SMTP DATA payload for a message (len bytes) to out: every line ending (LF, CRLF
 * or a lone CR) becomes CRLF, a line starting with "." gets one more "." (RFC 5321 4.5.2), a
 * missing final line ending is added, and the terminating ".\r\n" follows.
 */
void mail_smtp_data(const char *msg, size_t len, struct buf *out);

/*
 * RFC 2047 encoded words for text (UTF-8): "=?UTF-8?B?...?=" words of at most max_bytes bytes
 * of text each (1..45; cut only between characters), separated by sep (e.g. "\r\n "), appended
 * to out. An empty text appends nothing.
 */
void mail_encode_words(const char *text, size_t max_bytes, const char *sep, struct buf *out);

#endif
