/* strconv — checked number parsing. See strconv.h. */
#include "strconv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int strconv_long(const char *s, long min, long max, long *out)
{
	char *end;
	if (!s || !*s || *s == ' ' || *s == '\t' || *s == '\n' || *s == '+')
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int strconv_int(const char *s, int min, int max, int *out)
{
	long v;
	if (strconv_long(s, min, max, &v))
		return -1;
	*out = (int)v;
	return 0;
}

int strconv_long_n(const char *s, size_t len, long min, long max, long *out)
{
	char tmp[32];
	if (len == 0 || len >= sizeof tmp || memchr(s, '\0', len))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return strconv_long(tmp, min, max, out);
}

int strconv_double(const char *s, double min, double max, double *out)
{
	char *end;
	if (!s || !*s || *s == ' ' || *s == '\t' || *s == '\n')
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
