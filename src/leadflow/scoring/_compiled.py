"""Rule models compiled to Python functions when they are built (private module).

An engagement model's rules are data; walking that data for every activity of every
lead costs more than the arithmetic it does.  So when an :class:`EngagementModel` is
built, its rules are written out as the source of two small Python functions, which
are compiled once (as attrs does for ``__init__``):

* ``tally(activities, at)``: per rule, how many activities matched and their total
  weight (direction multiplier times decay).  Both of the model's paths use it.
* ``points(lead, activities, at)``: the points of the rules that gave any, then one
  adjustment per group or total cap that bit: the numbers the explanation path
  (``EngagementModel.parts``) finds, without names or reasons.

The generated code does the same floating-point operations in the same order as the
explanation path, so the two agree bit for bit; the property tests check that they do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadflow.activities import Activity
from leadflow.leads import Lead
from leadflow.scoring._features import DAY
from leadflow.scoring._rules import bounded

if TYPE_CHECKING:
    from leadflow.scoring.engagement import EngagementModel

__all__ = ["LN2", "compile_engagement"]

Tally = Callable[[Sequence[Activity], datetime], tuple[list[int], list[float]]]
Points = Callable[[Lead, Sequence[Activity], datetime], list[float]]

#: ln 2, for half-lives.
LN2 = math.log(2.0)


def _tally_body(model: EngagementModel, env: dict[str, Any]) -> list[str]:
    """The loop over the activities that fills ``c<i>`` and ``w<i>`` for each rule ``i``."""
    decay = model.decay
    env.update(_exp=math.exp, _LN2=LN2, _DAY=DAY, _factor=decay.factor)
    env["_mult"] = model.direction.get
    env["_life"] = None if decay.half_life_days is None else decay.half_life_days * DAY
    factor = "_exp(-_LN2 * (age / _life))" if decay.half_life_days else "_factor(age / _DAY)"
    count = len(model.rules)
    lines = [f"    c{i} = 0" for i in range(count)] + [f"    w{i} = 0.0" for i in range(count)]
    plan = model._plan
    if not plan:
        return lines
    lines += ["    for a in activities:", "        k = a.kind"]
    for j, (kind, steps) in enumerate(plan.items()):
        env[f"K{j}"] = kind
        lines += [
            f"        {'if' if j == 0 else 'elif'} k is K{j}:",
            "            age = (at - a.occurred_at).total_seconds()",
            "            if age < 0:",
            "                continue",
            "            d = a.direction",
            "            m = 1.0 if d is None else _mult(d, 1.0)",
        ]
        if any(decays for *_, decays in steps):
            lines.append("            dec = None")
        for i, only, within, decays in steps:
            tests = []
            if only is not None:
                env[f"D{i}"] = only
                tests.append(f"d is D{i}")
            if within is not None:
                env[f"W{i}"] = within
                tests.append(f"age <= W{i}")
            pad = "            "
            if tests:
                lines.append(pad + "if " + " and ".join(tests) + ":")
                pad += "    "
            lines.append(pad + f"c{i} += 1")
            if decays:
                lines += [
                    pad + "if dec is None:",
                    pad + f"    dec = m * {factor}",
                    pad + f"w{i} += dec",
                ]
            else:
                lines.append(pad + f"w{i} += m")
    return lines


def _points_body(model: EngagementModel, env: dict[str, Any]) -> list[str]:
    """The rules' points (with each rule's own cap), then the group and total caps."""
    from leadflow.scoring.engagement import ActivityRule  # noqa: PLC0415 - imports us

    env["_bounded"] = bounded
    lines = ["    out = []"]
    capped = list(model.groups)
    for g, group in enumerate(capped):
        env[f"CAP{g}"] = model.groups[group]
        lines.append(f"    g{g} = []")
    for i, rule in enumerate(model.rules):
        keep = ["out.append(r)"] + [
            f"g{g}.append(r)" for g, group in enumerate(capped) if rule.group == group
        ]
        if not isinstance(rule, ActivityRule):  # a rule on the lead's attributes
            env[f"P{i}"] = rule.points
            checks = []
            for n, condition in enumerate(rule.when):
                env[f"G{i}_{n}"], env[f"H{i}_{n}"] = condition.check
                checks.append(f"H{i}_{n}(G{i}_{n}(lead, activities, at))")
            lines += ["    if " + " and ".join(checks) + ":", f"        r = P{i}"]
            lines += [f"        {line}" for line in keep]
            continue
        if rule.points is not None:
            env[f"P{i}"] = rule.points
            lines += [f"    if c{i}:", f"        r = P{i} * w{i}"]
        else:
            lines.append("    if True:")
            for n, band in enumerate(rule.frequency):
                env[f"B{i}_{n}"] = band.points
                high = "" if band.maximum is None else f" and c{i} <= {band.maximum}"
                lines.append(f"        {'if' if n == 0 else 'elif'} c{i} >= {band.minimum}{high}:")
                lines.append(f"            r = B{i}_{n}")
            lines += ["        else:", "            r = 0.0"]
        if rule.cap.maximum is not None:
            env[f"HI{i}"] = rule.cap.maximum
            lines += [f"        if r > HI{i}:", f"            r = HI{i}"]
        if rule.cap.minimum is not None:
            env[f"LO{i}"] = rule.cap.minimum
            lines += [f"        if r < LO{i}:", f"            r = LO{i}"]
        lines.append("        if r:")
        lines += [f"            {line}" for line in keep]
    for g in range(len(capped)):
        lines += [f"    e = _bounded(g{g}, CAP{g})", "    if e:", "        out.append(e)"]
    # Group adjustments join the total before the total cap, as in capped_parts.
    if model.total:
        env["TOTAL"] = model.total
        lines += ["    e = _bounded(out, TOTAL)", "    if e:", "        out.append(e)"]
    lines.append("    return out")
    return lines


def compile_engagement(model: EngagementModel) -> tuple[Tally, Points]:
    """The model's ``tally`` and ``points`` functions, generated from its rules."""
    env: dict[str, Any] = {}
    body = _tally_body(model, env)
    counts = ", ".join(f"c{i}" for i in range(len(model.rules)))
    weights = ", ".join(f"w{i}" for i in range(len(model.rules)))
    source = "\n".join(
        [
            "def tally(activities, at):",
            *body,
            f"    return [{counts}], [{weights}]",
            "",
            "def points(lead, activities, at):",
            *body,
            *_points_body(model, env),
        ]
    )
    code = compile(source, f"<leadflow engagement model {model.name!r}>", "exec")
    exec(code, env)
    return env["tally"], env["points"]
