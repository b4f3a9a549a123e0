/* The AVX-512 build of match_rows_body.h: the same source, vectorised by the compiler. */
#include "match_rows.h"

#define MATCH_ROWS match_rows_avx512
#include "match_rows_body.h"
