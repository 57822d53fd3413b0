"""What a reader of a whole publication can work out of its kept-back cells, by integer
programming: for tables too large to search exhaustively (a run's every neighbourhood,
category and profile cell). Written for the tests, apart from reports/disclosure.py; small
tables are checked by brute force instead (test_reports_disclosure.exact_ranges), which
shares no method with the code at all."""
from __future__ import annotations

import numpy as np
from scipy import optimize as scipy_opt

from mpg.reports.disclosure import Status

MIN_CELL = 5


def ilp_ranges(values, relations, status, min_cell=MIN_CELL, hidden=()):
    """{cell: (min, max)} for every kept-back or hidden cell, by integer programming."""
    hidden = set(hidden)
    unknown = [k for k in values if status.get(k, Status.SHOWN) is not Status.SHOWN
               or k in hidden]
    if not unknown:
        return {}
    index = {k: i for i, k in enumerate(unknown)}
    cap = 10 * (sum(values.values()) + min_cell)  # far above any value the data allows
    lower, upper = [], []
    for k in unknown:
        s = status.get(k)
        if k in hidden:
            lower.append(0), upper.append(cap)
        elif s is Status.SMALL:
            lower.append(1), upper.append(min_cell - 1)
        else:
            lower.append(min_cell), upper.append(cap)
    rows, rhs = [], []
    for rel in relations:
        row = np.zeros(len(unknown))
        const = 0
        for k, w in rel.terms:
            if k in index:
                row[index[k]] += w
            else:
                const += w * values[k]
        if row.any():
            rows.append(row)
            rhs.append(-const)
    ranges = {}
    for k in unknown:
        found = []
        for sign in (1, -1):
            c = np.zeros(len(unknown))
            c[index[k]] = sign
            constraints = ([scipy_opt.LinearConstraint(np.array(rows), rhs, rhs)]
                           if rows else [])
            res = scipy_opt.milp(c, constraints=constraints, integrality=np.ones(len(unknown)),
                                 bounds=scipy_opt.Bounds(lower, upper))
            assert res.status == 0, f"the reader's problem is infeasible: {res.message}"
            found.append(round(sign * res.fun))
        ranges[k] = (found[0], found[1])
    return ranges

