/*
 * cli_mail — the mail-related subcommands of `delphi experts`: invite and remind (mail each
 * selected expert a freshly issued personal link through the SMTP relay configured in the
 * environment, logging every attempt in mail_log), reissue (print a new link without mailing)
 * and revoke (take an expert's link back for good). cli_experts.c hands these subcommands over.
 */
#ifndef DELPHI_CLI_MAIL_H
#define DELPHI_CLI_MAIL_H

#include <stdbool.h>

#include "cli.h"

/* Whether `delphi experts SUBCOMMAND` is one of ours: invite, remind, reissue, revoke. */
bool cli_mail_handles(const char *subcommand);

/* Runs `delphi experts SUBCOMMAND ...`: argv[0] is "experts", argv[1] a subcommand for which
 * cli_mail_handles is true. Returns an enum cli_status. */
int cli_mail_experts(const struct cli_ctx *ctx, int argc, char **argv);

#endif
