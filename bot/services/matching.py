"""Optimal mentor–mentee pairing of an opt-in pool (pure: numpy and scipy only).

Score of a pair (mentor m, mentee e), when no hard constraint forbids it::

    coverage = sum(level_m(w) / 5 for w in wanted(e) if w in offered(m)) / len(wanted(e))
    score    = coverage + overlap_weight * min(overlap_hours(m, e), 8) / 8

so coverage is in (0, 1] and the score in (0, 1 + overlap_weight]. Everyone works 09:00-17:00
local time; the overlap is taken on the 24-hour clock with UTC offsets resolved at local noon
of `MatchConfig.reference_date`, and an unknown or invalid time zone counts as a full 8 hours.

A pair is forbidden when it covers no wanted skill, both share a department (when
`different_departments`; compared trimmed and case-insensitively, a missing department never
conflicts), they share no language (an empty language list shares none), the overlap is below
`min_overlap_hours`, the two were paired before in either role, or either blocked the other.

`match` maximises the total score; leaving someone unmatched scores 0, so it never trades a
good pair for two poor ones just to pair more people. Up to `dense_limit` people per side it
solves the exact assignment problem on a dense matrix (`linear_sum_assignment`, mentor
capacity as repeated columns). Above that it keeps, for every person, their `top_k` best
allowed partners (from both sides, each edge once) and solves that sparse graph exactly with
`min_weight_full_bipartite_matching`. In a crowded pool everyone's favourites are the same
few mentors and top-k alone loses a few per cent, so the rest of the pool is then priced:
the potentials of the solution's residual graph are dual prices, any allowed pair whose score
beats them could improve the matching, and up to `top_k` such pairs per mentee join the graph
before it is solved again. A round that finds none proves the matching optimal for the whole
pool. Last, mentees still unmatched get mentors with room left, over all their allowed pairs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt


# scipy is imported on first use: it costs about 2 s of start-up, and most processes
# (web workers, the scheduler, `tick`) never match anyone.
def linear_sum_assignment(cost: Any) -> Any:
    """scipy.optimize.linear_sum_assignment, imported lazily."""
    from scipy.optimize import linear_sum_assignment as solve  # type: ignore[import-untyped]

    return solve(cost)


def min_weight_full_bipartite_matching(graph: Any) -> Any:
    """scipy.sparse.csgraph.min_weight_full_bipartite_matching, imported lazily."""
    from scipy.sparse.csgraph import (  # type: ignore[import-untyped]
        min_weight_full_bipartite_matching as solve,
    )

    return solve(graph)


def csr_array(*args: Any, **kwargs: Any) -> Any:
    """scipy.sparse.csr_array, imported lazily."""
    from scipy.sparse import csr_array as make  # type: ignore[import-untyped]

    return make(*args, **kwargs)


Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

WORKDAY_HOURS: Final = 8.0
MAX_LEVEL: Final = 5
# Score-matrix cells computed at once: about 16 MB per float array, so a 10k x 10k pool
# streams through in blocks instead of holding 800 MB matrices.
_BLOCK_CELLS: Final = 1 << 21
# Largest mentee x mentor-slot matrix the sparse path may fall back to solving densely
# (about 400 MB of float64); beyond it the fallback is greedy.
_DENSE_FALLBACK_CELLS: Final = 50_000_000
# A float32 copy of the scores (at most 600 MB) makes pricing rounds cheap; bigger pools
# recompute the scores in each round instead.
_CACHE_CELLS: Final = 150_000_000
# Rounds of adding the pairs that the duals of the sparse solution price as improving.
_PRICING_ROUNDS: Final = 3
# A pair improves the matching when its score beats the duals by more than rounding noise.
_PRICE_TOLERANCE: Final = 1e-5
# Bellman-Ford passes before giving up on the potentials (about 50-100 are needed at 10k).
_MAX_RELAXATIONS: Final = 2000


class UnmatchedReason(enum.StrEnum):
    """Why a person got no partner in this round."""

    NO_PARTNERS_IN_POOL = "no_partners_in_pool"
    NOTHING_TO_OFFER = "nothing_to_offer"
    NOTHING_OFFERED = "nothing_offered"
    NO_COMPATIBLE_PARTNER = "no_compatible_partner"
    PARTNERS_TAKEN = "partners_taken"


@dataclass(frozen=True)
class Person:
    """One participant as the engine sees them; mentors use `offered`, mentees `wanted`."""

    id: int
    is_mentor: bool
    department: str | None
    languages: frozenset[str]
    timezone: str | None
    offered: Mapping[str, int]
    wanted: Mapping[str, int]
    capacity: int = 1
    blocked: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        """Refuse levels outside 1..5 and a capacity below 1."""
        for skills in (self.offered, self.wanted):
            for key, level in skills.items():
                if not 1 <= level <= MAX_LEVEL:
                    raise ValueError(f"person {self.id}: level {level} for {key!r} not in 1..5")
        if self.capacity < 1:
            raise ValueError(f"person {self.id}: capacity {self.capacity} below 1")


@dataclass(frozen=True)
class MatchConfig:
    """Hard constraints, score weights and solver limits for one matching round."""

    different_departments: bool = True
    min_overlap_hours: float = 2.0
    overlap_weight: float = 0.1
    dense_limit: int = 3000
    top_k: int = 20
    seed: int = 0
    reference_date: dt.date | None = None

    def __post_init__(self) -> None:
        """Refuse settings under which an allowed pair could score 0 or no candidate is kept."""
        if self.overlap_weight < 0:
            raise ValueError("overlap_weight must not be negative")
        if self.top_k < 1 or self.dense_limit < 0:
            raise ValueError("top_k must be at least 1 and dense_limit not negative")


@dataclass(frozen=True)
class Explanation:
    """Why a pair fits: the skills it covers (best first), shared languages, shared hours."""

    covered: tuple[str, ...]
    shared_languages: tuple[str, ...]
    overlap_hours: float


@dataclass(frozen=True)
class MatchedPair:
    """One mentor–mentee pair with its score."""

    mentor_id: int
    mentee_id: int
    score: float
    explanation: Explanation


@dataclass(frozen=True)
class MatchResult:
    """The pairs of a round, a reason for everyone left out, and the skills nobody offers."""

    pairs: tuple[MatchedPair, ...]
    unmatched: Mapping[int, UnmatchedReason]
    solver: str
    unmet_demand: Mapping[str, int]

    @property
    def total_score(self) -> float:
        """The sum of the pair scores: the objective the solver maximises."""
        return float(sum(p.score for p in self.pairs))

    @property
    def average_score(self) -> float:
        """The mean pair score; 0.0 without pairs."""
        return self.total_score / len(self.pairs) if self.pairs else 0.0

    def covered_share(self, people: Iterable[Person]) -> float:
        """Share of the mentees among `people` whose pair covers a wanted skill; 0.0 if none."""
        mentees = {p.id for p in people if not p.is_mentor}
        covered = {p.mentee_id for p in self.pairs if p.explanation.covered} & mentees
        return len(covered) / len(mentees) if mentees else 0.0


# --- single pairs ---------------------------------------------------------------------------


def _reference_date(config: MatchConfig) -> dt.date:
    """The date that fixes UTC offsets: the configured one, else today in UTC."""
    return config.reference_date or dt.datetime.now(dt.UTC).date()


@functools.lru_cache(maxsize=4096)
def utc_offset_hours(timezone: str | None, day: dt.date) -> float | None:
    """The zone's UTC offset in hours at local noon on `day`; None when unknown or invalid."""
    if not timezone:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # e.g. a directory such as 'Europe'
        return None
    offset = dt.datetime.combine(day, dt.time(12), tzinfo=zone).utcoffset()
    return None if offset is None else offset.total_seconds() / 3600


