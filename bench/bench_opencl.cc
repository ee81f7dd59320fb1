// OpenCL backend benchmarks: one Lloyd pass (assignment + exact reduction,
// as core/lloyd.c drives a run) per iteration, on the standard cases, for
// every usable OpenCL device, with the data kept on the device ("resident",
// what a fit does when the data fits) and streamed every pass ("stream").
// Chunks are cut as core/pass.c cuts them (about 8 MiB of rows).
//
//   bench_opencl                         every case, every device
//   bench_opencl --benchmark_filter=d16  one case
//
// Counters: rows/s, GFLOP/s (2·n·k·d per pass, the count bench_kernels
// uses), ms per pass (the per-iteration time of a fit on this backend).
// Compare with bench_kernels' pass/<case>/auto at 2 threads for the CPU.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "exact.h"
#include "kernels.h"
#include "opencl.h"

namespace {

constexpr size_t kBlockRows = 4096;
constexpr size_t kChunkBytes = 8u << 20;  // core/pass.c's target chunk

struct Case { const char *name; size_t n, d, k; };

// Points near k random centroids (the layout of bench_kernels' data).
struct Data {
  std::vector<float> x, c, cn;
  std::vector<double> scale;
};

Data make_data(const Case &cs) {
  Data ds;
  ds.x.resize(cs.n * cs.d);
  ds.c.resize(cs.k * cs.d);
  ds.cn.resize(cs.k);
  uint64_t s = 0x2545F4914F6CDD1Dull ^ (cs.n * 31 + cs.d * 7 + cs.k);
  auto next = [&s]() { s ^= s >> 12; s ^= s << 25; s ^= s >> 27; return s * 0x2545F4914F6CDD1Dull; };
  auto unit = [&next]() { return (float)((double)(next() >> 11) * 0x1.0p-53 * 2.0 - 1.0); };
  for (auto &v : ds.c) v = 4.0f * unit();
  for (size_t l = 0; l < cs.k; l++) {
    double acc = 0.0;
    for (size_t j = 0; j < cs.d; j++) acc += (double)ds.c[l * cs.d + j] * ds.c[l * cs.d + j];
    ds.cn[l] = (float)acc;
  }
  for (size_t i = 0; i < cs.n; i++) {
    const float *cl = &ds.c[(next() % cs.k) * cs.d];
    for (size_t j = 0; j < cs.d; j++) ds.x[i * cs.d + j] = cl[j] + 0.5f * unit();
  }
  ds.scale.resize(cs.d);
  for (size_t j = 0; j < cs.d; j++) {
    double bound = 0.0;
    for (size_t i = 0; i < cs.n; i++) bound = std::fmax(bound, std::fabs(ds.x[i * cs.d + j]));
    ds.scale[j] = std::ldexp(1.0, strata_fixed_exponent(bound, (double)cs.n));
  }
  return ds;
}

void BM_run_pass(benchmark::State &state, size_t dev, Case cs, bool resident) {
  const strata_kernels *t = strata_ocl_table(dev);
  if (!t || strata_ocl_prepare(nullptr, dev, cs.k) != STRATA_OK) {
    state.SkipWithError(("opencl device unusable: " + std::string(strata_last_error())).c_str());
    return;
  }
  static Case cached_case = {nullptr, 0, 0, 0};
  static Data data;
  if (cached_case.name != cs.name) {
    data = make_data(cs);
    cached_case = cs;
  }
  const size_t nb = (cs.n + kBlockRows - 1) / kBlockRows;
  std::vector<strata_run_block> blocks(nb);
  for (size_t b = 0; b < nb; b++)
    blocks[b] = {&data.x[b * kBlockRows * cs.d], std::min(kBlockRows, cs.n - b * kBlockRows), b * kBlockRows};
  size_t chunk = kChunkBytes / (cs.d * sizeof(float)) / kBlockRows;
  if (chunk == 0) chunk = 1;
  std::vector<int32_t> labels(cs.n);
  std::vector<strata_fixed128> sums(cs.k * cs.d);
  std::vector<int64_t> counts(cs.k);
  double inertia = 0.0;

  if (resident) unsetenv("STRATA_OPENCL_RESIDENT");
  else setenv("STRATA_OPENCL_RESIDENT", "0", 1);
  strata_run_config cfg = {nullptr, cs.n, cs.d, cs.k, 2, nullptr, data.scale.data()};
  strata_kernel_run *run = nullptr;
  if (t->run.run_open(&t->ctx, &cfg, &run) != STRATA_OK) {
    state.SkipWithError(strata_last_error());
    return;
  }
  unsetenv("STRATA_OPENCL_RESIDENT");
  auto pass = [&]() {
    strata_status st = t->run.run_set_centroids(run, data.c.data(), data.cn.data());
    if (st == STRATA_OK) st = t->run.run_begin_pass(run);
    size_t off = 0;
    for (size_t b0 = 0; st == STRATA_OK && b0 < nb; b0 += chunk) {
      const size_t n = std::min(chunk, nb - b0);
      st = t->run.run_chunk(run, &blocks[b0], n, &labels[off], nullptr);
      for (size_t b = b0; b < b0 + n; b++) off += blocks[b].m;
    }
    if (st == STRATA_OK) st = t->run.run_end_pass(run, sums.data(), counts.data(), &inertia);
    return st;
  };
  if (pass() != STRATA_OK) {  // warm-up: buffers, and the first upload when resident
    state.SkipWithError(strata_last_error());
    t->run.run_close(run);
    return;
  }
  for (auto _ : state) {
    if (pass() != STRATA_OK) {
      state.SkipWithError(strata_last_error());
      break;
    }
    benchmark::DoNotOptimize(inertia);
    benchmark::ClobberMemory();
  }
  t->run.run_close(run);
  const double rows = (double)cs.n * (double)state.iterations();
  state.counters["rows/s"] = benchmark::Counter(rows, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * rows * (double)cs.k * (double)cs.d * 1e-9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(strata_ocl_device(dev)->name) + (resident ? " (resident)" : " (stream)"));
}

}  // namespace

int main(int argc, char **argv) {
  static const Case cases[] = {
      {"n1e6_d16_k8", 1000000, 16, 8},
      {"n1e6_d32_k64", 1000000, 32, 64},
      {"n2e5_d128_k1024", 200000, 128, 1024},
      {"n1e7_d8_k10", 10000000, 8, 10},
  };
  const size_t ndev = strata_ocl_device_count();
  if (ndev == 0) std::fprintf(stderr, "bench_opencl: no OpenCL device (%s)\n", strata_ocl_discovery_note());
  for (const Case &cs : cases)
    for (size_t dev = 0; dev < ndev; dev++)
      for (bool resident : {true, false}) {
        std::string name = std::string("run/") + cs.name + "/opencl:" + std::to_string(dev) +
                           (resident ? "/resident" : "/stream");
        benchmark::RegisterBenchmark(name.c_str(), BM_run_pass, dev, cs, resident)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();  // the device works on other threads
      }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
