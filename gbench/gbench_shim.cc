// The one C++ file of convbench: Google Benchmark behind the C functions of gbench_shim.h.
// Every entry point catches all exceptions, so none ever unwinds into C frames.
#include "gbench_shim.h"

#include <benchmark/benchmark.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <ostream>
#include <string>

namespace {

// Google Benchmark 1.7 answers some bad flag values by printing its usage and exiting with
// status 0 (which a script takes for success), and others with a message of its own before
// ours.  Those flags are checked here first, so that any bad value gets one line and status 2.
// VALUE_NUMBER: finite, >= 0; VALUE_COUNT: integer >= 1; VALUE_INT32: any 32-bit integer.
enum value_kind { VALUE_CHOICE, VALUE_NUMBER, VALUE_COUNT, VALUE_INT32, VALUE_NONEMPTY };

struct checked_flag {
    const char *prefix;  // "--name="
    value_kind kind;
    const char *choices[5];
};

const checked_flag checked_flags[] = {
    {"--benchmark_format=", VALUE_CHOICE, {"console", "json", "csv", nullptr}},
    {"--benchmark_out_format=", VALUE_CHOICE, {"console", "json", "csv", nullptr}},
    {"--benchmark_time_unit=", VALUE_CHOICE, {"ns", "us", "ms", "s", nullptr}},
    {"--benchmark_min_time=", VALUE_NUMBER, {nullptr}},
    {"--benchmark_min_warmup_time=", VALUE_NUMBER, {nullptr}},
    {"--benchmark_repetitions=", VALUE_COUNT, {nullptr}},
    {"--v=", VALUE_INT32, {nullptr}},
    {"--benchmark_color=", VALUE_NONEMPTY, {nullptr}},
};

bool value_ok(const checked_flag &flag, const char *value)
{
    char *end = nullptr;
    errno = 0;
    switch (flag.kind) {
    case VALUE_CHOICE:
        for (const char *const *c = flag.choices; *c; c++)
            if (std::strcmp(value, *c) == 0) return true;
        return false;
    case VALUE_NUMBER: {
        double v = std::strtod(value, &end);
        return *value && !std::isspace((unsigned char)*value) && !*end && !errno &&
               std::isfinite(v) && v >= 0;
    }
    case VALUE_COUNT:
    case VALUE_INT32: {
        long long v = std::strtoll(value, &end, 10);
        long long min = flag.kind == VALUE_COUNT ? 1 : INT32_MIN;
        return *value && !std::isspace((unsigned char)*value) && !*end && !errno && v >= min &&
               v <= INT32_MAX;
    }
    case VALUE_NONEMPTY:
        return *value != '\0';
    }
    return false;
}

// Whether argument `arg` is none of the checked flags, or one with a value it accepts.
bool argument_ok(const char *arg)
{
    for (const checked_flag &flag : checked_flags) {
        size_t n = std::strlen(flag.prefix);
        if (std::strncmp(arg, flag.prefix, n) == 0) return value_ok(flag, arg + n);
    }
    return true;
}

// argv[0] of gbench_initialize, for messages.
const char *program = "gbench";

const char *program_name(char **argv) { return argv && argv[0] ? argv[0] : program; }

int report_unrecognized(int argc, char **argv)
{
    if (argc < 2) return 0;
    std::fprintf(stderr, "%s: unknown option '%s'", program_name(argv), argv[1]);
    if (argc > 2) std::fprintf(stderr, " (and %d more)", argc - 2);
    std::fprintf(stderr, "; see --help\n");
    return 2;
}

// --benchmark_out and --benchmark_out_format as given (the last of each counts, as in Google
// Benchmark), noted before benchmark::Initialize takes them out of argv.
std::string out_path, out_format = "json";

void note_out_flag(const char *arg)
{
    static const char out[] = "--benchmark_out=", format[] = "--benchmark_out_format=";
    if (std::strncmp(arg, out, sizeof out - 1) == 0) out_path = arg + sizeof out - 1;
    if (std::strncmp(arg, format, sizeof format - 1) == 0) out_format = arg + sizeof format - 1;
}

// Whether a write of the --benchmark_out file failed, and its errno if still known (a write
// that failed before the final flush leaves only the stream's state).
bool out_write_failed = false;
int out_write_errno = 0;

// The reporter of the --benchmark_out file, made here instead of by Google Benchmark: 1.7
// writes that file through an ofstream whose state it never checks, so a full disk (or
// /dev/full) gave a truncated file and exit status 0.  Finalize, called after the last
// benchmark, flushes the stream and records whether any write failed.
template <class Base> class checked_file_reporter : public Base {
  public:
    using Base::Base;
    void Finalize() override
    {
        Base::Finalize();
        errno = 0;
        this->GetOutputStream().flush();
        if (!this->GetOutputStream()) {
            out_write_failed = true;
            out_write_errno = errno;
        }
    }
};

// The file reporter for out_format (as Google Benchmark would make it), or none without
// --benchmark_out.
std::unique_ptr<benchmark::BenchmarkReporter> make_file_reporter()
{
    using console = checked_file_reporter<benchmark::ConsoleReporter>;
    if (out_path.empty()) return nullptr;
    if (out_format == "console")
        return std::unique_ptr<benchmark::BenchmarkReporter>(
            new console(benchmark::ConsoleReporter::OO_None));
    if (out_format == "csv") {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        return std::unique_ptr<benchmark::BenchmarkReporter>(
            new checked_file_reporter<benchmark::CSVReporter>());
#pragma GCC diagnostic pop
    }
    return std::unique_ptr<benchmark::BenchmarkReporter>(
        new checked_file_reporter<benchmark::JSONReporter>());
}

}  // namespace