def overlap_hours(offset_a: float | None, offset_b: float | None) -> float:
    """Shared hours of two 09:00-17:00 working days at these UTC offsets (None: full day)."""
    if offset_a is None or offset_b is None:
        return WORKDAY_HOURS
    gap = abs(offset_a - offset_b) % 24.0
    return max(0.0, WORKDAY_HOURS - min(gap, 24.0 - gap))


def _overlap_bonus(hours: float, config: MatchConfig) -> float:
    """The overlap term of the score."""
    return config.overlap_weight * min(hours, WORKDAY_HOURS) / WORKDAY_HOURS


def _department(value: str | None) -> str | None:
    """Departments compare trimmed and case-insensitively; blank means unknown."""
    return (value or "").strip().casefold() or None


def _languages(values: Iterable[str]) -> frozenset[str]:
    """Language codes, trimmed and lower-case."""
    return frozenset(v.strip().lower() for v in values if v.strip())


def pair_score(
    mentor: Person,
    mentee: Person,
    config: MatchConfig = MatchConfig(),
    history: AbstractSet[tuple[int, int]] = frozenset(),
) -> float | None:
    """None when a hard constraint forbids the pair; else the score."""
    if not mentor.is_mentor or mentee.is_mentor:
        raise ValueError("pair_score takes a mentor and a mentee, in that order")
    levels = [mentor.offered[k] for k in mentee.wanted if k in mentor.offered]
    if not levels:
        return None
    dept = _department(mentor.department)
    if config.different_departments and dept is not None and dept == _department(mentee.department):
        return None
    if not _languages(mentor.languages) & _languages(mentee.languages):
        return None
    if (mentor.id, mentee.id) in history or (mentee.id, mentor.id) in history:
        return None
    if mentee.id in mentor.blocked or mentor.id in mentee.blocked:
        return None
    day = _reference_date(config)
    hours = overlap_hours(
        utc_offset_hours(mentor.timezone, day), utc_offset_hours(mentee.timezone, day)
    )
    if hours < config.min_overlap_hours:
        return None
    return sum(levels) / (MAX_LEVEL * len(mentee.wanted)) + _overlap_bonus(hours, config)


