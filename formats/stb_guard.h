/* stb_guard: corrupt JPEG and PNG files on which the packaged stb_image (2.27, Debian's libstb)
 * reads or writes outside its memory, or allocates gigabytes for a few bytes, recognised before
 * stb sees them.  fuzz/fuzz_picture found each; stb 2.28 fixes most, but the program links the
 * distribution's stb. */
#ifndef CONVBENCH_HARNESS_STB_GUARD_H
#define CONVBENCH_HARNESS_STB_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STB_HAZARD_SIZE 128

/* Reads fp from its current position (the file's start) to the end, or to where stb would stop.
 * False with a reason such as "corrupt JPEG: a Huffman table holds more than 256 symbols" when
 * the file is one of those; true for anything else, every other judgement being stb's. */
bool stb_guard_check(FILE *fp, int64_t file_size, char *reason, size_t reason_size);

#endif
