/* The options of the commands that fit or score (fit, sweep, stability,
 * assign) as one declarative table: each option is written once, with its
 * names, the kind of value it takes, the field it fills, its validation, its
 * help text, and where each command that accepts it shows it in --help.
 * One parser walks the table for a given command (through getopt_long, so
 * abbreviations, permutation and the error lines are those of every other
 * command), and --help is generated from the same table. */
#ifndef STRATA_CLI_OPTION_TABLE_H
#define STRATA_CLI_OPTION_TABLE_H

#include <stddef.h>

#include "diag.h"
#include "strata.h"

/* The commands the table serves. */
typedef enum { CLI_CMD_FIT, CLI_CMD_SWEEP, CLI_CMD_STABILITY, CLI_CMD_ASSIGN, CLI_NCMDS } cli_cmd;

/* A comma-separated list of names (--features a,b,c). */
typedef struct {
  char **items; /* NULL-terminated, owned */
  size_t n;
} cli_list;

/* Everything the parser fills.  The command points `fit` (and `sweep` or
 * `stability`) at its own parameters before parsing; the parser initialises
 * them with the library's defaults.  assign keeps its --chunk-rows in a
 * fit parameter block too. */
typedef struct {
  const char *model, *data;                        /* positional: [MODEL.h5] DATA.h5 */
  const char *output, *location, *labels, *parent; /* -o, --dataset, --labels, PREV.h5 */
  const char *init_file;                           /* --init FILE, else NULL */
  const char *weights;                             /* fit --weights COLUMN, else NULL */
  cli_list features, categorical, exclude;
  strata_feature_choice *choice; /* what cli_args_open_data chose (owned), or NULL */
  int warm_start; /* the parent came with --warm-start (else --match-ids) */
  int k_given;    /* -k was on the command line */
  int json, csv, quiet, verbose, no_drift;
  int progress; /* a cli_progress_mode */
  int *ks;      /* sweep -k, owned */
  size_t nk;
  strata_drift_thresholds drift;
  char *transforms;     /* --transform values joined by ',' (owned); fit->transforms points here */
  double min_segment_share; /* fit: warn below this share of the rows; < 0: automatic */
  int threads;          /* --threads, set on the ctx */
  const char *backend;  /* --backend, set on the ctx (NULL = auto) */
  strata_ctx *ctx;      /* the command's context (cli_args_main sets it) */
  strata_fit_params *fit;             /* IN: always set */
  strata_sweep_params *sweep;         /* IN: set by sweep only */
  strata_stability_params *stability; /* IN: set by stability only */
} cli_args;

/* The whole of a command after it has pointed `a` at its parameters: resets
 * them to the library's defaults and parses argv (argv[0] is the command's
 * name) into a; --help prints the page generated from the table, a usage
 * error is reported on stderr, and either returns its exit code.  Otherwise
 * sets the verbosity of -q/-v, --threads and --backend on ctx and returns
 * go(state): the command's own checks and its work.  Frees what the parser
 * allocated in the end. */
int cli_args_main(strata_ctx *ctx, cli_cmd cmd, int argc, char **argv, cli_args *a, int (*go)(void *state), void *state);

/* Opens DATA.h5 at --dataset with the features strata_choose_features
 * picks (--features, else the safe default set, less --exclude: kept in
 * a->choice for --json and the notes of cli_choice_notes; a date column
 * asked for becomes its age in days through fit's transforms) and adds the
 * --categorical columns.  On failure *ds is NULL and the status says why. */
strata_status cli_args_open_data(cli_args *a, strata_dataset **ds);
/* --weights: the column of a->data opened and made ds's row weights
 * (strata_dataset_set_weights); nothing without --weights. */
strata_status cli_args_attach_weights(const cli_args *a, strata_dataset *ds);

/* One note on stderr per column the choice left out (but those the table
 * marks as identifiers, and the categorical ones, NULL-terminated, may be
 * NULL); the --weights column (weights, may be NULL) is named as such.
 * cli_args_main calls it after a command succeeded (a failure stays one
 * line); pca does the same. */
void cli_choice_notes(const strata_feature_choice *c, const char *const *categorical, const char *weights);

/* The part of it other commands share (pca): strata_choose_features, then
 * the table opened with the chosen columns.  *choice OUT (also
 * on failure after the choice; the caller frees it), *ds OUT. */
strata_status cli_open_chosen(const strata_ctx *ctx, const char *path, const char *location,
                              const char *const *features, size_t nfeatures, const char *const *exclude,
                              size_t nexclude, const char *const *categorical, strata_feature_choice **choice,
                              strata_dataset **ds);

#endif
