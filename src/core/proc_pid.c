/* SPDX-License-Identifier: MIT */
/* proc_pid — the pid → proc index: a chained hash with power-of-two buckets, grown at load factor
 * 1, so that the one catch-all ev_child finds the process of any exit in O(1) (and an unknown pid is
 * an adopted orphan). */
#include "core/proc_int.h"

#include <stdint.h>
#include <stdlib.h>

#include "shared/util.h"

static struct {
        struct proc **buckets;
        size_t nbuckets, count;
} S;

static size_t
pid_slot(pid_t pid, size_t nbuckets)
{
        return (size_t)(((uint32_t)pid * 2654435761u) & (uint32_t)(nbuckets - 1));
}

static void
pid_grow(void)
{
        size_t n = S.nbuckets ? S.nbuckets * 2 : 64;
        struct proc **b = xcalloc(n, sizeof *b);

        for (size_t i = 0; i < S.nbuckets; i++)
                for (struct proc *q = S.buckets[i], *next; q; q = next) {
                        next = q->in->pid_next;
                        size_t s = pid_slot(q->pid, n);
                        q->in->pid_next = b[s];
                        b[s] = q;
                }
        free(S.buckets);
        S.buckets = b;
        S.nbuckets = n;
}

void
proc_pid_insert(struct proc *p)
{
        if (S.count + 1 > S.nbuckets)
                pid_grow();
        size_t s = pid_slot(p->pid, S.nbuckets);
        p->in->pid_next = S.buckets[s];
        S.buckets[s] = p;
        S.count++;
}

void
proc_pid_remove(struct proc *p)
{
        if (!S.nbuckets || p->pid <= 0)
                return;
        for (struct proc **pp = &S.buckets[pid_slot(p->pid, S.nbuckets)]; *pp; pp = &(*pp)->in->pid_next)
                if (*pp == p) {
                        *pp = p->in->pid_next;
                        p->in->pid_next = NULL;
                        S.count--;
                        return;
                }
}

struct proc *
proc_by_pid(pid_t pid)
{
        if (!S.nbuckets || pid <= 0)
                return NULL;
        for (struct proc *q = S.buckets[pid_slot(pid, S.nbuckets)]; q; q = q->in->pid_next)
                if (q->pid == pid)
                        return q;
        return NULL;
}

size_t
proc_count_running(void)
{
        return S.count;
}
