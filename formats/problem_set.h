/* Problem sets: text files of one problem per line, `key=value` fields over the defaults
 * (name= C=1 H= W=H N=1 groups=1 KH= KW=KH mode=same boundary=constant op=corr stride=1
 * kernel=), `#` starting a comment.  H is required, and KH unless kernel= is given; name
 * defaults to a description of the problem.
 *
 * kernel=SPEC gives the problem real weights instead of random ones: any named kernel of
 * `convbench apply --kernel` (gaussian:K:SIGMA, box:K, binomial:K, sobel-x, identity, ...),
 * applied to each of the C channels alone (kernel_bank_from_spec), so it fixes N = groups = C
 * and KH, KW.  A line that also gives N, groups, K, KH or KW must agree with it (else an
 * error); one that does not takes them from the kernel.  Kernel files (.npy) are not allowed:
 * a problem, and every CSV row made from it, is then described by its text alone.
 *
 * match=METHOD (ccoeff, ccoeff_normed, sqdiff, sqdiff_normed) makes the line template
 * matching: an image of C x H x W and a random template of C x KH x KW (K= sets both); the
 * correlation's other fields (N, groups, stride, mode, boundary, fill, op) and kernel= are
 * refused, as the match fixes them (cb_match_conv_problem).  Default name
 * "match-ccoeff_normed-c1-1024x1024-t16x16". */
#ifndef CONVBENCH_PROBLEM_SET_H
#define CONVBENCH_PROBLEM_SET_H

#include "convbench.h"

#define PROBLEM_NAME_SIZE 64
/* A kernel spec's bytes, with its NUL ("gaussian:1024:0.123456789" fits easily). */
#define PROBLEM_KERNEL_SIZE 64
/* Characters a line may have (not counting its end); a problem set may be 16 MiB. */
#define PROBLEM_LINE_MAX 1023
#define PROBLEM_SET_MAX_BYTES ((int64_t)16 << 20)

typedef struct {
    char name[PROBLEM_NAME_SIZE];
    char kernel[PROBLEM_KERNEL_SIZE]; /* kernel= spec, or "" for random weights */
    cb_problem problem;  /* for a match: the correlation it runs (cb_match_conv_problem) */
    bool match;          /* template matching rather than a convolution */
    cb_match_method match_method;
} named_problem;

/* The match problem of a match= line (np->match). */
cb_match_problem named_match_problem(const named_problem *np);
/* The bench CSV's task column: "convolution", or "match:METHOD". */
void problem_task_name(const named_problem *np, char *buf, size_t size);

/* What the bench CSV's `weights` column and `list --problems` say: the spec, or "random". */
const char *problem_weights_name(const named_problem *p);

typedef struct {
    named_problem *items;
    int count;
} problem_list;

/* Appends the problems of one file; on the first bad line returns false with
 * "FILE:LINE: reason" in why (the list keeps what came before). */
bool problem_set_load(const char *path, problem_list *list, char *why, size_t why_size);
/* Parses one line's text (without the comment) into a problem; false with a reason.  Returns
 * true with *empty set for a blank line. */
bool problem_line_parse(const char *line, named_problem *out, bool *empty, char *why,
                        size_t why_size);
/* Appends one problem (copies it). */
bool problem_list_add(problem_list *list, const named_problem *p);
void problem_list_free(problem_list *list);
/* A short default name such as "c3-1024x1024-k7-s2-same". */
void problem_default_name(const cb_problem *p, char *buf, size_t size);

#endif
