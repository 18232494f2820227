#include "logset.h"

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The records of one chain in one piece. */
typedef struct mc_segment {
    int piece;
    int chain;
    char first_prev[MC_HASH_HEX + 1];
    char last_hash[MC_HASH_HEX + 1];
    uint64_t first_line, last_line, records;
    char first_time[64], last_time[64];
    int after_bad; /* the chain's previous line in this piece was a bad record */
    /* For ordering pieces only: the "prev" of the first and the "hash" of
     * the last line of the chain, as the lines say even when they are bad,
     * so that one damaged record does not scramble the order. */
    char claimed_first[MC_HASH_HEX + 1];
    char claimed_last[MC_HASH_HEX + 1];
    int claims;
} mc_segment_t;

typedef struct mc_piece {
    const char *name;
    apr_hash_t *segments;        /* chain name -> mc_segment_t* */
    apr_array_header_t *problems; /* mc_logset_problem_t, in line order */
    int order;
} mc_piece_t;

typedef struct mc_chain_state {
    mc_logset_chain_t pub;
    apr_array_header_t *segments; /* mc_segment_t*, in the given piece order */
} mc_chain_state_t;

struct mc_logset {
    apr_pool_t *pool;
    apr_array_header_t *pieces; /* mc_piece_t* */
    apr_array_header_t *chains; /* mc_chain_state_t* */
    apr_hash_t *chain_index;    /* name -> mc_chain_state_t* */
    int *order;                 /* order[i] = the piece used i-th */
    int reordered;
    uint64_t problem_count;
    apr_array_header_t *sorted; /* mc_logset_problem_t, after finish */
};

mc_logset_t *mc_logset_create(apr_pool_t *p)
{
    mc_logset_t *s = apr_pcalloc(p, sizeof(*s));

    s->pool = p;
    s->pieces = apr_array_make(p, 4, sizeof(mc_piece_t *));
    s->chains = apr_array_make(p, 4, sizeof(mc_chain_state_t *));
    s->chain_index = apr_hash_make(p);
    return s;
}

void mc_logset_piece(mc_logset_t *s, const char *name)
{
    mc_piece_t *piece = apr_pcalloc(s->pool, sizeof(*piece));

    piece->name = apr_pstrdup(s->pool, name);
    piece->segments = apr_hash_make(s->pool);
    piece->problems = apr_array_make(s->pool, 2, sizeof(mc_logset_problem_t));
    APR_ARRAY_PUSH(s->pieces, mc_piece_t *) = piece;
}

static mc_piece_t *mc_logset_current(mc_logset_t *s)
{
    if (s->pieces->nelts == 0)
        mc_logset_piece(s, "(input)");
    return APR_ARRAY_IDX(s->pieces, s->pieces->nelts - 1, mc_piece_t *);
}

void mc_logset_problem(mc_logset_t *s, uint64_t line_no, const char *chain, const char *reason)
{
    mc_piece_t *piece = mc_logset_current(s);
    mc_logset_problem_t *pb;

    s->problem_count++;
    /* Lines arrive in order, so the first ones of each piece are the ones
     * that can be first in the set. */
    if (piece->problems->nelts >= MC_LOGSET_PROBLEMS_MAX)
        return;
    pb = apr_array_push(piece->problems);
    pb->piece = piece->name;
    pb->line = line_no;
    pb->chain = chain ? apr_pstrdup(s->pool, chain) : NULL;
    pb->reason = apr_pstrdup(s->pool, reason);
    pb->order = 0;
}

static mc_chain_state_t *mc_logset_chain_get(mc_logset_t *s, const char *name)
{
    mc_chain_state_t *c = apr_hash_get(s->chain_index, name, APR_HASH_KEY_STRING);

    if (!c) {
        c = apr_pcalloc(s->pool, sizeof(*c));
        c->pub.name = apr_pstrdup(s->pool, name);
        c->segments = apr_array_make(s->pool, 2, sizeof(mc_segment_t *));
        apr_hash_set(s->chain_index, c->pub.name, APR_HASH_KEY_STRING, c);
        APR_ARRAY_PUSH(s->chains, mc_chain_state_t *) = c;
    }
    return c;
}

