/*
 * strconv — checked conversions of text to numbers ("parse, don't atoi").
 *
 * Every function takes the whole string: leading/trailing garbage, empty input, overflow and
 * values outside [min, max] are errors. They return 0 on success and -1 on failure, leaving *out
 * untouched on failure. Pure; no locale dependence beyond the C locale's strtod.
 */
#ifndef DELPHI_STRCONV_H
#define DELPHI_STRCONV_H

#include <stddef.h>

int strconv_long(const char *s, long min, long max, long *out);
int strconv_int(const char *s, int min, int max, int *out);
int strconv_double(const char *s, double min, double max, double *out);
/* Same as strconv_long for a buffer of len bytes that need not be NUL-terminated. */
int strconv_long_n(const char *s, size_t len, long min, long max, long *out);

#endif
