/* The HTML named character references, generated at build time into
 * entities_data.c (build-aux/gen_entities.py). Private to charref.c. */
#ifndef MC_ENTITIES_H
#define MC_ENTITIES_H

typedef struct mc_entity {
    const char *name; /* "amp;" or, for the legacy forms, "amp" */
    unsigned char name_len;
    unsigned char value_len;
    char value[8]; /* UTF-8, one or two code points */
} mc_entity_t;

/* Sorted by name, bytewise, a shorter name before the longer it starts. */
extern const mc_entity_t mc_entities[];
/* mc_entity_index[c]: the first entry whose name's first byte is >= c, c < 128;
 * mc_entity_index[128] is the number of entries. */
extern const unsigned short mc_entity_index[129];
/* mc_entity_legacy_lengths[c]: bit K set when a name without ';' (a
 * legacy one) of K bytes begins with byte c, c < 128. */
extern const unsigned char mc_entity_legacy_lengths[128];
/* The entry of "amp;", the reference URLs in attributes carry most. */
extern const unsigned mc_entity_amp;
/* The longest name, and the longest one without ';'. */
extern const unsigned mc_entity_name_max;
extern const unsigned mc_entity_legacy_max;

#endif