extern "C" int gbench_register(const char *name, gbench_run_fn run, void *context, double flops,
                               double bytes, bool real_time)
{
    try {
        auto body = [run, context, flops, bytes](benchmark::State &state) {
            for (auto _ : state) {
                run(context);
                benchmark::ClobberMemory();
            }
            state.counters["flops"] =
                benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
            state.counters["bytes"] =
                benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
        };
        benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(name, body);
        if (real_time) b->UseRealTime();
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" void gbench_print_help(void)
{
    try {
        benchmark::PrintDefaultHelp();
    } catch (...) {
    }
}

extern "C" int gbench_initialize(int *argc, char **argv)
{
    try {
        program = program_name(argv);
        for (int i = 1; i < *argc; i++) {
            if (!argument_ok(argv[i])) {
                std::fprintf(stderr, "%s: bad value in '%s'; see --help\n", program_name(argv),
                             argv[i]);
                return 2;
            }
            note_out_flag(argv[i]);
        }
        // Convolutions take micro- to milliseconds; --benchmark_time_unit still overrides.
        benchmark::SetDefaultTimeUnit(benchmark::kMicrosecond);
        benchmark::Initialize(argc, argv);
        return report_unrecognized(*argc, argv);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s: Google Benchmark failed: %s\n", program_name(argv), e.what());
        return 2;
    } catch (...) {
        std::fprintf(stderr, "%s: Google Benchmark failed\n", program_name(argv));
        return 2;
    }
}

extern "C" int gbench_run(void)
{
    try {
        std::unique_ptr<benchmark::BenchmarkReporter> file_reporter = make_file_reporter();
        out_write_failed = false;
        if (file_reporter)
            benchmark::RunSpecifiedBenchmarks(nullptr, file_reporter.get());
        else
            benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
        if (out_write_failed) {
            std::fprintf(stderr, "%s: cannot write %s: %s\n", program, out_path.c_str(),
                         out_write_errno ? std::strerror(out_write_errno) : "a write failed");
            return 1;
        }
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s: Google Benchmark failed: %s\n", program, e.what());
        return 1;
    } catch (...) {
        std::fprintf(stderr, "%s: Google Benchmark failed\n", program);
        return 1;
    }
}
