#!/usr/bin/env python3
"""Draws mp-bench's JSON as an SVG bar chart of each row against its goal, and prints the table.

    python3 Benchmarks/chart.py [Benchmarks/results/latest.json] [--svg Benchmarks/results/chart.svg]
                                [--markdown]

Each bar is the quantity a goal judges (mostly the ratio to Python, oriented so that > 1 means
ours is better), on a log scale, with the goal as a black tick: green when met, red when not,
grey for rows that are reported without a goal. Needs nothing but python3 (the SVG is written
by hand).
"""
import argparse
import html
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def fmt(value):
    """Three significant digits, with k past ten thousand, M and G (as mp-bench prints)."""
    if value is None:
        return "-"
    magnitude = abs(value)
    for limit, divisor, suffix in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if magnitude >= limit:
            return fmt(value / divisor) + suffix
    if value == 0:
        return "0"
    decimals = max(0, 2 - math.floor(math.log10(magnitude)))
    return f"{value:.{decimals}f}"


def stats_text(stats):
    if not stats:
        return "-"
    if len(stats["runs"]) == 1:
        return fmt(stats["median"])
    return f"{fmt(stats['median'])} ({fmt(stats['min'])}-{fmt(stats['max'])})"


def met_text(row):
    if row["goal_met"] is True:
        return "yes"
    if row["goal_met"] is False:
        return "**no**"
    return "-"


def markdown(results):
    """The table; with the per-CPU-second figures and the best peer (--peers) where the JSON has them."""
    lines = ["| scenario | unit | ours: median (min-max) | Python: median (min-max) | ratio "
             "| per CPU-s: ours / Python | best peer (ratio) | goal | met |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in results["scenarios"]:
        ratio = f"{fmt(row['ratio'])}x" if row["ratio"] is not None else "-"
        per_cpu = "-"
        if row.get("per_cpu_unit") and row.get("ours_per_cpu_s"):
            peer = fmt(row["peer_per_cpu_s"]["median"]) if row.get("peer_per_cpu_s") else "-"
            per_cpu = f"{fmt(row['ours_per_cpu_s']['median'])} / {peer} {row['per_cpu_unit']}"
        best = "-"
        if row.get("extra_peers") and row.get("best_peer"):
            best = f"{row['best_peer']} ({fmt(row['best_peer_ratio'])}x)"
        lines.append(f"| `{row['name']}` | {row['unit']} | {stats_text(row['ours'])} | {stats_text(row['peer'])} "
                     f"| {ratio} | {per_cpu} | {best} | {row['goal']} | {met_text(row)} |")
    return "\n".join(lines)


def chart(results):
    rows = []
    for row in results["scenarios"]:
        if row.get("goal_value") is not None:
            rows.append((row, row["goal_value"], row.get("goal_target"), row.get("goal_quantity") or "x Python"))
        elif row["ratio"] is not None:
            rows.append((row, row["ratio"], None, "x Python"))
    values = [value for _, value, _, _ in rows] + [target for _, _, target, _ in rows if target]
    low = 10 ** math.floor(math.log10(min(values + [0.5]) * 0.8))
    high = 10 ** math.ceil(math.log10(max(values + [2]) * 1.25))

    width, left, right, top, row_height = 980, 300, 170, 94, 30
    plot_width = width - left - right
    height = top + row_height * len(rows) + 70

    def x(value):
        value = min(max(value, low), high)
        return left + plot_width * (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low))

    machine = results["machine"]
    title = (f"mp-bench {machine['date'][:10]}: swift-multiprocessing vs {machine['python_version']} multiprocessing"
             + (" (--quick)" if results.get("quick") else ""))
    runs = results["runs_per_side"]
    subtitles = [f"{machine['nproc']} CPUs ({machine['cpu_model']}), {machine['kernel']}, {machine['swift_version']}",
                 f"{machine.get('build_configuration', '?')} build, library {(machine.get('library_revision') or 'unknown')[:10]}"
                 f"{' (tree dirty)' if machine.get('dirty') else ''}; {runs} run{'s' if runs != 1 else ''} "
                 f"per side, alternating; medians; load before {machine.get('load_before', '?')}"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">'
           f'{html.escape(title)}</text>',
           *(f'<text x="{width / 2}" y="{44 + 16 * i}" text-anchor="middle" fill="#444">{html.escape(line)}</text>'
             for i, line in enumerate(subtitles))]
    bottom = top + row_height * len(rows)
    # Grid: 1, 2, 5 of each decade; parity (1) darker.
    decade = low
    while decade <= high * 1.0001:
        for step in (1, 2, 5):
            value = decade * step
            if low <= value <= high * 1.0001:
                gx = x(value)
                colour = "#888" if value == 1 else "#e4e4e4"
                out.append(f'<line x1="{gx:.1f}" y1="{top - 8}" x2="{gx:.1f}" y2="{bottom}" stroke="{colour}"/>')
                out.append(f'<text x="{gx:.1f}" y="{bottom + 16}" text-anchor="middle" fill="#444">{value:g}</text>')
        decade *= 10
    out.append(f'<text x="{left + plot_width / 2}" y="{bottom + 36}" text-anchor="middle" fill="#444">'
               'higher is better (log scale); 1 = parity; black tick = goal</text>')
    for index, (row, value, target, quantity) in enumerate(rows):
        y = top + index * row_height
        met = row.get("goal_met")
        colour = "#3a9a4a" if met is True else "#d0453a" if met is False else "#9a9a9a"
        out.append(f'<text x="{left - 8}" y="{y + 19}" text-anchor="end">{html.escape(row["name"])} '
                   f'<tspan fill="#666">({html.escape(quantity)})</tspan></text>')
        x0, x1 = x(low), x(value)
        out.append(f'<rect x="{x0:.1f}" y="{y + 6}" width="{max(x1 - x0, 1):.1f}" height="{row_height - 12}" '
                   f'fill="{colour}"/>')
        label = f"{fmt(value)}x" if quantity.startswith("x ") else fmt(value)
        if target is not None:
            tx = x(target)
            out.append(f'<line x1="{tx:.1f}" y1="{y + 2}" x2="{tx:.1f}" y2="{y + row_height - 2}" '
                       'stroke="black" stroke-width="3"/>')
            label += f"  (goal {float(fmt(target)):g})"
        else:
            label += "  (no goal)"
        out.append(f'<text x="{max(x1, x(target) if target else x1) + 8:.1f}" y="{y + 19}">{html.escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="?", default=os.path.join(HERE, "results", "latest.json"))
    parser.add_argument("--svg", default=os.path.join(HERE, "results", "chart.svg"))
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    with open(args.json) as source:
        results = json.load(source)
    os.makedirs(os.path.dirname(os.path.abspath(args.svg)), exist_ok=True)
    with open(args.svg, "w") as target:
        target.write(chart(results))
    if args.markdown:
        print(markdown(results))
    else:
        print(f"wrote {args.svg}")


if __name__ == "__main__":
    main()
