/* The start most plans share (cb_plan_head, method.h): the problem, its shape and the weights
 * as a correlation, made, counted and freed the same way for every method that uses it. */
#include "method.h"

#include <stdio.h>
#include <string.h>

void cb_plan_head_workspace(uint64_t *bytes, size_t size, const cb_problem *p, cb_shape *s)
{
    cb_problem_shape(p, s, NULL, 0);
    *bytes = 0;
    cb_workspace_add(bytes, 1, size);
    cb_workspace_add(bytes, s->weight_elems, sizeof(float));
}

void *cb_plan_head_make(size_t size, const cb_problem *p, const float *weights, char *why,
                        size_t why_size)
{
    cb_plan_head *head = cb_alloc(1, size);
    if (head) {
        memset(head, 0, size);
        head->p = *p;
        cb_problem_shape(p, &head->s, NULL, 0);
        head->weights = cb_alloc((size_t)head->s.weight_elems, sizeof(float));
        if (head->weights) {
            cb_weights_as_correlation(p, weights, head->weights);
            return head;
        }
        cb_free(head);
    }
    snprintf(why, why_size, "out of memory for the plan and its weights");
    return NULL;
}

void *cb_plan_block(void *plan, size_t count, size_t elem_size)
{
    cb_plan_head *head = plan;
    if (head->block_count == CB_PLAN_MAX_BLOCKS) return NULL; /* a method's own limit */
    void *block = cb_alloc(count, elem_size);
    if (block) head->blocks[head->block_count++] = block;
    return block;
}

void cb_plan_head_free(void *plan)
{
    cb_plan_head *head = plan;
    if (!head) return;
    for (int i = 0; i < head->block_count; i++) cb_free(head->blocks[i]);
    cb_free(head->weights);
    cb_free(head);
}
