"""The matching engine: optimality, hard constraints, reasons, determinism and explanations."""

from __future__ import annotations

import datetime as dt
import functools
import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services import matching
from bot.services.matching import (
    Explanation,
    MatchConfig,
    MatchResult,
    Person,
    UnmatchedReason,
    explain,
    greedy_match,
    match,
    pair_score,
    random_match,
)

WINTER = dt.date(2026, 1, 15)
# The US is on summer time from 8 March, Europe only from 29 March.
US_ONLY_DST = dt.date(2026, 3, 16)
SUMMER = dt.date(2026, 7, 1)
CONFIG = MatchConfig(reference_date=WINTER)
SKILLS = ("ai", "excel", "slack", "teams", "video")
ZONES = (None, "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo", "Mars/Base")
DEPARTMENTS = (None, "IT", " it ", "HR", "Sales")

# Reproducible in CI and no .hypothesis folder in the working tree.
QUIET = settings(database=None, derandomize=True, deadline=None)


def mentor(
    pid: int,
    offered: dict[str, int] | None = None,
    *,
    dept: str | None = "IT",
    langs: Sequence[str] = ("en",),
    tz: str | None = "Europe/Berlin",
    capacity: int = 1,
    blocked: AbstractSet[int] = frozenset(),
) -> Person:
    return Person(
        id=pid,
        is_mentor=True,
        department=dept,
        languages=frozenset(langs),
        timezone=tz,
        offered={"ai": 4} if offered is None else offered,
        wanted={},
        capacity=capacity,
        blocked=frozenset(blocked),
    )


def mentee(
    pid: int,
    wanted: dict[str, int] | None = None,
    *,
    dept: str | None = "HR",
    langs: Sequence[str] = ("en",),
    tz: str | None = "Europe/Berlin",
    blocked: AbstractSet[int] = frozenset(),
) -> Person:
    return Person(
        id=pid,
        is_mentor=False,
        department=dept,
        languages=frozenset(langs),
        timezone=tz,
        offered={},
        wanted={"ai": 2} if wanted is None else wanted,
        blocked=frozenset(blocked),
    )


def random_pool(
    rng: random.Random, n_mentors: int, n_mentees: int
) -> tuple[list[Person], set[tuple[int, int]]]:
    """A small pool that hits every constraint now and then."""
    people = []
    ids = rng.sample(range(1, 1000), n_mentors + n_mentees)
    for i, pid in enumerate(ids):
        is_mentor = i < n_mentors
        count = 0 if rng.random() < 0.1 else rng.randint(1, 3)
        skills = {k: rng.randint(1, 5) for k in rng.sample(SKILLS, count)}
        people.append(
            Person(
                id=pid,
                is_mentor=is_mentor,
                department=rng.choice(DEPARTMENTS),
                languages=frozenset(rng.choice([["en"], ["en"], ["en"], ["en", "de"], ["de"]])),
                timezone=rng.choice([*ZONES, *["Europe/Berlin"] * 6]),
                offered=skills if is_mentor else {},
                wanted={} if is_mentor else skills,
                capacity=rng.choice([1, 1, 2, 3]) if is_mentor else 1,
                blocked=frozenset(rng.sample(ids, 1)) if rng.random() < 0.15 else frozenset(),
            )
        )
    mentors = [p.id for p in people if p.is_mentor]
    mentees = [p.id for p in people if not p.is_mentor]
    history = {
        (rng.choice(mentors), rng.choice(mentees))
        for _ in range(rng.randint(0, 3))
        if mentors and mentees
    }
    return people, history