static mc_segment_t *mc_logset_segment(mc_logset_t *s, mc_piece_t *piece, const char *chain)
{
    mc_segment_t *seg = apr_hash_get(piece->segments, chain, APR_HASH_KEY_STRING);
    mc_chain_state_t *c;

    if (seg)
        return seg;
    c = mc_logset_chain_get(s, chain);
    seg = apr_pcalloc(s->pool, sizeof(*seg));
    seg->piece = s->pieces->nelts - 1;
    seg->chain = -1;
    for (int i = 0; i < s->chains->nelts; i++) {
        if (APR_ARRAY_IDX(s->chains, i, mc_chain_state_t *) == c)
            seg->chain = i;
    }
    apr_hash_set(piece->segments, c->pub.name, APR_HASH_KEY_STRING, seg);
    APR_ARRAY_PUSH(c->segments, mc_segment_t *) = seg;
    return seg;
}

/* Copies the string field KEY of OBJ to OUT if it is 64 characters. */
static void mc_claim(const json_t *obj, const char *key, char *out)
{
    const json_t *v = json_object_get(obj, key);

    if (json_is_string(v) && json_string_length(v) == MC_HASH_HEX)
        memcpy(out, json_string_value(v), MC_HASH_HEX + 1);
}

static void mc_segment_claims(mc_segment_t *seg, const char *line, size_t len)
{
    json_t *obj = json_loadb(line, len, 0, NULL);

    if (!obj)
        return;
    if (seg->claims == 0)
        mc_claim(obj, "prev", seg->claimed_first);
    mc_claim(obj, "hash", seg->claimed_last);
    seg->claims++;
    json_decref(obj);
}

static const char *mc_chain_label(apr_pool_t *p, const char *chain)
{
    return *chain ? apr_psprintf(p, "chain '%s'", chain) : "the unnamed chain";
}

mc_status_t mc_logset_add(mc_logset_t *s, apr_pool_t *scratch, uint64_t line_no, const char *line,
                          size_t len, mc_record_info_t *info, const char **err)
{
    mc_piece_t *piece = mc_logset_current(s);
    mc_record_info_t local;
    mc_segment_t *seg;
    mc_status_t rv;

    if (!info)
        info = &local;
    rv = mc_record_parse(scratch, line, len, info, err);
    if (rv != MC_OK) {
        /* A line that is JSON names its chain; the next record of that
         * chain then cannot follow it, which is the same problem. */
        if (info->id || info->time) {
            seg = mc_logset_segment(s, piece, info->chain ? info->chain : "");
            seg->after_bad = 1;
            mc_segment_claims(seg, line, len);
        }
        mc_logset_problem(s, line_no, info->id || info->time ? info->chain : NULL, *err);
        return rv;
    }
    seg = mc_logset_segment(s, piece, info->chain);
    if (seg->claims++ == 0)
        memcpy(seg->claimed_first, info->prev, sizeof(seg->claimed_first));
    memcpy(seg->claimed_last, info->hash, sizeof(seg->claimed_last));
    if (seg->records == 0) {
        memcpy(seg->first_prev, info->prev, sizeof(seg->first_prev));
        seg->first_line = line_no;
        apr_cpystrn(seg->first_time, info->time, sizeof(seg->first_time));
    } else if (strcmp(info->prev, seg->last_hash) != 0 && !seg->after_bad) {
        *err = apr_psprintf(scratch,
                            "%s is broken here: prev is %.12s..., the record before it (line "
                            "%" PRIu64 ") has hash %.12s... (a record was removed, moved or "
                            "edited)",
                            mc_chain_label(scratch, info->chain), info->prev, seg->last_line,
                            seg->last_hash);
        mc_logset_problem(s, line_no, info->chain, *err);
    }
    seg->after_bad = 0;
    memcpy(seg->last_hash, info->hash, sizeof(seg->last_hash));
    seg->last_line = line_no;
    apr_cpystrn(seg->last_time, info->time, sizeof(seg->last_time));
    seg->records++;
    return MC_OK;
}

/* ---- finishing: the order of the pieces ------------------------------------------- */

/* 1 when piece B holds a segment that starts where one of piece A ends, or
 * that continues a chain that piece A starts. */
static int mc_piece_follows(const mc_piece_t *b, const mc_piece_t *a)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, b->segments); hi; hi = apr_hash_next(hi)) {
        const void *key;
        void *val;
        const mc_segment_t *sb, *sa;

        apr_hash_this(hi, &key, NULL, &val);
        sb = val;
        if (sb->claims == 0 || !sb->claimed_first[0] ||
            strcmp(sb->claimed_first, mc_chain_genesis) == 0)
            continue;
        sa = apr_hash_get(a->segments, key, APR_HASH_KEY_STRING);
        if (sa && sa->claims > 0 && strcmp(sa->claimed_last, sb->claimed_first) == 0)
            return 1;
        /* a piece where the chain begins comes before the chain's other
         * pieces, even when the one between them is missing */
        if (sa && sa->claims > 0 && strcmp(sa->claimed_first, mc_chain_genesis) == 0)
            return 1;
    }
    return 0;
}

