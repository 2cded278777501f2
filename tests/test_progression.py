"""History schema 2 (migration on copies of files older versions wrote), the daily limit counting
sessions that ran, and progression: property tests (never past the articles' bounds; a safety stop
never lengthens a hold) and examples."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from coach import progression
from coach.exercise_index import Range, by_name
from coach.history import Done, History, SessionRow, _now
from coach.history_file import SCHEMA_VERSION
from coach.library import resolve

FIXTURES = Path(__file__).parent / "fixtures"
COLUMNS = "id, routine, mode, started_at, ended_at, outcome, pid, host"


def raw(path: Path) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT {COLUMNS} FROM sessions ORDER BY id").fetchall()


def version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def test_migration_2_keeps_every_row_of_files_older_versions_wrote(tmp_path):
    # history-landed: before versions (0); history-schema1: written by schema 1's coach (commit 27af043).
    for name, was in (("history-landed.sqlite", 0), ("history-schema1.sqlite", 1)):
        db = tmp_path / name
        shutil.copy(FIXTURES / name, db)
        before = raw(db)
        assert version(db) == was and len(before) == 5
        history = History(db)
        rows = history.rows()
        assert history.notes == [] and version(db) == SCHEMA_VERSION == 2
        assert raw(db) == before
        assert all(r.exercises == () and r.reached is None and r.rating is None for r in rows)
        # Old rows count towards the daily limit as before (how far they got is not known) ...
        with closing(sqlite3.connect(db)) as conn:
            conn.execute("UPDATE sessions SET started_at = ?", (_now(),))   # all of them today
            conn.commit()
        assert history.sessions_today(before[0][1]) == sum(r[1] == before[0][1] for r in before)
        # ... and new rows carry what was done.
        new = history.start("child-pose", "play", (Done("child-pose", hold_s=30),), {"verbosity": "brief"})
        history.end(new, "completed", reached=0)
        history.rate(new, "easier")
        latest = history.rows(1)[0]
        assert (latest.exercises, dict(latest.options), latest.rating) == (
            (Done("child-pose", hold_s=30),), {"verbosity": "brief"}, "easier")
        assert [r[:3] + r[4:] for r in raw(db)[:5]] == [r[:3] + r[4:] for r in before]


def test_the_daily_limit_counts_sessions_that_ran_not_aborted_starts(tmp_path):
    history = History(tmp_path / "h.sqlite")
    done = (Done("cat-cow", breaths=8), Done("child-pose", hold_s=30))
    for _ in range(5):    # five 3-second starts, quit in the first exercise
        history.end(history.start("lower-back-relief", "play", done), "quit", reached=0)
    assert history.sessions_today("lower-back-relief") == 0
    history.end(history.start("lower-back-relief", "play", done), "quit", reached=1)
    history.end(history.start("lower-back-relief", "play", done), "completed", reached=1)
    history.start("lower-back-relief", "play", done)   # running now: not yet a session that ran
    assert history.sessions_today("lower-back-relief") == 2


def row(id_: int, outcome: str, done: tuple[Done, ...], reached: int | None = None, rating: str | None = None):
    return SessionRow(id_, "r", "play", f"2026-11-{id_ % 28 + 1:02d}T10:00:00+00:00", None, outcome, done, (),
                      reached, rating)


def test_three_comfortable_sessions_lengthen_a_hold_and_a_stop_shortens_it():
    kid = by_name()["child-pose"]
    comfortable = [row(i, "completed", (Done("child-pose", hold_s=20),), 0) for i in range(1, 4)]
    (proposal,) = progression.propose(comfortable).values()
    assert (proposal.knob, proposal.was, proposal.value) == ("hold_s", 20, 22)
    stopped = comfortable + [row(4, "safety-stop", (Done("cat-cow", breaths=8), Done("child-pose", hold_s=20)), 1)]
    assert progression.propose(stopped)["child-pose"].value == 17
    assert "cat-cow" not in progression.propose(stopped)     # done before the stop, one session only
    assert progression.stop_note(stopped, {"child-pose": "Child's pose"}) == (
        "Last time you stopped during the child's pose: go gently.")
    at_top = [row(i, "completed", (Done("child-pose", hold_s=30),), 0) for i in range(1, 4)]
    assert progression.propose(at_top) == {}                  # 30 s is the article's: never past it
    assert kid.range_of("hold_s") == Range("hold_s", 15, 30)


def test_play_applies_the_proposal_to_the_routine():
    routine = resolve("lower-back-relief")
    rows = [row(i, "completed", progression.played(routine), len(routine.exercises) - 1) for i in range(1, 4)]
    proposals = progression.propose(rows)
    changed = progression.apply(routine, proposals)
    after = {d.name: d for d in progression.played(changed)}
    for name, p in proposals.items():
        assert getattr(after[name], p.knob) == p.value > p.was


outcomes = st.sampled_from(("completed", "quit", "safety-stop", "interrupted"))
ratings = st.sampled_from((None, "easier", "right", "harder"))
names = st.sampled_from(sorted(n for n, e in by_name().items() if e.ranges))


@st.composite
def histories(draw):
    rows = []
    for id_ in range(1, draw(st.integers(1, 12)) + 1):
        chosen = draw(st.lists(names, min_size=1, max_size=4, unique=True))
        done = []
        for name in chosen:
            bounds = progression.knob_of(by_name()[name])
            assert bounds is not None
            done.append(Done(name, **{bounds.knob: draw(st.integers(1, bounds.high + 20))}))
        outcome = draw(outcomes)
        reached = draw(st.integers(0, len(done) - 1))
        rows.append(row(id_, outcome, tuple(done), reached, draw(ratings) if outcome == "completed" else None))
    return rows


@settings(max_examples=300, deadline=None)
@given(histories())
def test_proposals_stay_inside_the_articles_bounds(rows):
    for name, proposal in progression.propose(rows).items():
        bounds = progression.knob_of(by_name()[name])
        assert bounds is not None and bounds.low <= proposal.value <= bounds.high


@settings(max_examples=300, deadline=None)
@given(histories(), names)
def test_a_safety_stop_never_lengthens_the_hold_it_stopped_in(rows, name):
    bounds = progression.knob_of(by_name()[name])
    assert bounds is not None
    for value in (bounds.low, bounds.high, bounds.high + 5):
        stop = row(len(rows) + 1, "safety-stop", (Done(name, **{bounds.knob: value}),), 0)
        proposal = progression.propose(rows + [stop]).get(name)
        assert proposal is None or proposal.value <= min(value, bounds.high)
        harder = row(len(rows) + 1, "completed", (Done(name, **{bounds.knob: value}),), 0, "harder")
        proposal = progression.propose(rows + [harder]).get(name)
        assert proposal is None or proposal.value <= min(value, bounds.high)


def test_the_session_after_a_safety_stop_says_so_first_and_plays_the_shorter_hold(tmp_path):
    from coach.model import CompileOptions
    from coach.session.record import SessionRecord

    history = History(tmp_path / "h.sqlite")
    routine = resolve("lower-back-relief")
    stop_at = [e.name for e in routine.exercises].index("child-pose")
    history.end(history.start(routine.name, "play", progression.played(routine)), "safety-stop", reached=stop_at)
    progressed, options = SessionRecord(history, lambda _: None).progressed(routine, CompileOptions())
    assert options.notes == ("Last time you stopped during the child's pose: go gently.",)
    holds = {d.name: d.hold_s for d in progression.played(progressed)}
    assert holds["child-pose"] == 25 < 30      # 30 s less 15%
    assert holds["knee-to-chest"] == {d.name: d.hold_s for d in progression.played(routine)}["knee-to-chest"]


def test_stats_shows_each_exercises_hold_over_time(tmp_path):
    from click.testing import CliRunner

    from coach.cli import cli

    db = tmp_path / "h.sqlite"
    history = History(db)
    for _ in range(3):
        history.end(history.start("child-pose", "play", (Done("child-pose", hold_s=20),)), "completed", reached=0)
    result = CliRunner().invoke(cli, ["stats", "--history-db", str(db)])
    assert result.exit_code == 0, result.output
    assert "  child-pose                       20 20 20 s (range 15-30; next 22)" in result.output.splitlines()
    shown = CliRunner().invoke(cli, ["history", "--history-db", str(db)])
    assert shown.exit_code == 0 and "completed" in shown.output


def test_a_session_recorded_without_its_exercises_still_counts_towards_the_daily_limit(tmp_path):
    history = History(tmp_path / "h.sqlite")
    history.end(history.start("child-pose", "phone"), "quit")      # says nothing of how far it got
    assert history.sessions_today("child-pose") == 1