def explain(mentor: Person, mentee: Person, config: MatchConfig = MatchConfig()) -> Explanation:
    """The skills a pair covers (best first), its shared languages and shared working hours."""
    covered = sorted(
        (k for k in mentee.wanted if k in mentor.offered),
        key=lambda k: (-mentor.offered[k], mentee.wanted[k], k),
    )
    day = _reference_date(config)
    return Explanation(
        covered=tuple(covered),
        shared_languages=tuple(sorted(_languages(mentor.languages) & _languages(mentee.languages))),
        overlap_hours=overlap_hours(
            utc_offset_hours(mentor.timezone, day), utc_offset_hours(mentee.timezone, day)
        ),
    )


# --- the pool as arrays -----------------------------------------------------------------------


@dataclass
class _Pool:
    """Mentees (rows) and mentors (columns), sorted by id, as the arrays the scan needs."""

    mentees: list[Person]
    mentors: list[Person]
    skills: tuple[str, ...]
    want: Floats  # rows x skills, 1.0 where wanted
    offer: Floats  # columns x skills, the offered level (0 = not offered)
    n_wanted: Floats
    capacity: Ints
    dept_r: Ints  # -1 = unknown
    dept_c: Ints
    lang_r: npt.NDArray[np.uint64]  # rows x words, one bit per language
    lang_c: npt.NDArray[np.uint64]
    zone_r: Ints  # index into the zone tables
    zone_c: Ints
    zone_ok: Bools  # zone x zone: overlap >= min_overlap_hours
    zone_bonus: Floats  # zone x zone: the overlap term of the score
    forbid_r: Ints  # explicit forbidden cells (history, block lists), sorted by row
    forbid_c: Ints

    @property
    def shape(self) -> tuple[int, int]:
        """Mentees x mentors."""
        return len(self.mentees), len(self.mentors)


def _codes(values: Sequence[str | None]) -> Ints:
    """Small integers for values, in sorted order, and -1 for None."""
    index = {v: i for i, v in enumerate(sorted({v for v in values if v is not None}))}
    return np.array([-1 if v is None else index[v] for v in values], dtype=np.int64)