/* A stable topological order: each step takes the first piece, in the given
 * order, none of whose predecessors is still waiting. Hashes cannot form a
 * cycle; if one showed up anyway the first waiting piece is taken. */
static void mc_logset_order_pieces(mc_logset_t *s)
{
    int n = s->pieces->nelts;
    char *after = apr_pcalloc(s->pool, (size_t)n * (size_t)n + 1); /* after[b*n+a] */
    char *placed = apr_pcalloc(s->pool, (size_t)n + 1);

    s->order = apr_pcalloc(s->pool, sizeof(int) * ((size_t)n + 1));
    for (int b = 0; b < n; b++) {
        for (int a = 0; a < n; a++) {
            if (a != b)
                after[b * n + a] = (char)mc_piece_follows(APR_ARRAY_IDX(s->pieces, b, mc_piece_t *),
                                                          APR_ARRAY_IDX(s->pieces, a, mc_piece_t *));
        }
    }
    for (int k = 0; k < n; k++) {
        int pick = -1;

        for (int b = 0; b < n && pick < 0; b++) {
            int ready = !placed[b];

            for (int a = 0; a < n && ready; a++) {
                if (after[b * n + a] && !placed[a])
                    ready = 0;
            }
            if (ready)
                pick = b;
        }
        for (int b = 0; b < n && pick < 0; b++) {
            if (!placed[b])
                pick = b;
        }
        placed[pick] = 1;
        s->order[k] = pick;
        APR_ARRAY_IDX(s->pieces, pick, mc_piece_t *)->order = k;
        if (pick != k)
            s->reordered = 1;
    }
}

/* ---- finishing: each chain across the pieces --------------------------------------- */

static int mc_segment_cmp(const void *a, const void *b)
{
    const mc_segment_t *sa = *(const mc_segment_t *const *)a;
    const mc_segment_t *sb = *(const mc_segment_t *const *)b;

    return sa->piece < sb->piece ? -1 : sa->piece > sb->piece;
}

static void mc_logset_link_chain(mc_logset_t *s, mc_chain_state_t *c)
{
    const mc_segment_t *before = NULL;
    int n = c->segments->nelts;
    mc_segment_t **segs = apr_pmemdup(s->pool, c->segments->elts, sizeof(mc_segment_t *) * (size_t)n);

    /* From here on a segment's piece is its place in the used order (each
     * segment belongs to one chain, so this runs once per segment). */
    for (int i = 0; i < n; i++)
        segs[i]->piece = APR_ARRAY_IDX(s->pieces, segs[i]->piece, mc_piece_t *)->order;
    qsort(segs, (size_t)n, sizeof(mc_segment_t *), mc_segment_cmp);
    for (int i = 0; i < n; i++) {
        const mc_segment_t *seg = segs[i];
        const mc_piece_t *piece = APR_ARRAY_IDX(s->pieces, s->order[seg->piece], mc_piece_t *);

        if (seg->records == 0)
            continue;
        if (!before) {
            c->pub.from_genesis = strcmp(seg->first_prev, mc_chain_genesis) == 0;
            apr_cpystrn(c->pub.first_time, seg->first_time, sizeof(c->pub.first_time));
            c->pub.start_piece = piece->name;
            c->pub.start_line = seg->first_line;
        } else if (strcmp(seg->first_prev, before->last_hash) != 0) {
            const mc_piece_t *prev_piece =
                APR_ARRAY_IDX(s->pieces, s->order[before->piece], mc_piece_t *);
            mc_logset_problem_t *pb;

            s->problem_count++;
            pb = apr_array_push(s->sorted);
            pb->piece = piece->name;
            pb->line = seg->first_line;
            pb->chain = c->pub.name;
            pb->order = seg->piece;
            pb->reason = apr_psprintf(
                s->pool,
                "%s does not carry on from %s here: prev is %.12s..., the last record there "
                "(line %" PRIu64 ") has hash %.12s... (records are missing between the pieces)",
                mc_chain_label(s->pool, c->pub.name), prev_piece->name, seg->first_prev,
                before->last_line, before->last_hash);
        }
        c->pub.records += seg->records;
        apr_cpystrn(c->pub.last_time, seg->last_time, sizeof(c->pub.last_time));
        before = seg;
    }
}

