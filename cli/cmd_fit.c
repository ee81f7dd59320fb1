/* `strata fit`: k-means on a dataset; saves the model, optionally labels. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "centroids_csv.h"
#include "cli.h"
#include "comm.h"
#include "diag.h"
#include "drift_out.h"
#include "json_out.h"
#include "option_table.h"
#include "pass.h"
#include "paths.h"
#include "print_summary.h"
#include "progress.h"
#include "table.h"

static const char *const CMD = "fit";

typedef struct {
  cli_args a;
  strata_fit_params p;
} fit_opts;

/* Refuses outputs that would overwrite an input or each other, before
 * anything is read. */
static int check_aliases(const fit_opts *o) {
  if (cli_same_file(o->a.output, o->a.data))
    return cli_error(CLI_EXIT_USAGE, "model file '%s' is the input data file", o->a.output);
  if (o->a.labels && cli_same_file(o->a.labels, o->a.data))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the input data file", o->a.labels);
  if (o->a.labels && cli_same_file(o->a.labels, o->a.output))
    return cli_error(CLI_EXIT_USAGE, "labels file and model file are the same file '%s'", o->a.labels);
  if (o->a.init_file && cli_same_file(o->a.init_file, o->a.output))
    return cli_error(CLI_EXIT_USAGE, "model file '%s' is the --init file", o->a.output);
  if (o->a.init_file && o->a.labels && cli_same_file(o->a.init_file, o->a.labels))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the --init file", o->a.labels);
  /* The model may replace its parent (a nightly refit): the parent is read first. */
  if (o->a.parent && cli_same_file(o->a.parent, o->a.data))
    return cli_error(CLI_EXIT_USAGE, "parent model '%s' is the input data file", o->a.parent);
  if (o->a.parent && o->a.labels && cli_same_file(o->a.parent, o->a.labels))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the parent model", o->a.labels);
  const char *ck = o->p.checkpoint_path;
  if (ck && (cli_same_file(ck, o->a.data) || cli_same_file(ck, o->a.output) ||
             (o->a.labels && cli_same_file(ck, o->a.labels)) || (o->a.parent && cli_same_file(ck, o->a.parent))))
    return cli_error(CLI_EXIT_USAGE, "checkpoint file '%s' is the data, model, labels or parent file", ck);
  if (o->p.resume_path && (cli_same_file(o->p.resume_path, o->a.output) ||
                           (o->a.labels && cli_same_file(o->p.resume_path, o->a.labels))))
    return cli_error(CLI_EXIT_USAGE, "--resume file '%s' is the model or labels file", o->p.resume_path);
  return -1;
}

/* Refuses outputs that cannot be written, after the inputs were found good
 * and before the work starts, so that a long fit does not fail at its end. */
static int check_writable(const fit_opts *o) {
  char err[1024];
  if (!cli_output_path_ok(o->a.output, "model", err, sizeof err))
    return cli_error(cli_output_refusal(o->a.output), "%s", err);
  if (o->a.labels && !cli_output_path_ok(o->a.labels, "labels", err, sizeof err))
    return cli_error(cli_output_refusal(o->a.labels), "%s", err);
  if (o->p.checkpoint_path && !cli_output_path_ok(o->p.checkpoint_path, "checkpoint", err, sizeof err))
    return cli_error(cli_output_refusal(o->p.checkpoint_path), "%s", err);
  return -1;
}

static uint64_t peak_rss_bytes(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0 || ru.ru_maxrss < 0) return 0;
  return (uint64_t)ru.ru_maxrss * 1024u; /* Linux reports KiB */
}

/* What a method chose on its own: two-step Ward's micro-clusters, DBSCAN's
 * automatic eps. */
static void print_method_notes(FILE *f, const strata_model_info *in) {
  if (in->micro_centroids)
    fprintf(f, "ward twostep: %d micro-clusters (k-means, %d passes), Ward on their weighted means\n", in->n_micro,
            in->iterations);
  if (in->kdist)
    fprintf(f, "eps auto: %.6g (scaled units), the knee of the %d-distance curve of %llu sampled rows\n", in->eps,
            in->min_samples, (unsigned long long)in->kdist_sample);
  if (in->core_points) {
    /* The segment table counts the clustered rows only: say where the rest went. */
    int64_t clustered = 0;
    for (int c = 0; c < in->k; c++) clustered += in->sizes[c];
    int64_t noise = (int64_t)in->rows - clustered;
    fprintf(f, "dbscan: eps %.6g, min-samples %d: %d core points; noise (segment -1): %lld rows (%.1f%%)\n", in->eps,
            in->min_samples, in->n_core, (long long)noise, in->rows ? 100.0 * (double)noise / (double)in->rows : 0.0);
  }
}