def medium_pool(n: int, seed: int) -> tuple[list[Person], set[tuple[int, int]]]:
    """n mentors and n mentees with a realistic spread of skills, departments and zones."""
    rng = random.Random(seed)
    keys = [f"skill_{i:02d}" for i in range(16)]
    zones = ["Europe/Berlin"] * 5 + ["America/New_York", "Asia/Kolkata", "Europe/London", None]
    people = []
    for pid in range(1, 2 * n + 1):
        is_mentor = pid <= n
        chosen = rng.sample(keys, rng.randint(2, 4) if is_mentor else rng.randint(1, 4))
        skills = {k: rng.randint(2, 5) if is_mentor else rng.randint(1, 3) for k in chosen}
        people.append(
            Person(
                id=pid,
                is_mentor=is_mentor,
                department=f"Dept {rng.randint(1, 7)}",
                languages=frozenset(["en"] if rng.random() < 0.8 else ["de"]),
                timezone=rng.choice(zones),
                offered=skills if is_mentor else {},
                wanted={} if is_mentor else skills,
                capacity=rng.choice([1, 1, 1, 1, 2, 3]) if is_mentor else 1,
            )
        )
    history = {(rng.randint(1, n), rng.randint(n + 1, 2 * n)) for _ in range(n // 4)}
    return people, history


def brute_force_total(
    people: Sequence[Person], history: AbstractSet[tuple[int, int]], config: MatchConfig
) -> float:
    """The best total score over every assignment, leaving people out included."""
    mentors = [p for p in people if p.is_mentor]
    mentees = [p for p in people if not p.is_mentor]
    scores = [[pair_score(m, e, config, history) for m in mentors] for e in mentees]

    @functools.cache
    def best(i: int, room: tuple[int, ...]) -> float:
        if i == len(mentees):
            return 0.0
        result = best(i + 1, room)
        for j, score in enumerate(scores[i]):
            if score is not None and room[j] > 0:
                left = (*room[:j], room[j] - 1, *room[j + 1 :])
                result = max(result, score + best(i + 1, left))
        return result

    return best(0, tuple(m.capacity for m in mentors))


def check_invariants(
    people: Sequence[Person],
    history: AbstractSet[tuple[int, int]],
    config: MatchConfig,
    result: MatchResult,
) -> None:
    """Everything a result promises, checked against pair_score one pair at a time."""
    by_id = {p.id: p for p in people}
    mentors = [p for p in people if p.is_mentor]
    mentees = [p for p in people if not p.is_mentor]
    load = Counter(pair.mentor_id for pair in result.pairs)
    mentee_ids = [pair.mentee_id for pair in result.pairs]
    assert len(mentee_ids) == len(set(mentee_ids))
    assert list(result.pairs) == sorted(result.pairs, key=lambda p: (p.mentor_id, p.mentee_id))
    for pair in result.pairs:
        m, e = by_id[pair.mentor_id], by_id[pair.mentee_id]
        assert m.is_mentor and not e.is_mentor
        assert pair_score(m, e, config, history) == pytest.approx(pair.score, abs=1e-12)
        assert pair.explanation == explain(m, e, config)
        assert pair.explanation.covered
    for mentor_id, n in load.items():
        assert n <= by_id[mentor_id].capacity
    paired = set(load) | set(mentee_ids)
    assert paired.isdisjoint(result.unmatched)
    assert paired | set(result.unmatched) == set(by_id)

    def allowed(p: Person) -> list[Person]:
        if p.is_mentor:
            return [e for e in mentees if pair_score(p, e, config, history) is not None]
        return [m for m in mentors if pair_score(m, p, config, history) is not None]

    def overlaps(p: Person) -> bool:
        if p.is_mentor:
            return any(set(p.offered) & set(e.wanted) for e in mentees)
        return any(set(m.offered) & set(p.wanted) for m in mentors)

    for pid, reason in result.unmatched.items():
        p = by_id[pid]
        others = mentees if p.is_mentor else mentors
        if reason is UnmatchedReason.NO_PARTNERS_IN_POOL:
            assert not others
            continue
        assert others
        if reason in (UnmatchedReason.NOTHING_TO_OFFER, UnmatchedReason.NOTHING_OFFERED):
            assert p.is_mentor == (reason is UnmatchedReason.NOTHING_TO_OFFER)
            assert not overlaps(p)
        elif reason is UnmatchedReason.NO_COMPATIBLE_PARTNER:
            assert overlaps(p) and not allowed(p)
        else:
            assert reason is UnmatchedReason.PARTNERS_TAKEN
            partners = allowed(p)
            assert partners
            if result.solver in ("dense", "sparse"):
                if p.is_mentor:
                    assert all(o.id in mentee_ids for o in partners)
                else:
                    assert all(load[o.id] == o.capacity for o in partners)

    unmet = Counter(
        skill
        for e in mentees
        for skill in e.wanted
        if not any(
            skill in m.offered and pair_score(m, e, config, history) is not None for m in mentors
        )
    )
    assert dict(result.unmet_demand) == dict(unmet)


# --- optimality ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(150))
def test_the_total_score_equals_brute_force_on_small_random_pools(seed: int) -> None:
    rng = random.Random(seed)
    people, history = random_pool(rng, rng.randint(1, 6), rng.randint(1, 7))
    config = replace(
        CONFIG,
        different_departments=rng.random() < 0.8,
        min_overlap_hours=rng.choice([0.0, 2.0, 4.0]),
    )
    best = brute_force_total(people, history, config)

    dense = match(people, history, config)
    # With k above every degree the candidate graph is complete, so the sparse path is exact too.
    sparse = match(people, history, replace(config, dense_limit=0, top_k=50))

    assert dense.total_score == pytest.approx(best, abs=1e-9)
    assert sparse.total_score == pytest.approx(best, abs=1e-9)
    check_invariants(people, history, config, dense)
    check_invariants(people, history, config, sparse)


def test_one_strong_pair_beats_two_weak_ones() -> None:
    config = replace(CONFIG, overlap_weight=0.0)
    strong, weak = mentor(1, {"ai": 5}), mentor(2, {"ai": 1}, dept="Sales")
    a = mentee(10, {"ai": 1})
    b = mentee(11, {"ai": 1, "excel": 1, "slack": 1, "teams": 1, "video": 1}, dept="Sales")
    # strong+a scores 1.0; weak+a and strong+b would be two pairs of 0.2 each.
    result = match([strong, weak, a, b], set(), config)
    assert [(p.mentor_id, p.mentee_id, p.score) for p in result.pairs] == [(1, 10, 1.0)]
    assert result.unmatched == {
        2: UnmatchedReason.PARTNERS_TAKEN,
        11: UnmatchedReason.PARTNERS_TAKEN,
    }


def test_the_pairing_is_globally_optimal_where_greedy_is_not() -> None:
    config = replace(CONFIG, overlap_weight=0.0)
    people = [
        mentor(1, {"ai": 5, "excel": 5}),
        mentor(2, {"ai": 4}),
        mentee(10, {"ai": 1}),
        mentee(11, {"excel": 1}),
    ]
    best = match(people, set(), config)
    greedy = greedy_match(people, set(), config)
    assert [(p.mentor_id, p.mentee_id) for p in best.pairs] == [(1, 11), (2, 10)]
    assert best.total_score == pytest.approx(1.8)
    assert [(p.mentor_id, p.mentee_id) for p in greedy.pairs] == [(1, 10)]
    assert greedy.unmatched == {
        2: UnmatchedReason.PARTNERS_TAKEN,
        11: UnmatchedReason.PARTNERS_TAKEN,
    }


def test_the_score_is_level_weighted_coverage_plus_a_small_overlap_term() -> None:
    m = mentor(1, {"ai": 5, "excel": 3, "video": 4}, tz="Europe/Berlin")
    e = mentee(2, {"ai": 2, "excel": 1, "slack": 3}, tz="America/New_York")
    expected = (5 + 3) / (5 * 3) + 0.1 * 2.0 / 8
    assert pair_score(m, e, CONFIG) == pytest.approx(expected)
    assert pair_score(m, replace(e, wanted={"slack": 1}), CONFIG) is None


def test_a_mentor_takes_several_mentees_up_to_their_capacity() -> None:
    people = [
        mentor(1, {"ai": 4, "excel": 5}, capacity=2),
        mentee(10, {"excel": 2}),
        mentee(11, {"ai": 1, "excel": 1}),
        mentee(12, {"ai": 1}),
    ]
    result = match(people, set(), CONFIG)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [(1, 10), (1, 11)]
    assert result.unmatched == {12: UnmatchedReason.PARTNERS_TAKEN}


# --- hard constraints ------------------------------------------------------------------------


def test_departments_conflict_trimmed_and_case_insensitively_but_never_when_missing() -> None:
    assert pair_score(mentor(1, dept=" Sales"), mentee(2, dept="sales "), CONFIG) is None
    assert pair_score(mentor(1, dept=None), mentee(2, dept=None), CONFIG) is not None
    assert pair_score(mentor(1, dept="  "), mentee(2, dept="  "), CONFIG) is not None
    same = MatchConfig(different_departments=False, reference_date=WINTER)
    assert pair_score(mentor(1, dept="IT"), mentee(2, dept="it"), same) is not None


def test_a_pair_needs_a_shared_language_compared_case_insensitively() -> None:
    assert pair_score(mentor(1, langs=["de"]), mentee(2, langs=["en"]), CONFIG) is None
    assert pair_score(mentor(1, langs=["EN"]), mentee(2, langs=["en", "fr"]), CONFIG) is not None
    assert pair_score(mentor(1, langs=[]), mentee(2, langs=["en"]), CONFIG) is None


def test_earlier_pairs_are_never_repeated_in_either_role() -> None:
    m, e = mentor(1), mentee(2)
    assert pair_score(m, e, CONFIG, {(1, 2)}) is None
    assert pair_score(m, e, CONFIG, {(2, 1)}) is None
    result = match([m, e], {(1, 2)}, CONFIG)
    assert not result.pairs
    assert result.unmatched == {
        1: UnmatchedReason.NO_COMPATIBLE_PARTNER,
        2: UnmatchedReason.NO_COMPATIBLE_PARTNER,
    }


def test_a_block_list_on_either_side_forbids_the_pair() -> None:
    assert pair_score(mentor(1, blocked={2}), mentee(2), CONFIG) is None
    assert pair_score(mentor(1), mentee(2, blocked={1}), CONFIG) is None
    assert pair_score(mentor(1, blocked={3}), mentee(2), CONFIG) is not None


def test_too_few_shared_hours_forbid_the_pair_and_unknown_zones_count_as_a_full_day() -> None:
    strict = replace(CONFIG, min_overlap_hours=4.0)
    assert (
        pair_score(mentor(1, tz="Europe/Berlin"), mentee(2, tz="America/New_York"), strict) is None
    )
    assert pair_score(mentor(1, tz="Asia/Tokyo"), mentee(2, tz="America/New_York"), CONFIG) is None
    for unknown in (None, "Mars/Base", "../etc/passwd", "Europe"):
        ok = pair_score(mentor(1, tz="Asia/Tokyo"), mentee(2, tz=unknown), strict)
        assert ok == pytest.approx(4 / 5 + 0.1)


def test_pair_score_wants_a_mentor_and_a_mentee_in_that_order() -> None:
    with pytest.raises(ValueError, match="mentor and a mentee"):
        pair_score(mentee(1), mentor(2), CONFIG)


def test_levels_outside_one_to_five_and_capacity_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        mentor(1, {"ai": 6})
    with pytest.raises(ValueError, match="level"):
        mentee(1, {"ai": 0})
    with pytest.raises(ValueError, match="capacity"):
        mentor(1, capacity=0)


def test_settings_that_would_break_the_engine_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap_weight"):
        MatchConfig(overlap_weight=-0.1)
    with pytest.raises(ValueError, match="top_k"):
        MatchConfig(top_k=0)


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        match([mentor(1), mentee(1)], set(), CONFIG)


# --- properties ------------------------------------------------------------------------------


@st.composite
def pools(draw: st.DrawFn) -> tuple[list[Person], frozenset[tuple[int, int]], MatchConfig]:
    n = draw(st.integers(0, 9))
    ids = list(range(1, n + 1))
    people = []
    for pid in ids:
        is_mentor = draw(st.booleans())
        skills = draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3))
        people.append(
            Person(
                id=pid,
                is_mentor=is_mentor,
                department=draw(st.sampled_from(DEPARTMENTS)),
                languages=draw(st.frozensets(st.sampled_from(["en", "EN", "de"]), max_size=2)),
                timezone=draw(st.sampled_from(ZONES)),
                offered=skills if is_mentor else {},
                wanted={} if is_mentor else skills,
                capacity=draw(st.integers(1, 3)),
                blocked=draw(st.frozensets(st.sampled_from(ids), max_size=2))
                if ids
                else frozenset(),
            )
        )
    history = (
        draw(st.frozensets(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=5))
        if ids
        else frozenset()
    )
    config = MatchConfig(
        different_departments=draw(st.booleans()),
        min_overlap_hours=draw(st.sampled_from([0.0, 2.0, 5.0])),
        overlap_weight=draw(st.sampled_from([0.0, 0.1, 0.5])),
        dense_limit=draw(st.sampled_from([0, 3000])),
        top_k=draw(st.sampled_from([1, 2, 20])),
        reference_date=draw(st.sampled_from([WINTER, US_ONLY_DST, SUMMER])),
    )
    return people, history, config