def _prepare(
    people: Sequence[Person], history: AbstractSet[tuple[int, int]], config: MatchConfig
) -> _Pool:
    """Sort the pool by id and turn it into arrays; refuses duplicate ids."""
    ids = [p.id for p in people]
    if len(set(ids)) != len(ids):
        raise ValueError("person ids must be unique")
    mentees = sorted((p for p in people if not p.is_mentor), key=lambda p: p.id)
    mentors = sorted((p for p in people if p.is_mentor), key=lambda p: p.id)
    skills = tuple(
        sorted({k for p in mentees for k in p.wanted} | {k for p in mentors for k in p.offered})
    )
    skill_index = {k: i for i, k in enumerate(skills)}

    want = np.zeros((len(mentees), len(skills)))
    for i, p in enumerate(mentees):
        want[i, [skill_index[k] for k in p.wanted]] = 1.0
    offer = np.zeros((len(mentors), len(skills)))
    for j, p in enumerate(mentors):
        for k, level in p.offered.items():
            offer[j, skill_index[k]] = level

    depts = _codes([_department(p.department) for p in mentees + mentors])
    langs = [_languages(p.languages) for p in mentees + mentors]
    lang_bit = {code: i for i, code in enumerate(sorted(frozenset[str]().union(*langs)))}
    words = max(1, -(-len(lang_bit) // 64))
    lang = np.zeros((len(langs), words), dtype=np.uint64)
    for i, codes in enumerate(langs):
        for code in codes:
            bit = lang_bit[code]
            lang[i, bit // 64] |= np.uint64(1 << (bit % 64))

    day = _reference_date(config)
    offsets = [utc_offset_hours(p.timezone, day) for p in mentees + mentors]
    known_offsets = sorted({o for o in offsets if o is not None})
    zone_of = {o: i for i, o in enumerate(known_offsets)}
    unknown = len(known_offsets)
    zones = np.array([unknown if o is None else zone_of[o] for o in offsets], dtype=np.int64)
    table_offsets: list[float | None] = [*known_offsets, None]
    hours = np.array([[overlap_hours(a, b) for b in table_offsets] for a in table_offsets])
    bonus = np.array([[_overlap_bonus(h, config) for h in row] for row in hours.tolist()])

    row_of = {p.id: i for i, p in enumerate(mentees)}
    col_of = {p.id: j for j, p in enumerate(mentors)}
    cells = {
        (row_of[b], col_of[a])
        for a, b in (*history, *((b, a) for a, b in history))
        if a in col_of and b in row_of
    }
    cells |= {(row_of[b], col_of[m.id]) for m in mentors for b in m.blocked if b in row_of}
    cells |= {(row_of[e.id], col_of[b]) for e in mentees for b in e.blocked if b in col_of}
    forbidden = np.array(sorted(cells), dtype=np.int64).reshape(-1, 2)

    n = len(mentees)
    return _Pool(
        mentees=mentees,
        mentors=mentors,
        skills=skills,
        want=want,
        offer=offer,
        n_wanted=want.sum(axis=1),
        capacity=np.array([p.capacity for p in mentors], dtype=np.int64),
        dept_r=depts[:n],
        dept_c=depts[n:],
        lang_r=lang[:n],
        lang_c=lang[n:],
        zone_r=zones[:n],
        zone_c=zones[n:],
        zone_ok=hours >= config.min_overlap_hours,
        zone_bonus=bonus,
        forbid_r=forbidden[:, 0].copy(),
        forbid_c=forbidden[:, 1].copy(),
    )


def _evaluate(
    pool: _Pool, config: MatchConfig, r: Ints, c: Ints, level_sum: Floats
) -> tuple[Floats, Bools]:
    """Scores (0 where forbidden) and the non-skill constraints for broadcastable r and c.

    Explicit forbidden cells (history, block lists) are left to the caller.
    """
    zone = pool.zone_r[r] * pool.zone_ok.shape[1] + pool.zone_c[c]
    hard = np.take(pool.zone_ok.ravel(), zone)
    if config.different_departments:
        dr, dc = pool.dept_r[r], pool.dept_c[c]
        hard &= (dr != dc) | (dr < 0)
    shared = (pool.lang_r[r, 0] & pool.lang_c[c, 0]) != 0
    for w in range(1, pool.lang_r.shape[1]):
        shared |= (pool.lang_r[r, w] & pool.lang_c[c, w]) != 0
    hard &= shared
    score = level_sum / (MAX_LEVEL * np.maximum(pool.n_wanted[r], 1.0))
    score += np.take(pool.zone_bonus.ravel(), zone)
    score *= hard & (level_sum > 0)
    return score, hard


def _pair_scores(pool: _Pool, config: MatchConfig, r: Ints, c: Ints) -> Floats:
    """Scores of the pairs (r[i], c[i]); 0 where forbidden."""
    level_sum = np.empty(r.shape)
    # In chunks: the gathered rows x skills arrays would otherwise be large for many pairs.
    for i in range(0, r.size, 1 << 16):
        j = i + (1 << 16)
        level_sum[i:j] = np.einsum("ij,ij->i", pool.want[r[i:j]], pool.offer[c[i:j]])
    score, _ = _evaluate(pool, config, r, c, level_sum)
    n_c = len(pool.mentors)
    score[np.isin(r * n_c + c, pool.forbid_r * n_c + pool.forbid_c)] = 0.0
    return score


@dataclass
class _Stats:
    """What the scan learns about every person, for reasons and the recruiting list."""

    overlap_r: Bools  # some mentor offers a wanted skill
    overlap_c: Bools
    allowed_r: Bools  # some pair is allowed
    allowed_c: Bools
    unmet: Ints  # per skill: mentees no allowed-by-constraints mentor offers it to


Sink = Callable[[int, Floats], None]


def _scan(pool: _Pool, config: MatchConfig, sink: Sink | None = None) -> _Stats:
    """Stream the score matrix in row blocks to `sink`, collecting the per-person facts."""
    n_r, n_c = pool.shape
    stats = _Stats(
        overlap_r=np.zeros(n_r, dtype=bool),
        overlap_c=np.zeros(n_c, dtype=bool),
        allowed_r=np.zeros(n_r, dtype=bool),
        allowed_c=np.zeros(n_c, dtype=bool),
        unmet=np.zeros(len(pool.skills), dtype=np.int64),
    )
    if n_r == 0 or n_c == 0:
        stats.unmet = pool.want.sum(axis=0).astype(np.int64)
        return stats
    offered = (pool.offer > 0).astype(np.float32)
    cols = np.arange(n_c)[None, :]
    step = max(1, _BLOCK_CELLS // n_c)
    for r0 in range(0, n_r, step):
        r1 = min(n_r, r0 + step)
        level_sum = pool.want[r0:r1] @ pool.offer.T
        score, hard = _evaluate(pool, config, np.arange(r0, r1)[:, None], cols, level_sum)
        lo, hi = np.searchsorted(pool.forbid_r, [r0, r1])
        hard[pool.forbid_r[lo:hi] - r0, pool.forbid_c[lo:hi]] = False
        score[pool.forbid_r[lo:hi] - r0, pool.forbid_c[lo:hi]] = 0.0
        overlap = level_sum > 0
        allowed = score > 0
        stats.overlap_r[r0:r1] = overlap.any(axis=1)
        stats.overlap_c |= overlap.any(axis=0)
        stats.allowed_r[r0:r1] = allowed.any(axis=1)
        stats.allowed_c |= allowed.any(axis=0)
        served = (hard.astype(np.float32) @ offered) > 0
        stats.unmet += ((pool.want[r0:r1] > 0) & ~served).sum(axis=0)
        if sink is not None:
            sink(r0, score)
    return stats


# --- solvers ----------------------------------------------------------------------------------

Pairs = tuple[Ints, Ints]  # (mentee rows, mentor columns)


def _empty_pairs() -> Pairs:
    """No pairs."""
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


def _solve_dense(score: Floats, capacity: Ints) -> Pairs:
    """Exact: linear_sum_assignment with one column per mentor slot."""
    allowed = score > 0
    rows = np.flatnonzero(allowed.any(axis=1))
    cols = np.flatnonzero(allowed.any(axis=0))
    if rows.size == 0:
        return _empty_pairs()
    if rows.size < score.shape[0] or cols.size < score.shape[1]:
        score = score[np.ix_(rows, cols)]
        allowed = score > 0
    # A slot beyond a mentor's number of allowed mentees can never be filled.
    slots = np.minimum(capacity[cols], allowed.sum(axis=0))
    owner = np.repeat(np.arange(cols.size), slots)
    # Forbidden cells cost 0, the same as staying unmatched: the assignment then maximises
    # the total score instead of first maximising the number of (possibly poor) pairs.
    cost = np.negative(score[:, owner])
    ri, ci = linear_sum_assignment(cost)
    ri, ci = cast(Ints, ri), cast(Ints, ci)
    keep = cost[ri, ci] < 0
    return rows[ri[keep]], cols[owner[ci[keep]]]


def _solve_sparse(r: Ints, c: Ints, s: Floats, capacity: Ints, n_c: int) -> Pairs:
    """Exact on the candidate graph: min_weight_full_bipartite_matching with dummy columns."""
    if r.size == 0:
        return _empty_pairs()
    has_edge = np.zeros(int(r.max()) + 1, dtype=bool)
    has_edge[r] = True
    rows = np.flatnonzero(has_edge)
    rr = (np.cumsum(has_edge) - 1)[r]
    slots = np.minimum(capacity, np.bincount(c, minlength=n_c))
    first = np.concatenate(([0], np.cumsum(slots)))
    n_slots = int(first[-1])
    owner = np.repeat(np.arange(n_c), slots)
    times = slots[c]
    er = np.repeat(rr, times)
    ec = np.repeat(first[c], times) + (
        np.arange(times.sum()) - np.repeat(np.cumsum(times) - times, times)
    )
    # Shift costs so that none is zero (zero entries count as missing edges) and so that
    # each row's own dummy column, meaning "stay unmatched", costs exactly the shift: every
    # row is matched once, so the shift adds the same constant to every full matching.
    shift = float(s.max()) + 1.0
    n_rows = rows.size
    data = np.concatenate((shift - np.repeat(s, times), np.full(n_rows, shift)))
    graph = csr_array(
        (
            data,
            (
                np.concatenate((er, np.arange(n_rows))),
                np.concatenate((ec, n_slots + np.arange(n_rows))),
            ),
        ),
        shape=(n_rows, n_slots + n_rows),
    )
    ri, ci = min_weight_full_bipartite_matching(graph)
    ri, ci = cast(Ints, np.asarray(ri, dtype=np.int64)), cast(Ints, np.asarray(ci, dtype=np.int64))
    if ri.size != n_rows or np.bincount(ci, minlength=1).max() > 1:
        raise ValueError("the sparse solver returned an incomplete matching")
    real = ci < n_slots
    return rows[ri[real]], owner[ci[real]]


def _largest(a: Floats, k: int) -> Ints:
    """Column indices of the k largest entries of every row (all of them when k >= width)."""
    width = a.shape[1]
    if width <= k:
        return np.broadcast_to(np.arange(width), a.shape)
    # Selecting the k-th smallest of the negation is several times faster than the
    # (width - k)-th of `a` when most entries are equal zeros (forbidden cells).
    return np.argpartition(np.negative(a), k - 1, axis=1)[:, :k]


class _TopK:
    """Keeps each mentee's and each mentor's `k` best allowed partners while the scan streams."""

    def __init__(self, n_c: int, k: int) -> None:
        self.k = k
        self.rows: list[Ints] = []
        self.cols: list[Ints] = []
        # Mentor x k: the best scores so far and their mentee rows; 0 marks an empty place.
        self.col_best = np.zeros((n_c, k))
        self.col_rows = np.zeros((n_c, k), dtype=np.int64)

    def __call__(self, r0: int, score: Floats) -> None:
        """Merge one block's candidates."""
        b = score.shape[0]
        top = _largest(score, self.k)
        rr = np.repeat(np.arange(r0, r0 + b), top.shape[1])
        cc = top.reshape(-1)
        keep = score[rr - r0, cc] > 0
        self.rows.append(rr[keep])
        self.cols.append(cc[keep])

        # Only a score above a mentor's current k-th best can enter their list, and after the
        # first blocks few do: merge just those mentors.
        by_mentor = score.T
        entering = by_mentor > self.col_best.min(axis=1)[:, None]
        touched = np.flatnonzero(entering.any(axis=1))
        if touched.size == 0:
            return
        new = np.where(entering[touched], by_mentor[touched], 0.0)
        best = np.concatenate((self.col_best[touched], new), axis=1)
        who = np.concatenate(
            (self.col_rows[touched], np.broadcast_to(np.arange(r0, r0 + b), new.shape)), axis=1
        )
        pick = _largest(best, self.k)
        self.col_best[touched] = np.take_along_axis(best, pick, axis=1)
        self.col_rows[touched] = np.take_along_axis(who, pick, axis=1)

    def edges(self, n_c: int) -> tuple[Ints, Ints]:
        """Every candidate edge once (mentee row, mentor column), sorted."""
        hit = self.col_best > 0
        r = np.concatenate([*self.rows, self.col_rows[hit]])
        c = np.concatenate([*self.cols, np.broadcast_to(np.arange(n_c)[:, None], hit.shape)[hit]])
        # The same edge can come from both sides: keep it once, never add its weight twice.
        cell = np.unique(r * n_c + c)
        return cell // n_c, cell % n_c


class _Edges:
    """Collects every allowed edge with its score, compactly (tens of millions at 10k)."""

    def __init__(self) -> None:
        self.r: list[npt.NDArray[np.int32]] = []
        self.c: list[npt.NDArray[np.int32]] = []
        self.s: list[npt.NDArray[np.float32]] = []

    def __call__(self, r0: int, score: Floats) -> None:
        """Keep a block's allowed cells, in row-major (mentee, mentor id) order."""
        rr, cc = np.nonzero(score > 0)
        self.s.append(score[rr, cc].astype(np.float32))
        self.r.append((rr + r0).astype(np.int32))
        self.c.append(cc.astype(np.int32))

    def greedy(self, capacity: Ints, n_r: int) -> Pairs:
        """Take the best remaining pair while both sides have room; ties by mentee, then mentor."""
        if not self.r:
            return _empty_pairs()
        order = np.argsort(-np.concatenate(self.s), kind="stable")
        r, c = np.concatenate(self.r)[order], np.concatenate(self.c)[order]
        del order
        free = np.ones(n_r, dtype=bool)
        room = capacity.copy()
        out_r: list[int] = []
        out_c: list[int] = []
        start, chunk = 0, 4096
        while start < r.size and free.any() and (room > 0).any():
            cr, cc = r[start : start + chunk], c[start : start + chunk]
            # Most edges are dead once their mentee or mentor is taken; skip them in bulk.
            live = free[cr] & (room[cc] > 0)
            for i, j in zip(cr[live].tolist(), cc[live].tolist(), strict=True):
                if free[i] and room[j] > 0:
                    free[i] = False
                    room[j] -= 1
                    out_r.append(i)
                    out_c.append(j)
            start += chunk
            chunk = min(chunk * 2, 1 << 20)
        return np.array(out_r, dtype=np.int64), np.array(out_c, dtype=np.int64)


def _potentials(
    r: Ints, c: Ints, s: Floats, pairs: Pairs, capacity: Ints, n_r: int
) -> tuple[Floats, Floats] | None:
    """Potentials of the matching's residual graph (Bellman-Ford); None if they do not settle.

    Nodes are mentees, mentors and one node z standing for "unmatched" on both sides. An edge
    outside the matching leads mentee -> mentor at cost -score, a matched one back at +score;
    mentees reach z when matched and are reached from it when not, mentors reach z while they
    have room and are reached from it while they have mentees. The matching is optimal on the
    graph, so there is no negative cycle and the distances satisfy every edge.
    """
    n_c = capacity.size
    z = n_r + n_c
    matched = np.isin(r * n_c + c, pairs[0] * n_c + pairs[1])
    row_matched = np.zeros(n_r, dtype=bool)
    row_matched[pairs[0]] = True
    used = np.bincount(pairs[1], minlength=n_c)
    rows, cols = np.arange(n_r), n_r + np.arange(n_c)
    free, busy = cols[used < capacity], cols[used > 0]
    src = np.concatenate(
        (np.where(matched, n_r + c, r), np.where(row_matched, rows, z), free, np.full(busy.size, z))
    )
    dst = np.concatenate(
        (np.where(matched, r, n_r + c), np.where(row_matched, z, rows), np.full(free.size, z), busy)
    )
    cost = np.concatenate((np.where(matched, s, -s), np.zeros(n_r + free.size + busy.size)))
    order = np.argsort(dst, kind="stable")
    src, dst, cost = src[order], dst[order], cost[order]
    starts = np.flatnonzero(np.concatenate(([True], dst[1:] != dst[:-1])))
    targets = dst[starts]
    distance = np.zeros(z + 1)
    for _ in range(_MAX_RELAXATIONS):
        best = np.minimum.reduceat(distance[src] + cost, starts)
        better = best < distance[targets] - 1e-9
        if not better.any():
            return distance[:n_r], distance[n_r:z]
        distance[targets[better]] = best[better]
    return None


def _improving_edges(
    pool: _Pool,
    config: MatchConfig,
    cache: npt.NDArray[np.float32] | None,
    potentials: tuple[Floats, Floats],
    k: int,
) -> tuple[Ints, Ints]:
    """Per mentee, the (at most k best) allowed pairs whose score beats the duals."""
    pot_r, pot_c = potentials
    rows: list[Ints] = []
    cols: list[Ints] = []

    def sink(r0: int, score: npt.NDArray[np.floating[Any]]) -> None:
        b = score.shape[0]
        gain = score + pot_c.astype(score.dtype)
        gain -= pot_r[r0 : r0 + b, None].astype(score.dtype)
        hit = (gain > _PRICE_TOLERANCE) & (score > 0)
        if hit.sum(axis=1).max(initial=0) > k:
            top = _largest(np.where(hit, gain, 0.0), k)
            rr = np.repeat(np.arange(b), top.shape[1])
            cc = top.reshape(-1)
            keep = hit[rr, cc]
            rr, cc = rr[keep], cc[keep]
        else:
            rr, cc = np.nonzero(hit)
        rows.append(rr.astype(np.int64) + r0)
        cols.append(cc.astype(np.int64))

    if cache is None:
        _scan(pool, config, sink)
    else:
        step = max(1, _BLOCK_CELLS // max(1, pool.shape[1]))
        for r0 in range(0, pool.shape[0], step):
            sink(r0, cache[r0 : r0 + step])
    if not rows:
        return _empty_pairs()
    return np.concatenate(rows), np.concatenate(cols)


def _solve_priced(
    pool: _Pool,
    config: MatchConfig,
    graph: tuple[Ints, Ints],
    cache: npt.NDArray[np.float32] | None,
) -> Pairs:
    """Solve the candidate graph, add the pairs its duals price as improving, solve again.

    When a round finds no such pair, the matching is optimal for the whole pool.
    """
    n_c = pool.shape[1]
    r, c = graph
    s = _pair_scores(pool, config, r, c)
    pairs = _solve_sparse(r, c, s, pool.capacity, n_c)
    for _ in range(_PRICING_ROUNDS):
        potentials = _potentials(r, c, s, pairs, pool.capacity, pool.shape[0])
        if potentials is None:
            break
        nr, nc = _improving_edges(pool, config, cache, potentials, config.top_k)
        # The duals hold on every edge already in the graph, so a priced edge is new unless
        # rounding says otherwise; drop such repeats rather than ever adding an edge twice.
        known = np.sort(r * n_c + c)
        new = nr * n_c + nc
        fresh = known[np.minimum(np.searchsorted(known, new), known.size - 1)] != new
        if not fresh.any():
            break
        nr, nc = nr[fresh], nc[fresh]
        r, c = np.concatenate((r, nr)), np.concatenate((c, nc))
        s = np.concatenate((s, _pair_scores(pool, config, nr, nc)))
        pairs = _solve_sparse(r, c, s, pool.capacity, n_c)
    return pairs


def _dense_matrix(pool: _Pool, config: MatchConfig) -> tuple[Floats, _Stats]:
    """The whole score matrix (0 where forbidden) and the scan's facts."""
    matrix = np.zeros(pool.shape)

    def fill(r0: int, score: Floats) -> None:
        matrix[r0 : r0 + score.shape[0]] = score

    return matrix, _scan(pool, config, fill)


def _greedy_all(pool: _Pool, config: MatchConfig) -> tuple[Pairs, _Stats]:
    """Greedy over every allowed pair of the pool."""
    edges = _Edges()
    stats = _scan(pool, config, edges)
    return edges.greedy(pool.capacity, pool.shape[0]), stats


def _fill_free_slots(pool: _Pool, config: MatchConfig, stats: _Stats, pairs: Pairs) -> Pairs:
    """Pair still-unmatched mentees with mentors that have room, over all their allowed pairs."""
    n_r, n_c = pool.shape
    free = np.ones(n_r, dtype=bool)
    free[pairs[0]] = False
    room = pool.capacity - np.bincount(pairs[1], minlength=n_c)
    rows = np.flatnonzero(free & stats.allowed_r)
    cols = np.flatnonzero((room > 0) & stats.allowed_c)
    if rows.size == 0 or cols.size == 0:
        return pairs
    edges_r: list[Ints] = []
    edges_c: list[Ints] = []
    step = max(1, _BLOCK_CELLS // cols.size)
    for i in range(0, rows.size, step):
        r = rows[i : i + step, None]
        level_sum = pool.want[r[:, 0]] @ pool.offer[cols].T
        score, _ = _evaluate(pool, config, r, cols[None, :], level_sum)
        score[np.isin(r * n_c + cols, pool.forbid_r * n_c + pool.forbid_c)] = 0.0
        rr, cc = np.nonzero(score > 0)
        edges_r.append(r[rr, 0])
        edges_c.append(cols[cc])
    er, ec = np.concatenate(edges_r), np.concatenate(edges_c)
    if er.size == 0:
        return pairs
    add_r, add_c = _solve_sparse(er, ec, _pair_scores(pool, config, er, ec), room, n_c)
    return np.concatenate((pairs[0], add_r)), np.concatenate((pairs[1], add_c))


# --- results ----------------------------------------------------------------------------------


def _reasons(pool: _Pool, stats: _Stats, pairs: Pairs) -> dict[int, UnmatchedReason]:
    """A reason for everyone left out, from what the scan saw, by id."""
    reasons: dict[int, UnmatchedReason] = {}
    sides = (
        (pool.mentees, stats.overlap_r, stats.allowed_r, pairs[0], pool.mentors, False),
        (pool.mentors, stats.overlap_c, stats.allowed_c, pairs[1], pool.mentees, True),
    )
    for people, overlap, allowed, matched, others, mentor in sides:
        paired = np.zeros(len(people), dtype=bool)
        paired[matched] = True
        for i, person in enumerate(people):
            if paired[i]:
                continue
            if not others:
                reasons[person.id] = UnmatchedReason.NO_PARTNERS_IN_POOL
            elif not overlap[i]:
                reasons[person.id] = (
                    UnmatchedReason.NOTHING_TO_OFFER if mentor else UnmatchedReason.NOTHING_OFFERED
                )
            elif not allowed[i]:
                reasons[person.id] = UnmatchedReason.NO_COMPATIBLE_PARTNER
            else:
                reasons[person.id] = UnmatchedReason.PARTNERS_TAKEN
    return dict(sorted(reasons.items()))


def _result(
    pool: _Pool, config: MatchConfig, stats: _Stats, pairs: Pairs, solver: str
) -> MatchResult:
    """Scores and explanations for the pairs, reasons for the rest, the recruiting list."""
    r, c = pairs
    scores = _pair_scores(pool, config, r, c)
    if (scores <= 0).any():
        raise AssertionError("a solver returned a forbidden pair")
    built = []
    for i, j, score in zip(r.tolist(), c.tolist(), scores.tolist(), strict=True):
        mentor, mentee = pool.mentors[j], pool.mentees[i]
        built.append(MatchedPair(mentor.id, mentee.id, score, explain(mentor, mentee, config)))
    built.sort(key=lambda p: (p.mentor_id, p.mentee_id))
    unmet = {k: int(n) for k, n in zip(pool.skills, stats.unmet.tolist(), strict=True) if n}
    return MatchResult(
        pairs=tuple(built),
        unmatched=MappingProxyType(_reasons(pool, stats, pairs)),
        solver=solver if stats.allowed_r.any() else "none",
        unmet_demand=MappingProxyType(unmet),
    )


def _fixed(config: MatchConfig) -> MatchConfig:
    """The config with "today" resolved once, so every part of a round uses the same offsets."""
    if config.reference_date is not None:
        return config
    return dataclasses.replace(config, reference_date=_reference_date(config))


def match(
    people: Sequence[Person],
    history: AbstractSet[tuple[int, int]],
    config: MatchConfig = MatchConfig(),
) -> MatchResult:
    """The optimal pairing of the pool; history holds (mentor_id, mentee_id) of earlier pairs."""
    config = _fixed(config)
    pool = _prepare(people, history, config)
    n_r, n_c = pool.shape
    if max(n_r, n_c) <= config.dense_limit:
        matrix, stats = _dense_matrix(pool, config)
        return _result(pool, config, stats, _solve_dense(matrix, pool.capacity), "dense")
    top = _TopK(n_c, config.top_k)
    cache = np.empty(pool.shape, dtype=np.float32) if n_r * n_c <= _CACHE_CELLS else None

    def keep(r0: int, score: Floats) -> None:
        top(r0, score)
        if cache is not None:
            cache[r0 : r0 + score.shape[0]] = score

    stats = _scan(pool, config, keep)
    try:
        pairs = _solve_priced(pool, config, top.edges(n_c), cache)
    except ValueError:
        # LAPJVsp raises when it finds no full matching; the dummy columns make one exist,
        # so this only guards against a solver failure, never a normal outcome.
        cells = int(stats.allowed_r.sum()) * int(pool.capacity[stats.allowed_c].sum())
        if cells <= _DENSE_FALLBACK_CELLS:
            matrix, _ = _dense_matrix(pool, config)
            pairs = _solve_dense(matrix, pool.capacity)
        else:
            pairs, _ = _greedy_all(pool, config)
        return _result(pool, config, stats, pairs, "sparse+fallback")
    pairs = _fill_free_slots(pool, config, stats, pairs)
    return _result(pool, config, stats, pairs, "sparse")


def greedy_match(
    people: Sequence[Person],
    history: AbstractSet[tuple[int, int]],
    config: MatchConfig = MatchConfig(),
) -> MatchResult:
    """Baseline: repeatedly take the best remaining allowed pair."""
    config = _fixed(config)
    pool = _prepare(people, history, config)
    pairs, stats = _greedy_all(pool, config)
    return _result(pool, config, stats, pairs, "greedy")


def random_match(
    people: Sequence[Person],
    history: AbstractSet[tuple[int, int]],
    config: MatchConfig = MatchConfig(),
) -> MatchResult:
    """Baseline: shuffle mentees and mentor slots (seeded), keep the draws that are allowed."""
    config = _fixed(config)
    pool = _prepare(people, history, config)
    stats = _scan(pool, config)
    rng = np.random.default_rng(config.seed)
    rows = rng.permutation(pool.shape[0])
    slots = rng.permutation(np.repeat(np.arange(pool.shape[1]), pool.capacity))
    n = min(rows.size, slots.size)
    r, c = rows[:n].astype(np.int64), slots[:n].astype(np.int64)
    keep = _pair_scores(pool, config, r, c) > 0
    return _result(pool, config, stats, (r[keep], c[keep]), "random")