/* The parent's transforms as a --transform spec for the features this fit
 * reads (a warm start or --match-ids without --transform continues in the
 * parent's units, as it reads the parent's features); their parameters
 * are fitted again on this data.  Clip is not carried: its percentiles are
 * not in the model, only the bounds they gave.  NULL when none is left. */
static char *parent_transforms(const strata_model *parent, const strata_dataset *ds, const char *path) {
  const strata_model_info *pi = strata_model_get_info(parent);
  size_t d = strata_dataset_cols(ds), len = 0;
  char *spec = NULL;
  for (int j = 0; j < pi->d; j++) {
    strata_transform_kind kind = (strata_transform_kind)pi->transform_kind[j];
    if (kind == STRATA_TRANSFORM_NONE) continue;
    if (kind == STRATA_TRANSFORM_CLIP) {
      cli_warn("parent model '%s' clips '%s' at %g..%g; clip's percentiles are not in the model: give --transform "
               "%s:clip(pA,pB) again to keep it", path, pi->features[j], pi->transform_param[3 * j + 1],
               pi->transform_param[3 * j + 2], pi->features[j]);
      continue;
    }
    int here = 0;
    for (size_t c = 0; c < d && !here; c++) here = strcmp(strata_dataset_col_name(ds, c), pi->features[j]) == 0;
    if (!here) continue;
    const char *name = kind == STRATA_TRANSFORM_LOG1P ? "log1p" : kind == STRATA_TRANSFORM_YEO_JOHNSON ? "yeo-johnson"
                                                                                                        : "age-days";
    size_t add = strlen(pi->features[j]) + strlen(name) + 2;
    spec = cli_xrealloc(spec, len + add + 1);
    len += (size_t)sprintf(spec + len, "%s%s:%s", len ? "," : "", pi->features[j], name);
  }
  if (spec) cli_note("transforms from the parent model '%s', fitted again on this data: %s", path, spec);
  return spec;
}

