/* printable: text from files and arguments made safe to show on one terminal line.
 *
 * Names, tokens and paths reach messages from places the user (or an attacker) controls: a
 * .npy header key, a problem-file token, an option value, a file name.  Raw, their control
 * characters would move the cursor, clear the screen or start a new line, so an error would no
 * longer be one line.  Here every byte below 0x20, DEL, every byte that is not part of valid
 * UTF-8 and the C1 controls U+0080..U+009F become visible escapes (\n, \r, \t, \e, \xHH);
 * printable ASCII and valid UTF-8 text pass unchanged, and a backslash stays a backslash. */
#ifndef CONVBENCH_PRINTABLE_H
#define CONVBENCH_PRINTABLE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether text would be shown unchanged by cb_printable. */
bool cb_is_printable(const char *text);

/* Escapes text into out (always terminated; cut at a whole escape when out is too small). */
void cb_printable(const char *text, char *out, size_t out_size);

/* A path (or any long value) for a message: escaped as above and, when that is longer than
 * CB_SHOWN_PATH_MAX bytes, shortened to its start and end joined by "..." with its length in
 * bytes, so the reason after it in a CB_WHY_SIZE message is never cut off
 * ("cannot create aaaa...aaaa.npy (1029 bytes): File name too long"). */
#define CB_SHOWN_PATH_MAX 100
#define CB_SHOWN_PATH_SIZE (CB_SHOWN_PATH_MAX + 32)
void cb_shown_path(const char *path, char *out, size_t out_size);

#endif
