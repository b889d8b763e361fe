"""Benchmark the matching engine on seeded synthetic pools; figures are ratios to baselines.

    .venv/bin/python bench/matching/run.py [--sizes 1000 3000 10000] [--seed 0]

Every solver runs in a fresh child process, so each peak RSS belongs to that solve alone
(interpreter, numpy and scipy included; the pool itself is a few MB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import resource
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.services import matching
from bot.services.matching import MatchConfig, MatchResult, Person

SKILLS = [f"skill_{i:02d}" for i in range(16)]
# Mentees mostly want the first few skills (AI, collaboration tools); mentors offer more evenly.
WANT_WEIGHTS = np.linspace(3.0, 0.5, len(SKILLS))
OFFER_WEIGHTS = np.linspace(1.5, 1.0, len(SKILLS))
LANGUAGES = {"en": 0.85, "de": 0.5, "fr": 0.1, "es": 0.1, "pl": 0.05}
ZONES = {
    "Europe/Berlin": 0.45,
    "Europe/London": 0.15,
    "America/New_York": 0.15,
    "Asia/Kolkata": 0.1,
    "America/Los_Angeles": 0.05,
    "Asia/Singapore": 0.05,
    "": 0.05,  # unknown zone
}


def make_pool(n: int, seed: int) -> tuple[list[Person], set[tuple[int, int]]]:
    """n mentors and n mentees, with some earlier pairs and a few block lists."""
    rng = np.random.default_rng(seed)
    n_departments = int(rng.integers(5, 11))
    department_weights = rng.dirichlet(np.ones(n_departments) * 2)
    zones = list(ZONES)
    zone_p = np.array(list(ZONES.values()))
    zone_p /= zone_p.sum()

    def skills(weights: np.ndarray, low: int, high: int, levels: tuple[int, int]) -> dict[str, int]:
        count = int(rng.integers(low, high + 1))
        keys = rng.choice(len(SKILLS), size=count, replace=False, p=weights / weights.sum())
        return {SKILLS[k]: int(rng.integers(levels[0], levels[1] + 1)) for k in sorted(keys)}

    def languages() -> frozenset[str]:
        chosen = [code for code, p in LANGUAGES.items() if rng.random() < p][:3]
        return frozenset(chosen or [rng.choice(list(LANGUAGES))])

    people = []
    for i in range(2 * n):
        is_mentor = i < n
        people.append(
            Person(
                id=i + 1,
                is_mentor=is_mentor,
                department=f"Dept {int(rng.choice(n_departments, p=department_weights))}",
                languages=languages(),
                timezone=zones[int(rng.choice(len(zones), p=zone_p))] or None,
                offered=skills(OFFER_WEIGHTS, 2, 4, (2, 5)) if is_mentor else {},
                wanted={} if is_mentor else skills(WANT_WEIGHTS, 1, 4, (1, 3)),
                capacity=int(rng.choice([1, 2, 3], p=[0.8, 0.15, 0.05])) if is_mentor else 1,
                blocked=frozenset(int(b) for b in rng.integers(1, 2 * n + 1, size=2))
                if rng.random() < 0.02
                else frozenset(),
            )
        )
    history = {
        (int(m), int(e))
        for m, e in zip(
            rng.integers(1, n + 1, size=n // 2),
            rng.integers(n + 1, 2 * n + 1, size=n // 2),
            strict=True,
        )
    }
    return people, history


@dataclass(frozen=True)
class Run:
    """One solve: what it cost and what it achieved."""

    solver: str
    seconds: float
    rss_before_mb: float
    peak_rss_mb: float
    total: float
    pairs: int


def _child(name: str, n: int, seed: int, config: MatchConfig, out: mp.Queue[Run]) -> None:
    people, history = make_pool(n, seed)
    solve = {"greedy": matching.greedy_match, "random": matching.random_match}.get(
        name, matching.match
    )
    if name == "dense":
        config = replace(config, dense_limit=n)
    elif name in ("sparse", "top-k"):
        config = replace(config, dense_limit=0)
    if name == "top-k":
        # The candidate graph alone, without pricing rounds: what plain top-k reaches.
        matching._PRICING_ROUNDS = 0
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    result: MatchResult = solve(people, history, config)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(Run(result.solver, seconds, before, peak, result.total_score, len(result.pairs)))


def _bound_child(n: int, seed: int, config: MatchConfig, out: mp.Queue[float]) -> None:
    # An upper bound on the optimum without solving it: every mentee's best allowed score,
    # and every mentor's best `capacity` allowed scores; the optimum is below both sums.
    people, history = make_pool(n, seed)
    pool = matching._prepare(people, history, config)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []

    def sink(r0: int, score: np.ndarray) -> None:
        rows.append(score.max(axis=1))
        k = int(pool.capacity.max())
        cols.append(-np.sort(-score, axis=0)[:k] if score.shape[0] > k else score)

    matching._scan(pool, config, sink)
    k = int(pool.capacity.max())
    best = -np.sort(-np.concatenate(cols), axis=0)[:k]
    mentor_side = float(sum(best[: int(c), j].sum() for j, c in enumerate(pool.capacity)))
    out.put(min(float(np.concatenate(rows).sum()), mentor_side))


def run_in_child(target: object, args: tuple[object, ...], timeout: float) -> object | None:
    """Run target(*args, queue) in a fresh process; None if it does not finish in time."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:  # queue.Empty: the child ran out of time or died
        return None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()