static int run(fit_opts *o) {
  int rc = -1;
  char *inherited = NULL;
  strata_dataset *ds = NULL;
  strata_model *model = NULL, *parent = NULL;
  strata_drift *drift = NULL;
  double *init_centroids = NULL;
  strata_status st;

  if ((rc = check_aliases(o)) >= 0) return rc;
  /* (The agreement matches the one after the data is opened on the ranks
   * that got that far.) */
  if (o->a.parent && (st = strata_model_load(o->a.parent, &parent)) != STRATA_OK)
    return cli_status_error(strata_comm_agree(strata_ctx_comm(o->a.ctx), st));
  if (parent && !o->a.features.items && !o->a.categorical.items) {
    /* The parent's features, categories expanded as it saw them. */
    st = strata_model_open_data(parent, o->a.data, o->a.location, &ds);
    if (st == STRATA_OK) st = cli_args_attach_weights(&o->a, ds);
  } else {
    st = cli_args_open_data(&o->a, &ds);
  }
  /* Several ranks: a rank that cannot open the file (its node does not see
   * it) fails the job here, on every rank, with that rank's reason. */
  st = strata_comm_agree(strata_ctx_comm(o->a.ctx), st);
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }

  if (o->a.init_file) {
    size_t d = strata_dataset_cols(ds);
    const char **names = cli_xcalloc(d ? d : 1, sizeof *names);
    for (size_t j = 0; j < d; j++) names[j] = strata_dataset_col_name(ds, j);
    char err[1024];
    int ok = cli_centroids_csv_read(o->a.init_file, o->p.k, d, names, &init_centroids, err, sizeof err);
    free(names);
    if (!ok) {
      rc = cli_error(CLI_EXIT_USAGE, "%s", err);
      goto done;
    }
    o->p.init_centroids = init_centroids;
  }

  if ((rc = check_writable(o)) >= 0) goto done;

  cli_progress_begin(o->a.quiet ? CLI_PROGRESS_NONE : (cli_progress_mode)o->a.progress);
  o->p.progress = cli_progress_cb;
  o->p.progress_user = NULL;
  o->p.labels_path = o->a.labels;
  /* The library puts model and labels in place together, or neither. */
  o->p.model_path = o->a.output;
  o->p.parent = parent;
  o->p.parent_path = o->a.parent;
  o->p.warm_start = o->a.warm_start;
  if (o->p.checkpoint_path) cli_signals_checkpoint();
  if (parent && strata_model_get_info(parent)->transform_kind && !o->p.transforms)
    o->p.transforms = inherited = parent_transforms(parent, ds, o->a.parent);
  st = strata_fit(o->a.ctx, ds, &o->p, &model);
  cli_progress_end();
  if (st == STRATA_STOPPED) {
    /* Not an error: the job is to be run again with --resume. */
    fprintf(stderr, "strata: %s; resume with --resume %s\n", strata_last_error(), o->p.checkpoint_path);
    rc = CLI_EXIT_STOPPED;
    goto done;
  }
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }

  const strata_model_info *info = strata_model_get_info(model);
  int parent_k = parent ? strata_model_get_info(parent)->k : 0;
  if (parent && !strata_model_get_info(parent)->train_mean)
    cli_warn("parent model '%s' has no training reference (saved by an older Strata): drift not measured",
             o->a.parent);
  else if (parent && strata_model_drift(parent, model, &o->a.drift, o->a.parent, &drift) != STRATA_OK)
    /* The model and labels are in place: the comparison is extra. */
    cli_warn("drift not measured: %s", strata_last_error());
  if (o->a.json) {
    const strata_comm *comm = strata_ctx_comm(o->a.ctx);
    if (cli_json_fit(stdout, info, o->a.output, o->a.labels, peak_rss_bytes(), parent_k, drift,
                     strata_comm_size(comm), strata_threads_resolve(strata_ctx_threads(o->a.ctx)),
                     cli_min_segment_share(o->a.min_segment_share, info->k), o->a.choice, (const char *const *)o->a.categorical.items) != 0) {
      rc = cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
      goto done;
    }
  } else if (!o->a.quiet) {
    size_t width = cli_output_width(stdout);
    cli_print_fit(stdout, info, o->a.output, o->a.labels, width);
    print_method_notes(stdout, info);
    if (info->resumed_iteration > 0)
      printf("resumed: from checkpoint '%s', after iteration %d of run %d\n", o->p.resume_path,
             info->resumed_iteration, info->resumed_run + 1);
    if (o->a.verbose) cli_print_iterations(stdout, info, width);
    if (parent) cli_print_lineage(stdout, info, parent_k, width);
    if (drift) cli_print_drift(stdout, drift, width);
  }
  if (drift) cli_warn_drift(drift);
  cli_warn_small_segments(info, cli_min_segment_share(o->a.min_segment_share, info->k));
  rc = CLI_EXIT_OK;
done:
  if (inherited) o->p.transforms = NULL;
  free(inherited);
  strata_drift_free(drift);
  strata_model_free(model);
  strata_model_free(parent);
  strata_dataset_free(ds);
  free(init_centroids);
  return rc;
}

/* After the options: the one rule between them that is fit's own, then the fit. */
static int go(void *state) {
  fit_opts *o = state;
  if (o->a.warm_start && o->a.init_file)
    return cli_usage_error(CMD, "--warm-start and --init FILE both set the initial centroids");
  if (o->p.algorithm && strcmp(o->p.algorithm, "dbscan") == 0 && o->a.k_given)
    return cli_usage_error(CMD, "dbscan finds its number of segments: leave out -k");
  if (o->p.distance_threshold > 0.0 && o->a.k_given)
    return cli_usage_error(CMD, "-k and --distance-threshold both choose the cut: give one");
  return run(o);
}

int cli_cmd_fit(strata_ctx *ctx, int argc, char **argv) {
  fit_opts o;
  memset(&o, 0, sizeof o);
  o.a.fit = &o.p;
  return cli_args_main(ctx, CLI_CMD_FIT, argc, argv, &o.a, go, &o);
}
