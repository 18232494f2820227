/* The html5lib tokenizer tests, run against the rewriter's own lexer. */
#ifndef MC_HTML5LIB_H
#define MC_HTML5LIB_H

#include <check.h>

/* Runs every case that bears on a rewriter's token boundaries; skipped
 * (with a note) when the test files are not checked out beside the repo. */
TCase *html5lib_tcase(void);

#endif