def main() -> None:
    """Parse arguments, run every size, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dense-timeout", type=float, default=600.0, help="seconds")
    args = parser.parse_args()

    config = MatchConfig(seed=args.seed, reference_date=dt.date(2026, 3, 16))
    print(f"{config}\ncores: {os.cpu_count()}, numpy {np.__version__}, scipy {scipy.__version__}")
    for n in args.sizes:
        print(f"\n== {n} mentors x {n} mentees (seed {args.seed})")
        # "engine" is match() as shipped; the other exact-or-sparse solver is forced alongside.
        dense, sparse = ("engine", "sparse") if n <= config.dense_limit else ("dense", "engine")
        runs: dict[str, Run] = {}
        for name in (
            "engine",
            "sparse" if sparse != "engine" else "dense",
            "top-k",
            "greedy",
            "random",
        ):
            timeout = args.dense_timeout if name == "dense" else 600.0
            got = run_in_child(_child, (name, n, args.seed, config), timeout)
            if isinstance(got, Run):
                runs[name] = got
            else:
                print(f"   {name}: SKIPPED, not done within {timeout:.0f} s")
        bound = run_in_child(_bound_child, (n, args.seed, config), 600.0)
        optimum = runs[dense].total if dense in runs else None
        print(
            f"   {'run':<7} {'solver':<8} {'time s':>7} {'RSS MB before':>13} {'peak':>6}"
            f" {'pairs':>6} {'score/mentee':>12} {'/ optimum':>10}"
        )
        for name, r in runs.items():
            ratio = f"{r.total / optimum:.5f}" if optimum else "n/a"
            print(
                f"   {name:<7} {r.solver:<8} {r.seconds:>7.2f} {r.rss_before_mb:>13.0f}"
                f" {r.peak_rss_mb:>6.0f} {r.pairs:>6} {r.total / n:>12.4f} {ratio:>10}"
            )
        engine, greedy, rand = runs["engine"], runs["greedy"], runs["random"]
        print(
            f"   engine / random = {engine.total / rand.total:.2f}x,"
            f" engine / greedy = {engine.total / greedy.total:.4f}"
        )
        if dense in runs:
            d, s = runs[dense], runs[sparse]
            print(
                f"   sparse / dense: score {s.total / d.total:.5f},"
                f" time {s.seconds / d.seconds:.3f}"
            )
        else:
            print("   dense optimum SKIPPED: ratios above are n/a; see the bound below")
        if isinstance(bound, float):
            print(
                f"   engine / upper bound (each person's best partner) = {engine.total / bound:.4f}"
            )


if __name__ == "__main__":
    main()