static int mc_problem_cmp(const void *a, const void *b)
{
    const mc_logset_problem_t *pa = a, *pb = b;

    if (pa->order != pb->order)
        return pa->order < pb->order ? -1 : 1;
    return pa->line < pb->line ? -1 : pa->line > pb->line;
}

void mc_logset_finish(mc_logset_t *s)
{
    s->sorted = apr_array_make(s->pool, 4, sizeof(mc_logset_problem_t));
    mc_logset_order_pieces(s);
    for (int i = 0; i < s->pieces->nelts; i++) {
        mc_piece_t *piece = APR_ARRAY_IDX(s->pieces, i, mc_piece_t *);

        for (int j = 0; j < piece->problems->nelts; j++) {
            mc_logset_problem_t *pb = &APR_ARRAY_IDX(piece->problems, j, mc_logset_problem_t);

            pb->order = piece->order;
            APR_ARRAY_PUSH(s->sorted, mc_logset_problem_t) = *pb;
        }
    }
    for (int i = 0; i < s->chains->nelts; i++)
        mc_logset_link_chain(s, APR_ARRAY_IDX(s->chains, i, mc_chain_state_t *));
    qsort(s->sorted->elts, (size_t)s->sorted->nelts, sizeof(mc_logset_problem_t), mc_problem_cmp);
    if (s->sorted->nelts > MC_LOGSET_PROBLEMS_MAX)
        s->sorted->nelts = MC_LOGSET_PROBLEMS_MAX;
}

/* ---- results ---------------------------------------------------------------------------- */

int mc_logset_pieces(const mc_logset_t *s)
{
    return s->pieces->nelts;
}

const char *mc_logset_piece_name(const mc_logset_t *s, int order)
{
    return APR_ARRAY_IDX(s->pieces, s->order[order], mc_piece_t *)->name;
}

int mc_logset_reordered(const mc_logset_t *s)
{
    return s->reordered;
}

int mc_logset_chains(const mc_logset_t *s)
{
    return s->chains->nelts;
}

const mc_logset_chain_t *mc_logset_chain(const mc_logset_t *s, int i)
{
    return &APR_ARRAY_IDX(s->chains, i, mc_chain_state_t *)->pub;
}

uint64_t mc_logset_problem_count(const mc_logset_t *s)
{
    return s->problem_count;
}

int mc_logset_problems_kept(const mc_logset_t *s)
{
    return s->sorted ? s->sorted->nelts : 0;
}

const mc_logset_problem_t *mc_logset_problem_at(const mc_logset_t *s, int i)
{
    return &APR_ARRAY_IDX(s->sorted, i, mc_logset_problem_t);
}

uint64_t mc_logset_records(const mc_logset_t *s)
{
    uint64_t n = 0;

    for (int i = 0; i < s->chains->nelts; i++)
        n += mc_logset_chain(s, i)->records;
    return n;
}

/* ---- syslog lines ------------------------------------------------------------------------- */

#define MC_SYSLOG_TAG "mod_consent"
#define MC_SYSLOG_TAG_LEN (sizeof(MC_SYSLOG_TAG) - 1)

/* Length of "mod_consent:" or "mod_consent[digits]:" at S, else 0. */
static size_t mc_syslog_tag_len(const char *s, size_t avail)
{
    size_t i = MC_SYSLOG_TAG_LEN;

    if (avail <= i || memcmp(s, MC_SYSLOG_TAG, MC_SYSLOG_TAG_LEN) != 0)
        return 0;
    if (s[i] == ':')
        return i + 1;
    if (s[i] != '[')
        return 0;
    for (i++; i < avail && s[i] >= '0' && s[i] <= '9'; i++)
        ;
    if (i == MC_SYSLOG_TAG_LEN + 1 || i + 1 >= avail || s[i] != ']' || s[i + 1] != ':')
        return 0;
    return i + 2;
}

const char *mc_logset_syslog_record(const char *line, size_t len, size_t *out_len)
{
    /* The tag is a word of its own: at the start or after a space. */
    for (size_t i = 0; i + MC_SYSLOG_TAG_LEN < len; i++) {
        size_t tag;
        const char *brace;

        if (i > 0 && line[i - 1] != ' ')
            continue;
        tag = mc_syslog_tag_len(line + i, len - i);
        if (tag == 0)
            continue;
        brace = memchr(line + i + tag, '{', len - i - tag);
        if (!brace)
            return NULL;
        *out_len = len - (size_t)(brace - line);
        while (*out_len > 0 && (brace[*out_len - 1] == '\r' || brace[*out_len - 1] == ' '))
            (*out_len)--;
        return brace;
    }
    return NULL;
}
