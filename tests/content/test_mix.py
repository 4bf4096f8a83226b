"""Unit tests of ``app.content.mix``, the 6-3-1 rule of §7 as pure functions.

Expected values are hand-computed literals or the naive oracle (``tests.content.oracle``).
Sequences are written as strings: ``C`` curated, ``O`` owned, ``P`` promotional.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.content import mix
from app.models.enums import Category
from tests.content.oracle import Queued, every_window_ok, expected_run

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LETTERS = {"C": Category.curated, "O": Category.owned, "P": Category.promotional}
CUR, OWN, PRO = Category.curated, Category.owned, Category.promotional


def seq(letters: str) -> list[Category]:
    return [LETTERS[x] for x in letters]


def post(post_id: str, category: Category, *topics: str, due: int = 0,
         created: int = 0) -> mix.Candidate:
    return mix.Candidate(post_id, category, tuple(sorted(topics)),
                         T0 + timedelta(minutes=due), T0 + timedelta(minutes=created))


def ids(planned: list[mix.Candidate]) -> list[str]:
    return [c.id for c in planned]


# --- the bounds ---------------------------------------------------------------------------

@pytest.mark.parametrize(("run", "ok"), [
    ("", True), ("P", True), ("PP", False), ("CPCCCCCCP", False),
    ("OOOO", True), ("OOOOO", False), ("OOOP", True), ("OOOOP", False), ("POOOO", False),
    ("CCCCCCOOOP", True), ("OOOPP", False),
])
def test_run_ok_bounds(run: str, ok: bool) -> None:
    assert mix.run_ok(seq(run)) is ok


@pytest.mark.parametrize(("history", "category", "ok"), [
    ("", PRO, True),
    ("P" + "C" * 8, PRO, False),     # the old promotional post is 9 back: in the window
    ("P" + "C" * 9, PRO, True),      # 10 back: out of it (a history of exactly ten)
    ("CP" + "C" * 8, PRO, False),
    ("P" + "C" * 20, PRO, True),
    ("C" * 20 + "P" + "C" * 8, PRO, False),
    ("OOOO" + "C" * 5, OWN, False),
    ("OOOO" + "C" * 6, OWN, True),
    ("OOOO" + "C" * 5, PRO, False),  # owned + promotional would be 5
    ("OOO" + "C" * 6, PRO, True),
    ("C" * 9, CUR, True),
])
def test_fits_reads_the_last_nine(history: str, category: Category, ok: bool) -> None:
    assert mix.fits(seq(history), category) is ok


@pytest.mark.parametrize(("sequence", "ok"), [
    ("", True), ("PP", False), ("P" + "C" * 8 + "P", False), ("P" + "C" * 9 + "P", True),
    ("PP" + "C" * 12, False),           # only the first window breaks
    ("C" * 12 + "PP", False),           # only the last window breaks
    ("C" * 12 + "P" + "C" * 9 + "P", True),
    ("OOOOCCCCCCOOOO", True), ("OOOOCCCCCOOOO", False), ("C" * 9 + "OOOOO", False),
])
def test_compliant_checks_every_window(sequence: str, ok: bool) -> None:
    assert mix.compliant(seq(sequence)) is ok
    assert every_window_ok([c.value for c in seq(sequence)]) is ok  # the oracle agrees


# --- the pick order -----------------------------------------------------------------------

@pytest.mark.parametrize(("history", "preference"), [
    ("", [CUR, OWN, PRO]),            # scores 6, 3, 1 (tenths)
    ("C", [OWN, CUR, PRO]),           # slots 2: C 12-10=2, O 6, P 2 (tie: curated first)
    ("CO", [CUR, PRO, OWN]),          # slots 3: C 8, O -1, P 3
    ("COC", [CUR, PRO, OWN]),         # slots 4: C 4, O 2, P 4
    ("COCP", [CUR, OWN, PRO]),        # slots 5: C 10, O 5, P -5
    ("OOO", [CUR, PRO, OWN]),         # slots 4: C 24, O -18, P 4
    ("CCCCCCOOO", [PRO, CUR, OWN]),   # slots 10: C 0, O 0, P 10
    ("P" + "CCCCCCOOO", [PRO, CUR, OWN]),  # only the last nine count
    ("CCCCCCOOOPC", [CUR, OWN, PRO]),  # last nine CCCCOOOPC, slots 10: C 10, O 0, P 0
])
def test_category_preference(history: str, preference: list[Category]) -> None:
    assert mix.category_preference(seq(history)) == preference


def test_within_a_category_earliest_due_then_earliest_created_then_smallest_id() -> None:
    queue = [post("b", CUR, due=5), post("c", CUR, due=1, created=3),
             post("d", CUR, due=1, created=2), post("f", CUR, due=1, created=2)]
    assert ids(mix.plan(mix.Sequences([], {}), queue)) == ["d", "f", "c", "b"]


def test_plan_follows_the_preference_after_each_post() -> None:
    queue = [post("p", PRO), post("o", OWN), post("c1", CUR, due=5), post("c0", CUR)]
    # [] → curated; C → owned; CO → curated; COC → promotional, the one left.
    assert ids(mix.plan(mix.Sequences([], {}), queue)) == ["c0", "o", "c1", "p"]


def test_choose_needs_an_eligible_post() -> None:
    with pytest.raises(ValueError, match=r"^choose\(\) needs at least one eligible post$"):
        mix.choose(mix.Sequences([], {}), [])


# --- scopes -------------------------------------------------------------------------------

def test_a_post_must_fit_every_topic_it_carries() -> None:
    sequences = mix.Sequences(seq("C" * 9), {"a": seq("C"), "z": seq("P")})
    assert sequences.eligible(post("x", PRO, "a"))
    assert sequences.eligible(post("x", PRO, "new"))
    assert not sequences.eligible(post("x", PRO, "z"))
    assert not sequences.eligible(post("x", PRO, "a", "z"))  # the last of its topics holds it
    assert not sequences.eligible(post("x", PRO, "z", "new"))
    assert not mix.Sequences(seq("P"), {}).eligible(post("x", PRO, "new"))


def test_a_planned_post_counts_in_its_topics_and_in_the_organisation() -> None:
    sequences = mix.Sequences(seq("C" * 9), {"a": seq("P" + "C" * 7)})
    # After the curated post, "a" ends PCCCCCCCC: the promotional post is still 9 back.
    planned = mix.plan(sequences, [post("c", CUR, "a"), post("p", PRO, "a", due=1)])
    assert ids(planned) == ["c"]
    assert sequences.of_topic("a") == seq("P" + "C" * 8)
    assert sequences.org == seq("C" * 9)
    org_only = mix.Sequences(seq("P" + "C" * 7), {})
    assert ids(mix.plan(org_only, [post("c", CUR), post("p", PRO, due=1)])) == ["c"]


def test_a_long_plan_keeps_nine_posts_per_scope() -> None:
    sequences = mix.Sequences(seq("OOO"), {"a": seq("OO")})
    queue = [post(f"c{i}", CUR, "a", due=i) for i in range(10)] + [post("p", PRO, "a", due=99)]
    # Curated wins until, after OOO and five curated posts (slots 9), C scores 54-50=4 and
    # P 9: the promotional post goes sixth.
    assert ids(mix.plan(sequences, queue)) == [
        "c0", "c1", "c2", "c3", "c4", "p", "c5", "c6", "c7", "c8", "c9"]
    # A decision never needs more than nine posts per scope (see the module's docstring).
    assert sequences.org == seq("CCCPCCCCC") == sequences.of_topic("a")


# --- what releases a held post ------------------------------------------------------------

@pytest.mark.parametrize(("org", "topics", "held", "needed"), [
    ("P", {}, post("x", PRO), 9),
    ("OOOO", {}, post("x", OWN), 6),            # OOO + six curated leaves room for one owned
    ("OOOO", {}, post("x", PRO), 6),
    ("POOO", {}, post("x", OWN), 6),
    ("C" * 9, {"a": "P"}, post("x", PRO, "a"), 9),  # the topic, not the organisation, holds it
    ("C" * 5 + "OOOO", {"a": "O"}, post("x", OWN, "a"), 6),
    ("C" * 9, {"a": "OOOO"}, post("x", OWN, "a"), 6),
    ("C" * 9, {"a": "OOOO", "b": "P"}, post("x", PRO, "a", "b"), 9),
    ("PCC", {}, post("x", OWN), 0),
])
def test_curated_needed(org: str, topics: dict[str, str], held: mix.Candidate,
                        needed: int) -> None:
    sequences = mix.Sequences(seq(org), {t: seq(s) for t, s in topics.items()})
    assert sequences.curated_needed(held) == needed


# --- against the oracle -------------------------------------------------------------------

categories = st.sampled_from([c.value for c in Category])
topic_sets = st.frozensets(st.sampled_from(["t0", "t1", "t2"]), max_size=2)


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, frozenset[str]]]:
    """A published history that satisfies the rule (built by keeping only fitting posts)."""
    history: list[tuple[str, frozenset[str]]] = []
    for category, topics in draw(st.lists(st.tuples(categories, topic_sets), max_size=25)):
        org = [c for c, _ in history]
        scopes = [org] + [[c for c, ts in history if t in ts] for t in topics]
        if all(every_window_ok([*s, category]) for s in scopes):
            history.append((category, topics))
    return history


queued_posts = st.lists(
    st.tuples(categories, topic_sets, st.integers(0, 5), st.integers(0, 5)),
    max_size=14,
)


@settings(max_examples=400, deadline=None)
@given(history=histories(), queued=queued_posts)
def test_plan_matches_the_oracle_and_keeps_the_rule(
    history: list[tuple[str, frozenset[str]]], queued: list[tuple[str, frozenset[str], int, int]],
) -> None:
    org = [c for c, _ in history]
    by_topic: dict[str, list[str]] = defaultdict(list)
    for category, topics in history:
        for t in topics:
            by_topic[t].append(category)
    due = [Queued(f"p{i:02d}", c, ts, T0 + timedelta(minutes=d), T0 + timedelta(minutes=k))
           for i, (c, ts, d, k) in enumerate(queued)]
    sequences = mix.Sequences([Category(c) for c in org],
                              {t: [Category(c) for c in s] for t, s in by_topic.items()})
    candidates = [mix.Candidate(q.id, Category(q.category), tuple(sorted(q.topics)), q.due_at,
                                q.created_at) for q in due]
    planned = [c.id for c in mix.plan(sequences, candidates)]
    assert planned == expected_run(org, dict(by_topic), due)
    final_org = org + [next(q.category for q in due if q.id == i) for i in planned]
    assert every_window_ok(final_org)


# --- feeds --------------------------------------------------------------------------------

@pytest.mark.parametrize(("history", "category", "ok"), [
    ("PP", CUR, True),                 # already out of bounds: curated posts still flow
    ("PP", OWN, True),                 # the owned bound holds (3 of 4)
    ("PP", PRO, False),
    ("OOOOO", OWN, False),
    ("OOOOO", CUR, True),
    ("PPCCCCCCC", PRO, False),
    ("PPCCCCCCCC", PRO, False),       # the second P is still ninth back
    ("PPCCCCCCCCC", PRO, True),
])
def test_a_sequence_already_out_of_bounds_is_broken_only_by_what_counts_in_it(
    history: str, category: Category, ok: bool,
) -> None:
    assert mix.fits(seq(history), category) is ok


def test_a_post_joins_every_feed_that_shares_a_topic_with_it() -> None:
    ab, bc = frozenset({"a", "b"}), frozenset({"b", "c"})
    sequences = mix.Sequences(seq("C" * 9), {"a": seq("P"), "c": seq("")},
                              {ab: seq("P"), bc: seq("")})
    assert sequences.breaking(post("x", PRO, "c")) == []
    assert sequences.breaking(post("x", PRO, "b")) == [ab]
    assert sequences.breaking(post("x", PRO, "a", "c")) == [frozenset({"a"}), ab]
    sequences.append(post("x", OWN, "c"))
    assert sequences.scopes[bc] == seq("O") and sequences.scopes[ab] == seq("P")
    assert sequences.of_topic("c") == seq("O") and sequences.org == seq("C" * 8 + "O")
    assert sequences.curated_needed(post("y", PRO, "b")) == 9


def test_a_feed_is_a_set_of_two_topics_or_more() -> None:
    with pytest.raises(ValueError, match="a feed of one topic or none"):
        mix.Sequences([], {}, {frozenset({"a"}): []})
