/* Checks on output paths made before any work starts, so that a long fit
 * does not run for hours and then fail to write its result.  The library
 * still owns writing (temporary name, then rename); the command never
 * creates a file itself. */
#ifndef STRATA_CLI_PATHS_H
#define STRATA_CLI_PATHS_H

#include <stddef.h>

/* 1 when `path` can be an output file: its directory exists, is a directory
 * and is writable, and `path` is not itself a directory.  Otherwise 0 with a
 * one-line message naming `what` ("model", "labels") and the problem. */
int cli_output_path_ok(const char *path, const char *what, char *err, size_t errlen);
/* cli_output_path_ok for a text output (CSV, JSON, a table, HTML), where
 * "-" is standard output (cli_output_path_ok refuses "-": HDF5 files). */
int cli_text_output_path_ok(const char *path, const char *what, char *err, size_t errlen);
/* The exit status of a refused output path: 2 for "-" (a usage error),
 * else 1. */
int cli_output_refusal(const char *path);

/* 1 when a and b name the same file: the same inode when both exist, else
 * the same canonical directory and file name. */
int cli_same_file(const char *a, const char *b);

#endif
