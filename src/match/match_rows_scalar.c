/* The portable build of match_rows_body.h. */
#include "match_rows.h"

#define MATCH_ROWS match_rows_scalar
#include "match_rows_body.h"

int64_t match_rows_space(int64_t C, int64_t W, int64_t TW)
{
    const int64_t OW = W - TW + 1, chunk = OW < MATCH_ROWS_CHUNK ? OW : MATCH_ROWS_CHUNK;
    return 2 * C * W + 2 * (chunk + TW) + 4 * chunk;
}
