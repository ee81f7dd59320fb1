/* A field of an input file as an error message shows it. */
#ifndef STRATA_CLI_FIELD_SHOWN_H
#define STRATA_CLI_FIELD_SHOWN_H

/* 64 bytes of the field, "..." and the terminator. */
enum { CLI_FIELD_SHOWN = 68 };

/* field with control bytes as '?' (a stray carriage return would otherwise
 * overwrite the message on a terminal), cut after 64 bytes at a UTF-8
 * character boundary with "..." after it; into buf, which it returns. */
const char *cli_field_shown(const char *field, char buf[CLI_FIELD_SHOWN]);

#endif
