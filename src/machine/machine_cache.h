/* machine_cache: the file that keeps cb_machine_get's figures between processes, and what
 * identifies the CPU they were measured on.
 *
 * The file is machine-v1.txt in the cache directory (src/files/cache_dir.h); the version is
 * in the name, so a later format is another file and never misread.  It is text, one
 * `field=value` per line; lines starting with '#' and empty lines are comments:
 *
 *     # convbench machine figures (cb_machine_get) ...
 *     cpu=AMD EPYC 9R14 96-Core Processor      the CPUID brand string, printable ASCII
 *     cpus=2                                   online CPUs
 *     isas=scalar avx2 avx512                  the ISAs cb_cpu_has, in cb_isa order
 *     mflops.scalar.t1=52512                   FP32 peak in MFLOP/s: one thread (t1) and
 *     mflops.scalar.tN=99612                     all online CPUs (tN); 0 for a missing ISA
 *     mflops.avx2.t1=...    mflops.avx2.tN=...    mflops.avx512.t1=...    mflops.avx512.tN=...
 *     copy_mbs.t1=41234                        streaming copy in MB/s (read + written)
 *     copy_mbs.tN=50321
 *
 * The first three fields are the key: figures measured on another CPU model, CPU count or ISA
 * set (a VM moved to other hardware, CPUs taken offline, AVX-512 masked by a hypervisor) are
 * not this machine's.  Figures are whole numbers of MFLOP/s and MB/s: read without the locale
 * (a decimal comma would make "52.5" another number), exact to a thousandth of the GFLOP/s and
 * GB/s a cb_machine holds, far finer than their noise.  Every field must be there exactly once,
 * and nothing else; anything else, or implausible figures, is not trusted. */
#ifndef CONVBENCH_MACHINE_CACHE_H
#define CONVBENCH_MACHINE_CACHE_H

#include "convbench.h"

#define MACHINE_CACHE_NAME "machine-v1.txt"

/* What identifies the CPU figures belong to. */
typedef struct machine_key {
    char cpu[49];  /* CPUID brand string (48 bytes at most), trimmed; "unknown" without one */
    int cpus;      /* online CPUs, peak_cpu_count() */
    char isas[32]; /* "scalar avx2 avx512": the ISAs cb_cpu_has, separated by spaces */
} machine_key;

/* This machine's key. */
void machine_key_here(machine_key *key);

/* Thread counts of the two columns of cb_machine: 1, and all online CPUs up to
 * PEAK_MAX_THREADS (the figure of a machine with more is measured on that many). */
int machine_threads_of_column(int cpus, int column);

/* Whether m's figures can be this machine's (key: machine_key_here()): cpus matches, each
 * figure finite, positive and below the physical ceiling (peak_gflops_ceiling, 1 TB/s of copy
 * per thread) for an ISA this CPU has, exactly 0 for one it lacks.  If not, false with the
 * first figure that is not. */
bool machine_plausible(const cb_machine *m, const machine_key *key, char *why, size_t why_size);

/* Reads the file at path into m (through cb_input_file_open: a regular file of at most a few
 * KiB, so a FIFO or device planted there is refused without blocking).  False with a reason
 * when it cannot be read, is malformed, belongs to another key or is implausible; m is then
 * unchanged. */
bool machine_cache_read(const char *path, const machine_key *key, cb_machine *m, char *why,
                        size_t why_size);

/* Writes key and m to path with atomic_file (a temporary file renamed over the old one, so a
 * reader never sees half a file and a planted link is never written through).  False with a
 * reason ("cannot create ...: Read-only file system") when it cannot. */
bool machine_cache_write(const char *path, const machine_key *key, const cb_machine *m,
                         char *why, size_t why_size);

#endif
