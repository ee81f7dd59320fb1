// Kernel micro-benchmarks: one Lloyd pass (assign_reduce over n rows in
// 4096-row blocks, labels + sums/counts/inertia, as the core's pass driver
// calls it) for each kernel table and each target shape, single-threaded and
// with 2 threads each taking half of the rows (the per-iteration time of the
// 2-thread run is the per-Lloyd-iteration kernel time at 2 threads).
//
//   bench_kernels                       the target cases (name: case/kernel)
//   bench_kernels --benchmark_filter=sweep   the crossover sweep (d × k)
//
// Counters: rows/s and GFLOP/s (2·n·k·d flops per pass, the same count for
// every kernel, whatever arithmetic it actually does).  The reference kernel
// is float64 scalar and is run on a slice of the rows to keep it short; its
// rates are per row, so they compare directly.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "cpu_features.h"
#include "kernels.h"
extern "C" {
#include "kmeans_init.h"
}

namespace {

constexpr size_t kBlockRows = 4096;  // the core's reduction block

struct Dataset {
  size_t n = 0, d = 0, k = 0;
  std::vector<float> x, c, cn;
};

// Points near k random centroids, in random order: every block sees every
// label, as a shuffled customer table would.  sorted: the same points
// ordered by their centroid (a table sorted by segment: long runs of one
// label, which is where a per-row float64 accumulation chains through
// memory).
std::unique_ptr<Dataset> make_dataset(size_t n, size_t d, size_t k, bool sorted) {
  auto ds = std::make_unique<Dataset>();
  ds->n = n; ds->d = d; ds->k = k;
  ds->x.resize(n * d); ds->c.resize(k * d); ds->cn.resize(k);
  uint64_t s = 0x2545F4914F6CDD1Dull ^ (n * 31 + d * 7 + k);
  auto next = [&s]() {  // xorshift64*
    s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  };
  auto unit = [&next]() { return (float)((double)(next() >> 11) * 0x1.0p-53 * 2.0 - 1.0); };
  for (auto &v : ds->c) v = 4.0f * unit();
  for (size_t l = 0; l < k; l++) {
    float acc = 0.0f;
    for (size_t j = 0; j < d; j++) acc += ds->c[l * d + j] * ds->c[l * d + j];
    ds->cn[l] = acc;
  }
  if (!sorted) {
    for (size_t i = 0; i < n; i++) {
      const float *cl = &ds->c[(next() % k) * d];
      for (size_t j = 0; j < d; j++) ds->x[i * d + j] = cl[j] + 0.5f * unit();
    }
    return ds;
  }
  std::vector<uint32_t> owner(n);
  for (auto &o : owner) o = (uint32_t)(next() % k);
  std::sort(owner.begin(), owner.end());
  for (size_t i = 0; i < n; i++) {
    const float *cl = &ds->c[owner[i] * d];
    for (size_t j = 0; j < d; j++) ds->x[i * d + j] = cl[j] + 0.5f * unit();
  }
  return ds;
}

const Dataset &dataset(size_t n, size_t d, size_t k, bool sorted = false) {
  static std::mutex mu;
  static std::map<std::tuple<size_t, size_t, size_t, bool>, std::unique_ptr<Dataset>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto &slot = cache[{n, d, k, sorted}];
  if (!slot) slot = make_dataset(n, d, k, sorted);
  return *slot;
}

struct AlignedFree { void operator()(void *p) const { std::free(p); } };

struct Case { const char *name; size_t n, d, k; bool sorted; };

const strata_kernels *lookup(const std::string &kernel, size_t d, size_t k) {
  if (kernel == "auto") return strata_kernels_for_shape("auto", d, k);
  return strata_kernels_find(kernel.c_str());
}

// One Lloyd pass per iteration over this thread's share of the rows.
void BM_pass(benchmark::State &state, std::string kernel, Case cs) {
  const strata_kernels *t = lookup(kernel, cs.d, cs.k);
  if (t == nullptr) {
    state.SkipWithError(("table '" + kernel + "' not available on this machine").c_str());
    return;
  }
  // The reference kernel gets a slice of the rows (its rates are per row).
  size_t n = cs.n;
  if (kernel == "ref") {
    const double budget = 4e8;  // (row, centroid, feature) triples per pass
    const size_t cap = (size_t)(budget / (double)(cs.k * cs.d));
    n = std::min(n, std::max(kBlockRows, cap - cap % kBlockRows));
  }
  const Dataset &ds = dataset(cs.n, cs.d, cs.k, cs.sorted);
  const size_t d = cs.d, k = cs.k;
  const size_t nthreads = (size_t)state.threads(), tid = (size_t)state.thread_index();
  const size_t begin = n * tid / nthreads, end = n * (tid + 1) / nthreads;

  const size_t sbytes = (t->lloyd.scratch_bytes(&t->ctx, kBlockRows, d, k) + 63) & ~(size_t)63;
  std::unique_ptr<void, AlignedFree> scratch_mem(sbytes ? std::aligned_alloc(64, sbytes) : nullptr);
  strata_scratch scratch = {scratch_mem.get(), sbytes};
  std::vector<int32_t> labels(kBlockRows);
  std::vector<double> sums(k * d);
  std::vector<int64_t> counts(k);

  for (auto _ : state) {
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    strata_block_acc acc = {sums.data(), counts.data(), 0.0};
    for (size_t i0 = begin; i0 < end; i0 += kBlockRows) {
      const size_t nr = std::min(kBlockRows, end - i0);
      t->lloyd.assign_reduce(&t->ctx, &ds.x[i0 * d], nr, d, d, ds.c.data(), ds.cn.data(), k, labels.data(),
                       nullptr, &acc, scratch);
    }
    benchmark::DoNotOptimize(acc.inertia);
    benchmark::DoNotOptimize(labels.data());
    benchmark::ClobberMemory();
  }
  const double rows = (double)(end - begin) * (double)state.iterations();
  state.counters["rows/s"] = benchmark::Counter(rows, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * rows * (double)k * (double)d * 1e-9, benchmark::Counter::kIsRate);
  state.counters["rows/iter"] = (double)(end - begin);
  state.SetLabel(t->name);
}

// k-means++ step: distances of a block to 64 candidates.
void BM_dist2_to_points(benchmark::State &state, std::string kernel, Case cs) {
  const strata_kernels *t = strata_kernels_find(kernel.c_str());
  if (t == nullptr) {
    state.SkipWithError(("table '" + kernel + "' not available on this machine").c_str());
    return;
  }
  const Dataset &ds = dataset(cs.n, cs.d, cs.k);
  const size_t d = cs.d, m = cs.k, n = kernel == "ref" ? std::min<size_t>(cs.n, 65536) : cs.n;
  const size_t sbytes = (t->lloyd.scratch_bytes(&t->ctx, kBlockRows, d, m) + 63) & ~(size_t)63;
  std::unique_ptr<void, AlignedFree> scratch_mem(sbytes ? std::aligned_alloc(64, sbytes) : nullptr);
  strata_scratch scratch = {scratch_mem.get(), sbytes};
  std::vector<float> out(m * kBlockRows);
  for (auto _ : state) {
    for (size_t i0 = 0; i0 < n; i0 += kBlockRows) {
      const size_t nr = std::min(kBlockRows, n - i0);
      t->seed.dist2_to_points(&t->ctx, &ds.x[i0 * d], nr, d, d, ds.c.data(), m, out.data(), scratch);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double rows = (double)n * (double)state.iterations();
  state.counters["rows/s"] = benchmark::Counter(rows, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * rows * (double)m * (double)d * 1e-9, benchmark::Counter::kIsRate);
  state.SetLabel(t->name);
}

// Whole greedy k-means++ (strata_init_kmeanspp, 2 threads, wall time) on
// an in-memory sample: cs.n rows, cs.d, k = cs.k.  Variants of the avx512
// table show what each of its k-means++ slots gives: "avx512" as shipped
// (half-precision rows and the 8-bit screen where the CPU has VNNI),
// "avx512-noscreen" without the screen, "avx512-float" without the half
// precision path either.
void BM_kmeanspp(benchmark::State &state, std::string variant, Case cs) {
  const bool avx512 = variant.rfind("avx512", 0) == 0;
  const strata_kernels *base = strata_kernels_find(avx512 ? "avx512" : variant.c_str());
  if (base == nullptr) {
    state.SkipWithError(("table '" + variant + "' not available on this machine").c_str());
    return;
  }
  strata_kernels t = *base;
  if (variant == "avx512-noscreen" || variant == "avx512-float") t.seed.dist2_packed_half_below = nullptr;
  if (variant == "avx512-float") {
    t.seed.packed_half_bytes = nullptr;
    t.seed.pack_rows_half = nullptr;
    t.seed.dist2_packed_half = nullptr;
    t.seed.round_half = nullptr;
  }
  const Dataset &ds = dataset(cs.n, cs.d, cs.k);
  std::vector<double> centers(cs.k * cs.d);
  strata_init_job job = {nullptr, &t, 2, ds.x.data(), cs.n, cs.d, cs.k, 0, 42, 0};
  for (auto _ : state) {
    if (strata_init_kmeanspp(&job, centers.data()) != STRATA_OK) {
      state.SkipWithError(strata_last_error());
      return;
    }
    benchmark::DoNotOptimize(centers.data());
  }
  // Pair-dims: every step measures all rows against 2 + ln k candidates.
  const double trials = 2.0 + std::floor(std::log((double)cs.k));
  state.counters["Gpairdim/s"] = benchmark::Counter(
      (double)state.iterations() * (double)(cs.k - 1) * trials * (double)cs.n * (double)cs.d * 1e-9,
      benchmark::Counter::kIsRate);
  state.SetLabel(variant);
}

}  // namespace

// For --benchmark_repetitions: the least disturbed run.
double min_of(const std::vector<double> &v) { return *std::min_element(v.begin(), v.end()); }

int main(int argc, char **argv) {
  // Pin OpenBLAS to one thread before anything runs: its pool starts at load
  // and idle workers spin, which would be charged to every benchmark.
  strata_kernels_find("blas");

  // The target shapes from the performance issue.
  static const Case cases[] = {
    {"n1e6_d16_k8", 1000000, 16, 8, false},
    {"n1e6_d32_k64", 1000000, 32, 64, false},
    {"n2e5_d128_k1024", 200000, 128, 1024, false},
    {"n1e7_d8_k10", 10000000, 8, 10, false},
    {"n2e4_d300_k2000", 20000, 300, 2000, false},
  };
  static const char *const kernels[] = {"ref", "avx2", "avx512", "blas-avx2", "blas-avx512", "auto"};
  for (const Case &cs : cases)
    for (const char *kn : kernels) {
      // Single-threaded rates use CPU time, which other processes on a shared
      // machine disturb least; the 2-thread run needs wall time.
      auto *b = benchmark::RegisterBenchmark((std::string("pass/") + cs.name + "/" + kn).c_str(),
                                             BM_pass, std::string(kn), cs);
      b->Unit(benchmark::kMillisecond)->ComputeStatistics("min", min_of);
      if (std::string(kn) == "auto") {
        benchmark::RegisterBenchmark((std::string("pass/") + cs.name + "/auto").c_str(), BM_pass,
                                     std::string(kn), cs)
            ->Unit(benchmark::kMillisecond)->UseRealTime()->Threads(2)
            ->ComputeStatistics("min", min_of);
      }
    }
  // The small cases with their rows sorted by segment (see make_dataset).
  static const Case sorted_cases[] = {
    {"n1e6_d16_k8_sorted", 1000000, 16, 8, true},
    {"n1e7_d8_k10_sorted", 10000000, 8, 10, true},
  };
  for (const Case &cs : sorted_cases)
    for (const char *kn : {"avx2", "avx512"})
      benchmark::RegisterBenchmark((std::string("pass/") + cs.name + "/" + kn).c_str(), BM_pass,
                                   std::string(kn), cs)
          ->Unit(benchmark::kMillisecond)->ComputeStatistics("min", min_of);
  static const Case kpp[] = {{"n2e5_d32_m64", 200000, 32, 64, false}};
  for (const Case &cs : kpp)
    for (const char *kn : {"ref", "avx2", "avx512"})
      benchmark::RegisterBenchmark((std::string("kpp/") + cs.name + "/" + kn).c_str(),
                                   BM_dist2_to_points, std::string(kn), cs)
          ->Unit(benchmark::kMillisecond)->ComputeStatistics("min", min_of);

  // k-means++ at k = 1024 on the init sample fit would draw for the
  // 2e5 x 128 case (40 k rows).
  static const Case init_cases[] = {{"m40960_d128_k1024", 40960, 128, 1024, false}};
  for (const Case &cs : init_cases)
    for (const char *v : {"avx512", "avx512-noscreen", "avx512-float", "avx2"})
      benchmark::RegisterBenchmark((std::string("init/") + cs.name + "/" + v).c_str(), BM_kmeanspp,
                                   std::string(v), cs)
          ->Unit(benchmark::kMillisecond)->UseRealTime()->ComputeStatistics("min", min_of);

  // Crossover sweep between the direct kernels and sgemm.
  static const size_t sweep_d[] = {8, 16, 32, 64, 128, 300};
  static const size_t sweep_k[] = {8, 16, 32, 64, 128, 256, 512, 1024, 2000};
  for (size_t d : sweep_d)
    for (size_t k : sweep_k)
      for (const char *kn : {"avx2", "blas-avx2", "avx512", "blas-avx512"}) {
        Case cs = {"sweep", 32768, d, k, false};
        char name[96];
        std::snprintf(name, sizeof name, "sweep/d%zu_k%zu/%s", d, k, kn);
        benchmark::RegisterBenchmark(name, BM_pass, std::string(kn), cs)
            ->Unit(benchmark::kMillisecond)->ComputeStatistics("min", min_of);
      }

  const strata_cpu_info *info = strata_cpu_info_get();
  benchmark::AddCustomContext("cpu_brand", info->brand);
  benchmark::AddCustomContext("isa_selected", strata_isa_name(info->selected));
  benchmark::AddCustomContext("openblas_core", strata_kernels_blas_info());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
