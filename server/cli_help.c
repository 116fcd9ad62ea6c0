/*
 * cli_help — `delphi help [COMMAND]` and `delphi COMMAND --help`: the overview and one page per
 * command group. One table; a command group's owner keeps its entry up to date.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct help_page {
	const char *name;
	const char *summary; /* one line for the overview */
	const char *text;    /* the page; NULL for serve, whose page its settings table writes */
};

static const struct help_page pages[] = {
	{ "init", "create the database, or bring its schema up to date",
	  "usage: delphi init\n"
	  "\n"
	  "Creates the database file (--db PATH, default ./delphi.db) if it does not exist and\n"
	  "applies the schema migrations it lacks; prints the schema version. Safe to run again.\n"
	  "Every other command needs the database to exist (and migrates it too when this delphi\n"
	  "is newer).\n" },
	{ "survey", "load survey definitions; list and show them",
	  "usage: delphi survey load FILE\n"
	  "       delphi survey list\n"
	  "       delphi survey show SLUG\n"
	  "\n"
	  "load   Validates the survey definition FILE (JSON; see docs/survey-format.md) and\n"
	  "       stores it under its slug. Problems are printed with their place in the file and\n"
	  "       nothing is stored. Loading the same definition again changes nothing; a changed\n"
	  "       definition replaces the stored one until the survey's first round is opened\n"
	  "       (fields, topics and questions are matched by code), and is refused after that.\n"
	  "list   The surveys: slug, latest round and its state, number of experts, title.\n"
	  "show   One survey: its fields with their topic counts, questions, rounds run.\n" },
	{ "experts", "import experts (and hand out their links); list, mail, revoke them",
	  "usage: delphi experts import --survey SLUG [--public-url URL] FILE.csv\n"
	  "       delphi experts list --survey SLUG\n"
	  "       delphi experts invite --survey SLUG [--only ID,...] [--public-url URL]\n"
	  "                             [--lang L] [--smtp-insecure] [--dry-run]\n"
	  "       delphi experts remind --survey SLUG [same options as invite]\n"
	  "       delphi experts reissue --survey SLUG [--public-url URL] ID\n"
	  "       delphi experts revoke --survey SLUG ID\n"
	  "\n"
	  "import  Reads experts from FILE.csv (\"-\": standard input). The first row names the\n"
	  "        columns, in any order: id,name,email,sector,fields\n"
	  "          id      your identifier for the expert, unique in the survey\n"
	  "          name    the expert's name; email may be empty\n"
	  "          sector  academia, industry, government or other\n"
	  "          fields  the codes of the expert's fields, separated by ';'\n"
	  "        Every row is checked before anything is stored: one bad row and nothing is\n"
	  "        imported. New experts get a personal link, printed once on standard output as\n"
	  "        CSV id,token,link (link = URL/e/TOKEN); only a hash of the token is stored, so\n"
	  "        keep the output safe and send each expert their own link. Importing an id that\n"
	  "        exists updates its name, email, sector and fields and keeps its link (no line\n"
	  "        is printed for it). Experts added while round 1 is open are invited to it.\n"
	  "        URL: --public-url, else DELPHI_PUBLIC_URL, else https://localhost:8443.\n"
	  "list    The experts as CSV: id,name,sector,fields,pseudonym (never tokens).\n"
	  "invite  Mails each expert (or those named by --only) a personal link through the\n"
	  "        SMTP relay set in the environment (below). Only a hash of a link's token is\n"
	  "        stored, so every mail carries a new link: once the relay accepts the mail the\n"
	  "        new link works and the earlier one no longer does (the mail says so); a mail\n"
	  "        that does not go out leaves the earlier link working. Skips revoked experts,\n"
	  "        experts without an address and, while a round is open, those not invited to\n"
	  "        it. Prints id,email,status,detail per expert: status sent, refused (the relay\n"
	  "        refused the address or the mail; detail is its reply) or failed (anything\n"
	  "        else); every attempt is kept in the database (table mail_log). Exit status 0\n"
	  "        only if every mail was sent. --lang: the mails' language (default the\n"
	  "        survey's first; texts in en, ja, zh). --dry-run: list who would be mailed.\n"
	  "remind  The same for the experts invited to the open round who have not answered it\n"
	  "        yet: a reminder with a new link that replaces the earlier one.\n"
	  "reissue Prints a new link for expert ID (CSV id,token,link) without mailing it; the\n"
	  "        earlier link stops working and the expert's sessions end.\n"
	  "revoke  Takes expert ID's link back for good: it stops working, the expert's\n"
	  "        sessions end and they get no more mail. Their answers are kept.\n"
	  "SMTP relay (invite, remind): DELPHI_SMTP_HOST, DELPHI_SMTP_FROM ('Name <address>'),\n"
	  "  DELPHI_SMTP_TLS starttls (default, port 587: STARTTLS required) | tls (port 465)\n"
	  "  | none (no encryption, port 25), DELPHI_SMTP_PORT, DELPHI_SMTP_USER and\n"
	  "  DELPHI_SMTP_PASSWORD (for AUTH; never given on the command line),\n"
	  "  DELPHI_SMTP_CA_FILE (default: the system CA bundle), DELPHI_SMTP_INSECURE=1 or\n"
	  "  --smtp-insecure (accept any certificate), DELPHI_SMTP_TIMEOUT (seconds per read\n"
	  "  or write, default 30), DELPHI_SMTP_HELO.\n" },
	{ "round", "open and close rounds, schedule their close; see how a round is going",
	  "usage: delphi round open --survey SLUG [--close-at TIME]\n"
	  "       delphi round schedule --survey SLUG (--close-at TIME | --no-close-at)\n"
	  "       delphi round close --survey SLUG\n"
	  "       delphi round status --survey SLUG [--round N]\n"
	  "\n"
	  "open      Opens the next round. Round 1 invites every expert; a later round invites\n"
	  "          those who answered the round before (or everyone, if the definition's\n"
	  "          rounds.invite is \"all\"). Refused while a round is open or when all rounds\n"
	  "          have run. --close-at: the round's scheduled close (below).\n"
	  "schedule  Moves the scheduled close of the open round to TIME (--close-at), or\n"
	  "          removes it (--no-close-at); the round stays open and nothing else\n"
	  "          changes. Refused when no round is open.\n"
	  "close     Closes the open round and computes its statistics (see 'delphi help\n"
	  "          aggregate'); prints how many topics reached consensus.\n"
	  "status    The latest round (or round N): its state (and, while open, its scheduled\n"
	  "          close), and per field the experts invited, the respondents so far and\n"
	  "          their answers.\n"
	  "\n"
	  "TIME is UTC, exactly YYYY-MM-DDTHH:MM:SSZ (date -u +%Y-%m-%dT%H:%M:%SZ), and still to\n"
	  "come. A running 'delphi serve' closes the round once that time has passed, as 'round\n"
	  "close' does (a round whose time passed while no server ran: at the next start); the\n"
	  "command line itself never closes a round by the clock.\n" },
	{ "answers", "import answers collected elsewhere; export all answers",
	  "usage: delphi answers import --survey SLUG --round N [--force] FILE.csv\n"
	  "       delphi answers export --survey SLUG [--round N]\n"
	  "\n"
	  "import  Reads answers from FILE.csv (\"-\": standard input), one per row, with the\n"
	  "        columns expert,topic,question,value: the expert's id (as imported), a topic\n"
	  "        code, a question key and the answer in text form (a label value such as 4, a\n"
	  "        year, dont_know / already / never, option codes separated by ';', or text).\n"
	  "        The expert must be invited to round N and belong to the topic's field. Every\n"
	  "        row is checked, also together with the expert's answers already stored for the\n"
	  "        same topic, before anything is stored: one bad row and nothing is imported.\n"
	  "        An answer replaces a stored answer to the same question. Round N must be open;\n"
	  "        --force imports into a closed round (late answers), noted in the audit log.\n"
	  "export  Every stored answer (of round N only, with --round) as CSV on standard output:\n"
	  "        round,pseudonym,sector,topic,field,expertise,question,value, where expertise is\n"
	  "        the expert's own expertise answer for the topic in that round. Ordered by round,\n"
	  "        topic and question (in the definition's order), then pseudonym.\n" },
	{ "aggregate", "compute (again) a round's statistics",
	  "usage: delphi aggregate --survey SLUG [--round N]\n"
	  "\n"
	  "Computes the statistics of round N (default: the latest round) for every topic,\n"
	  "question and group (all respondents, the experts, each sector), with the stability\n"
	  "against the round before, and replaces the round's stored statistics with them.\n"
	  "'delphi round close' does this already; run it again after late answers (answers\n"
	  "import --force). On an open round the statistics are provisional. Prints the number\n"
	  "of rows written and of topics that reached consensus. See docs/reports.md.\n" },
	{ "report", "write a round's report as CSV, JSON or printable HTML",
	  "usage: delphi report --survey SLUG [--round N] [--format csv|json|html] [--lang L]\n"
	  "                     [--out FILE]\n"
	  "\n"
	  "Writes the report of round N from its stored statistics (default: the latest round;\n"
	  "while a round after the first is open, the round before it), to standard output or\n"
	  "FILE.\n"
	  "  csv   one row per topic, question (multi: question/option) and group, with n, the\n"
	  "        shares of don't know / already / never, mean, sd, quartiles, IQR, index,\n"
	  "        agreement, share, consensus and the stability columns (default format)\n"
	  "  json  the same numbers nested by field and topic, with the survey's metadata, the\n"
	  "        consensus rules and each question's distribution\n"
	  "  html  one self-contained page to print on A4: summary, importance ranking and\n"
	  "        realization timeline per field, a page per topic with charts and tables\n"
	  "--lang picks the language of the texts (default: the survey's first). The layouts\n"
	  "are described in docs/reports.md.\n" },
	{ "serve", "run the HTTPS server: the experts' survey and its API", NULL },
	{ "user", "manage the console's users: add, list, change passwords, disable",
	  "usage: delphi user add NAME --role admin|coordinator|planner\n"
	  "       delphi user list\n"
	  "       delphi user passwd NAME\n"
	  "       delphi user disable NAME\n"
	  "       delphi user enable NAME\n"
	  "\n"
	  "add      Adds a user of the web console. NAME: 1 to 64 of a-z, 0-9, '.', '_', '-', '@',\n"
	  "         starting with a letter or a digit. Roles: admin (manages users), coordinator\n"
	  "         (runs surveys and rounds), planner (reads results, exports reports).\n"
	  "passwd   Sets a new password for NAME and ends all of NAME's sessions.\n"
	  "list     The users: name, role, state (active or disabled), when added.\n"
	  "disable  Stops NAME from logging in and ends all of NAME's sessions; enable undoes it.\n"
	  "\n"
	  "Passwords are never taken from the command line. On a terminal, add and passwd ask for\n"
	  "the password twice without showing it; otherwise they read it from the first line of\n"
	  "standard input (printf '%s\\n' \"$PASSWORD\" | delphi user add ...). A password has 12\n"
	  "characters at least and 1024 bytes at most; only a salted PBKDF2 hash of it is stored.\n" },
	{ "backup", "copy the database while it is in use",
	  "usage: delphi backup --out FILE [--force]\n"
	  "\n"
	  "Writes a consistent copy of the database to FILE, also while a server is running: the\n"
	  "server keeps answering and storing answers meanwhile, and the copy is the database as\n"
	  "it was when the backup started. The copy is made in FILE.tmp, checked, flushed to disk\n"
	  "and only then renamed to FILE, so FILE is either complete or absent. An existing FILE\n"
	  "is kept unless --force is given. Prints the number of pages copied and the time taken.\n"
	  "To restore, stop the server and put the copy in the database's place.\n" },
	{ "check", "check the database for damage and broken rules",
	  "usage: delphi check\n"
	  "\n"
	  "Runs SQLite's integrity and foreign-key checks and delphi's own rules: every answer is\n"
	  "by an expert invited to its round and fits its question (a label value, a year in\n"
	  "range, an allowed special, known options, text only for text questions, a reason only\n"
	  "from round 2 on); every stored definition loads and matches its rows; a survey's\n"
	  "rounds are numbered 1..n without gaps, with at most one open (the latest); every\n"
	  "session belongs to an existing user or expert; the schema version is this delphi's.\n"
	  "Lists each problem on standard output and exits with 1, or prints one \"ok: ...\"\n"
	  "line and exits with 0. Reads only: safe to run while a server is running.\n" },
	{ "help", "show this overview, or the help of one command",
	  "usage: delphi help [COMMAND]\n"
	  "       delphi COMMAND --help\n" },
};

