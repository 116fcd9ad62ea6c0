/*
 * report_csv — the report as CSV: one record per statistics row of the round, in report order
 * (topic and question in definition order, options in definition order, groups all, expert,
 * academia, industry, government, other). The layout is a public interface (docs/reports.md):
 * columns are only ever added at the end.
 */
#include "report.h"

#include "csv.h"

static const char header[] =
	"round,topic,field,question,group,n,dont_know,already,never,mean,sd,q1,median,q3,iqr,"
	"index,agreement,share,consensus,n_paired,changed,mean_abs_change,wilcoxon_z,wilcoxon_p\n";

/* ",value" — empty when undefined. */
static void num(struct buf *out, double v)
{
	buf_addch(out, ',');
	buf_add_double(out, v); /* appends nothing for NAN */
}

int report_csv(const struct report_input *in, struct buf *out, char err[REPORT_ERR_MAX])
{
	const struct survey *s = in->s;
	err[0] = '\0';
	buf_adds(out, header);
	for (size_t i = 0; i < in->cur->n; i++) {
		const struct report_stat *r = &in->cur->v[i];
		const struct survey_topic *t = &s->topics[r->topic];
		const struct survey_question *q = &s->questions[r->question];
		buf_printf(out, "%d,", in->round);
		csv_write_field(out, t->code);
		buf_addch(out, ',');
		csv_write_field(out, s->fields[t->field].code);
		buf_addch(out, ',');
		csv_write_field(out, q->key);
		if (r->option >= 0) {
			buf_addch(out, '/');
			csv_write_field(out, q->options[r->option].code);
		}
		buf_printf(out, ",%s,%lld", agg_group_name(r->group), (long long)r->n);
		num(out, r->dont_know);
		num(out, r->already);
		num(out, r->never);
		num(out, r->mean);
		num(out, r->sd);
		num(out, r->q1);
		num(out, r->median);
		num(out, r->q3);
		num(out, r->iqr);
		num(out, r->index);
		num(out, r->agreement);
		num(out, r->share);
		buf_adds(out, r->consensus < 0 ? "," : r->consensus ? ",true" : ",false");
		if (r->n_paired >= 0)
			buf_printf(out, ",%lld", (long long)r->n_paired);
		else
			buf_addch(out, ',');
		num(out, r->changed);
		num(out, r->mean_abs_change);
		num(out, r->wilcoxon_z);
		num(out, r->wilcoxon_p);
		buf_addch(out, '\n');
	}
	return 0;
}