@settings(QUIET, max_examples=250, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_no_result_breaks_a_constraint_capacity_or_reason(
    pool: tuple[list[Person], frozenset[tuple[int, int]], MatchConfig],
) -> None:
    people, history, config = pool
    result = match(people, history, config)
    check_invariants(people, history, config, result)
    best = brute_force_total(people, history, config)
    assert result.total_score <= best + 1e-9
    if config.dense_limit or config.top_k >= len(people):
        assert result.total_score == pytest.approx(best, abs=1e-9)


@settings(QUIET, max_examples=60)
@given(pools())
def test_the_baselines_also_return_valid_results(
    pool: tuple[list[Person], frozenset[tuple[int, int]], MatchConfig],
) -> None:
    people, history, config = pool
    for result in (greedy_match(people, history, config), random_match(people, history, config)):
        check_invariants(people, history, config, result)


# --- determinism -----------------------------------------------------------------------------


@pytest.mark.parametrize("dense_limit", [3000, 50])
def test_same_input_gives_the_same_result_and_input_order_does_not_matter(
    dense_limit: int,
) -> None:
    people, history = medium_pool(120, seed=3)
    config = replace(CONFIG, dense_limit=dense_limit, top_k=5)
    first = match(people, history, config)
    again = match(list(people), set(history), config)
    shuffled = people[:]
    random.Random(1).shuffle(shuffled)
    reordered = match(shuffled, set(sorted(history, reverse=True)), config)

    assert first.solver == ("dense" if dense_limit == 3000 else "sparse")
    assert first == again
    assert reordered == first


def test_the_result_does_not_depend_on_hash_randomisation() -> None:
    script = (
        "import random, sys\n"
        "sys.path.insert(0, '.')\n"
        "from tests.services.test_matching import medium_pool, CONFIG\n"
        "from dataclasses import replace\n"
        "from bot.services.matching import match\n"
        "people, history = medium_pool(80, seed=5)\n"
        "for limit in (3000, 10):\n"
        "    r = match(people, history, replace(CONFIG, dense_limit=limit, top_k=3))\n"
        "    print(r.pairs, sorted(r.unmatched.items()), list(r.unmet_demand.items()))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


def test_random_pairing_depends_only_on_the_seed() -> None:
    people, history = medium_pool(60, seed=2)
    shuffled = people[::-1]
    a = random_match(people, history, replace(CONFIG, seed=7))
    assert random_match(shuffled, history, replace(CONFIG, seed=7)) == a
    assert random_match(people, history, replace(CONFIG, seed=8)).pairs != a.pairs


# --- the sparse solver -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def medium() -> tuple[list[Person], set[tuple[int, int]], MatchResult]:
    people, history = medium_pool(400, seed=11)
    return people, history, match(people, history, CONFIG)


def test_the_candidate_graph_holds_each_sides_top_k_once() -> None:
    scores = np.array([[0.9, 0.5, 0.0], [0.8, 0.7, 0.0], [0.0, 0.6, 0.0]])
    top = matching._TopK(n_c=3, k=1)
    top(0, scores[:1])  # streamed in blocks, as the scan does
    top(1, scores[1:])
    r, c = top.edges(3)
    # Rows pick (0,0), (1,0), (2,1); mentors pick (0,0) again and (1,1); mentor 2 has no one.
    assert list(zip(r.tolist(), c.tolist(), strict=True)) == [(0, 0), (1, 0), (1, 1), (2, 1)]


def test_the_sparse_solver_reaches_the_dense_optimum_within_one_percent(
    medium: tuple[list[Person], set[tuple[int, int]], MatchResult],
) -> None:
    people, history, dense = medium
    config = replace(CONFIG, dense_limit=100)
    sparse = match(people, history, config)

    assert (dense.solver, sparse.solver) == ("dense", "sparse")
    assert sparse.total_score >= 0.99 * dense.total_score
    assert sparse.total_score <= dense.total_score + 1e-9
    check_invariants(people, history, config, sparse)
    assert sparse.unmet_demand == dense.unmet_demand


def test_pricing_rounds_prove_the_optimum_even_from_a_one_candidate_graph(
    medium: tuple[list[Person], set[tuple[int, int]], MatchResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people, history, dense = medium
    config = replace(CONFIG, dense_limit=100, top_k=1)
    monkeypatch.setattr(matching, "_PRICING_ROUNDS", 0)
    unpriced = match(people, history, config)
    monkeypatch.setattr(matching, "_PRICING_ROUNDS", 100)
    priced = match(people, history, config)

    assert unpriced.total_score < 0.99 * dense.total_score
    assert priced.total_score == pytest.approx(dense.total_score, abs=1e-6)
    check_invariants(people, history, config, priced)


def test_pricing_without_the_score_cache_is_as_good(
    medium: tuple[list[Person], set[tuple[int, int]], MatchResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people, history, dense = medium
    config = replace(CONFIG, dense_limit=100, top_k=3)
    cached = match(people, history, config)
    monkeypatch.setattr(matching, "_CACHE_CELLS", 0)
    recomputed = match(people, history, config)
    # float32 and float64 prices may pick different pairs among near-ties.
    for result in (cached, recomputed):
        assert result.total_score >= 0.999 * dense.total_score
    check_invariants(people, history, config, recomputed)


def test_potentials_that_do_not_settle_end_pricing_with_a_valid_result(
    medium: tuple[list[Person], set[tuple[int, int]], MatchResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people, history, _ = medium
    config = replace(CONFIG, dense_limit=100, top_k=3)
    monkeypatch.setattr(matching, "_PRICING_ROUNDS", 0)
    unpriced = match(people, history, config)
    monkeypatch.setattr(matching, "_PRICING_ROUNDS", 3)
    monkeypatch.setattr(matching, "_MAX_RELAXATIONS", 1)
    result = match(people, history, config)
    assert result.solver == "sparse"
    assert result == unpriced


def test_the_sparse_solver_fills_free_mentor_places_outside_the_candidate_graph() -> None:
    config = replace(CONFIG, overlap_weight=0.0)
    people = [
        mentor(1, {"ai": 5, "excel": 5, "slack": 4}),
        mentor(2, {"video": 5, "excel": 1}, capacity=2),
        mentee(10, {"ai": 1}),
        mentee(11, {"excel": 1, "slack": 1}),
        mentee(12, {"ai": 1, "video": 1}),
    ]
    # With k = 1 nobody lists 11 with mentor 2 (0.1), the only place left once 10 has mentor 1.
    sparse = match(people, set(), replace(config, dense_limit=0, top_k=1))
    dense = match(people, set(), config)
    assert sparse.solver == "sparse"
    assert sparse.pairs == dense.pairs
    assert [(p.mentor_id, p.mentee_id) for p in sparse.pairs] == [(1, 10), (2, 11), (2, 12)]


def test_a_sparse_solver_failure_falls_back_to_the_dense_optimum(
    medium: tuple[list[Person], set[tuple[int, int]], MatchResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people, history, dense = medium

    def no_full_matching(graph: object) -> None:
        raise ValueError("no full matching exists")

    monkeypatch.setattr(matching, "min_weight_full_bipartite_matching", no_full_matching)
    result = match(people, history, replace(CONFIG, dense_limit=100))
    assert result.solver == "sparse+fallback"
    assert result.total_score == pytest.approx(dense.total_score)


def test_a_fallback_too_big_for_a_dense_matrix_is_greedy(
    medium: tuple[list[Person], set[tuple[int, int]], MatchResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people, history, _ = medium
    monkeypatch.setattr(matching, "_DENSE_FALLBACK_CELLS", 0)
    monkeypatch.setattr(
        matching,
        "min_weight_full_bipartite_matching",
        lambda graph: (graph.indptr[:1], graph.indices[:1]),
    )
    config = replace(CONFIG, dense_limit=100)
    result = match(people, history, config)
    assert result.solver == "sparse+fallback"
    assert result.pairs == greedy_match(people, history, config).pairs


def test_the_optimum_beats_greedy_and_random_pairing(
    medium: tuple[list[Person], set[tuple[int, int]], MatchResult],
) -> None:
    people, history, dense = medium
    greedy = greedy_match(people, history, CONFIG)
    rand = random_match(people, history, CONFIG)
    assert (greedy.solver, rand.solver) == ("greedy", "random")
    assert dense.total_score >= greedy.total_score >= rand.total_score
    assert dense.total_score >= 5 * rand.total_score


# --- degenerate pools ------------------------------------------------------------------------


@pytest.mark.parametrize("dense_limit", [3000, 0])
@pytest.mark.parametrize(
    ("people", "reasons"),
    [
        ([], {}),
        ([mentor(1)], {1: UnmatchedReason.NO_PARTNERS_IN_POOL}),
        ([mentee(1)], {1: UnmatchedReason.NO_PARTNERS_IN_POOL}),
        ([mentor(1), mentor(2, {})], dict.fromkeys((1, 2), UnmatchedReason.NO_PARTNERS_IN_POOL)),
        ([mentee(1), mentee(2, {})], dict.fromkeys((1, 2), UnmatchedReason.NO_PARTNERS_IN_POOL)),
        (
            [mentor(1, dept="HR"), mentor(2, dept="HR"), mentee(3), mentee(4)],
            dict.fromkeys((1, 2, 3, 4), UnmatchedReason.NO_COMPATIBLE_PARTNER),
        ),
        (
            [mentor(1, langs=["de"]), mentee(2, tz="Asia/Tokyo"), mentee(3, tz="America/Denver")],
            dict.fromkeys((1, 2, 3), UnmatchedReason.NO_COMPATIBLE_PARTNER),
        ),
        (
            [mentor(1, {}), mentor(2, {"excel": 5}), mentee(3, {}), mentee(4, {"ai": 1})],
            {
                1: UnmatchedReason.NOTHING_TO_OFFER,
                2: UnmatchedReason.NOTHING_TO_OFFER,
                3: UnmatchedReason.NOTHING_OFFERED,
                4: UnmatchedReason.NOTHING_OFFERED,
            },
        ),
    ],
    ids=[
        "empty",
        "one-mentor",
        "one-mentee",
        "only-mentors",
        "only-mentees",
        "one-department",
        "all-infeasible",
        "no-skill-overlap",
    ],
)
def test_degenerate_pools_give_a_valid_result_with_a_reason_for_everyone(
    people: list[Person], reasons: dict[int, UnmatchedReason], dense_limit: int
) -> None:
    config = replace(CONFIG, dense_limit=dense_limit)
    result = match(people, set(), config)
    assert result.pairs == ()
    assert result.solver == "none"
    assert result.unmatched == reasons
    assert result.average_score == 0.0
    assert result.covered_share(people) == 0.0
    check_invariants(people, set(), config, result)


def test_unmet_demand_counts_mentees_whom_no_allowed_mentor_offers_the_skill() -> None:
    people = [
        mentor(1, {"ai": 4}, dept="IT"),
        mentee(10, {"ai": 2, "cobol": 1}, dept="IT"),
        mentee(11, {"ai": 2, "cobol": 1}, dept="HR"),
        mentee(12, {"excel": 1}, dept="HR"),
    ]
    result = match(people, set(), CONFIG)
    assert result.unmet_demand == {"ai": 1, "cobol": 2, "excel": 1}
    assert result.unmatched == {
        10: UnmatchedReason.NO_COMPATIBLE_PARTNER,
        12: UnmatchedReason.NOTHING_OFFERED,
    }
    assert result.covered_share(people) == pytest.approx(1 / 3)


# --- explanations ----------------------------------------------------------------------------


def test_covered_skills_come_best_first_by_mentor_level_then_mentee_need_then_key() -> None:
    m = mentor(1, {"ai": 5, "excel": 3, "video": 5, "teams": 4, "slack": 5}, langs=["en", "DE"])
    e = mentee(
        2, {"ai": 2, "excel": 1, "video": 1, "slack": 1, "cobol": 3}, langs=["fr", "de", "en"]
    )
    [pair] = match([m, e], set(), CONFIG).pairs
    assert pair.explanation == Explanation(
        covered=("slack", "video", "ai", "excel"),
        shared_languages=("de", "en"),
        overlap_hours=8.0,
    )


@pytest.mark.parametrize(
    ("zone_a", "zone_b", "day", "hours"),
    [
        ("Europe/Berlin", "America/New_York", WINTER, 2.0),
        ("Europe/Berlin", "America/New_York", US_ONLY_DST, 3.0),
        ("Europe/Berlin", "America/New_York", SUMMER, 2.0),
        ("Europe/Berlin", "Asia/Kolkata", WINTER, 3.5),
        ("Europe/Berlin", "Asia/Kolkata", SUMMER, 4.5),
        ("Asia/Kolkata", "America/New_York", SUMMER, 0.0),
        ("Asia/Kolkata", "Asia/Kolkata", SUMMER, 8.0),
        ("Pacific/Kiritimati", "Pacific/Pago_Pago", WINTER, 7.0),
        ("Europe/Berlin", None, SUMMER, 8.0),
    ],
)
def test_overlap_hours_follow_daylight_saving_time_and_half_hour_zones(
    zone_a: str, zone_b: str | None, day: dt.date, hours: float
) -> None:
    config = MatchConfig(min_overlap_hours=0, reference_date=day)
    e = explain(mentor(1, tz=zone_a), mentee(2, tz=zone_b), config)
    assert e.overlap_hours == hours


def test_a_daylight_saving_gap_decides_whether_a_pair_may_meet() -> None:
    people = [mentor(1, tz="Europe/Berlin"), mentee(2, tz="America/New_York")]
    config = MatchConfig(min_overlap_hours=2.5, reference_date=WINTER)
    assert not match(people, set(), config).pairs
    [pair] = match(people, set(), replace(config, reference_date=US_ONLY_DST)).pairs
    assert pair.explanation.overlap_hours == 3.0
    assert pair.score == pytest.approx(4 / 5 + 0.1 * 3 / 8)