#define N_PAGES (sizeof pages / sizeof pages[0])

static const char overview_head[] =
	"usage: delphi [--db PATH] COMMAND [ARGS...]\n"
	"\n"
	"delphi runs Delphi surveys: experts rate science and technology topics over several\n"
	"rounds, seeing the panel's answers of the round before.\n"
	"\n"
	"commands:\n";

static const char overview_tail[] =
	"\n"
	"options (anywhere on the command line):\n"
	"  --db PATH   the database file (default ./delphi.db, or DELPHI_DB from the environment)\n"
	"  --help, -h  help on the command\n"
	"\n"
	"exit status: 0 done; 1 failed (including a refused change, such as opening a round while\n"
	"another is open); 2 bad usage or bad input (nothing was changed).\n"
	"\n"
	"A first survey: delphi init; delphi survey load survey-defs/foresight-2050.json;\n"
	"delphi experts import --survey foresight-2050 experts.csv > links.csv;\n"
	"delphi round open --survey foresight-2050; ... delphi round close --survey foresight-2050\n";

int cli_help(const char *name)
{
	if (!name) {
		fputs(overview_head, stdout);
		for (size_t i = 0; i < N_PAGES; i++)
			printf("  %-10s %s\n", pages[i].name, pages[i].summary);
		fputs(overview_tail, stdout);
		return 0;
	}
	for (size_t i = 0; i < N_PAGES; i++)
		if (!strcmp(pages[i].name, name)) {
			if (!pages[i].text)
				cli_serve_usage();
			else
				fputs(pages[i].text, stdout);
			return 0;
		}
	return -1;
}
