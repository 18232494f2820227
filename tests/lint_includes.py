#!/usr/bin/env python3
"""The glue's import graph must have no circle: one unit per glue file
(glue_X.c with its header glue_X.h), an edge X -> Y when X includes
glue_Y.h. mod_consent.h (the shared structs) and the core's headers are
below every unit and not part of the graph. Prints the graph; exits 1 and
names the circle when there is one.

Usage: lint_includes.py [--dot]   (--dot: the graph in Graphviz form)"""
import re
import sys
from pathlib import Path

GLUE = Path(__file__).resolve().parents[1] / "mod_consent"
INCLUDE = re.compile(r'^#include "(glue_[a-z_]+)\.h"', re.M)


def graph():
    edges = {}
    for path in sorted(GLUE.glob("glue_*.[ch]")) + [GLUE / "mod_consent.c"]:
        unit = path.stem
        deps = edges.setdefault(unit, set())
        deps.update(n for n in INCLUDE.findall(path.read_text()) if n != unit)
    for deps in list(edges.values()):
        for d in deps:
            edges.setdefault(d, set())
    return edges


def circle(edges):
    """A list of units forming a circle, or None."""
    state, stack = {}, []

    def visit(u):
        state[u] = "open"
        stack.append(u)
        for v in sorted(edges[u]):
            if state.get(v) == "open":
                return stack[stack.index(v):] + [v]
            if v not in state:
                found = visit(v)
                if found:
                    return found
        stack.pop()
        state[u] = "done"
        return None

    for u in sorted(edges):
        if u not in state:
            found = visit(u)
            if found:
                return found
    return None


def main():
    edges = graph()
    if "--dot" in sys.argv:
        print("digraph glue {")
        for u in sorted(edges):
            for v in sorted(edges[u]):
                print('  "%s" -> "%s";' % (u, v))
        print("}")
        return 0
    found = circle(edges)
    if found:
        print("lint_includes: the glue includes form a circle: " + " -> ".join(found))
        return 1
    print("includes: %d glue units, %d edges, no circle" %
          (len(edges), sum(len(v) for v in edges.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
