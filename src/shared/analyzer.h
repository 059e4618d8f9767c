/* SPDX-License-Identifier: MIT */
/* analyzer — the only ways the tree silences a static analyzer's false positive (make
 * check-analyze runs gcc -fanalyzer and clang's scan-build and fails on any finding). Each use
 * says, next to it, why the finding cannot happen. Real findings are fixed, never silenced. */
#ifndef CORRAL_ANALYZER_H
#define CORRAL_ANALYZER_H

/* ANALYZER_ASSUME(cond): an invariant clang's analyzer cannot see (it lives in another
 * translation unit, or in the shape of a list). Only scan-build defines __clang_analyzer__:
 * compiled code never contains the check. */
#ifdef __clang_analyzer__
#define ANALYZER_ASSUME(cond) do { if (!(cond)) __builtin_unreachable(); } while (0)
#else
#define ANALYZER_ASSUME(cond) do { } while (0)
#endif

/* GCC_ANALYZER_IGNORE("-Wanalyzer-x") … GCC_ANALYZER_END: one gcc -fanalyzer warning off
 * between the two, around as little code as gcc's pragmas can cover. Clang does not know the
 * analyzer's warning names (-Wunknown-warning-option), so it never sees the pragmas. */
#if defined(__GNUC__) && !defined(__clang__)
#define ANALYZER_PRAGMA_(x) _Pragma(#x)
#define GCC_ANALYZER_IGNORE(w) ANALYZER_PRAGMA_(GCC diagnostic push) \
        ANALYZER_PRAGMA_(GCC diagnostic ignored w)
#define GCC_ANALYZER_END ANALYZER_PRAGMA_(GCC diagnostic pop)
#else
#define GCC_ANALYZER_IGNORE(w)
#define GCC_ANALYZER_END
#endif

#endif
