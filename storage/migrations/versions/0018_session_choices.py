"""Each session's choice answers packed in one narrow row (PostgreSQL): `session_choice`.

A filtered cross-tab at 1,000,000 respondents read 3.3 million answer index entries and
grouped them per session (1.7 s, docs/benchmarks.md); from `session_choice` it is one
scan of a million narrow rows (issue 19 §8, storage/choice_masks.py).

- `choice_code`: per survey, each question a slot (its row with option_id '' and bit
  0) and each of its options a bit (1–30; NULL past 30: such a question is then
  cross-tabulated from the answer rows). Codes are given on first sight and never change.
- `session_choice`: per session with answer rows, `masks[slot]` = 1 (answered: any row,
  also a free text) | 2^bit of each chosen option; 0 or past the end: not answered.
- Kept by a row trigger on `answer` (insert, update, delete, COPY included) in the
  writing transaction; `surveybot db seed-fake` turns it off for its bulk COPY and fills
  its batch's masks in one statement. `surveybot db verify` recounts them all
  (storage.choice_masks.verify).

SQLite (small installations) has none of this: its cross-tab reads the answer rows.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = """
CREATE TABLE choice_code (
    flow_id VARCHAR NOT NULL,
    question_id VARCHAR NOT NULL,
    option_id VARCHAR NOT NULL,
    slot INTEGER NOT NULL,
    bit INTEGER,
    PRIMARY KEY (flow_id, question_id, option_id),
    CONSTRAINT uq_choice_code_slot_bit UNIQUE (flow_id, slot, bit)
);
CREATE TABLE session_choice (
    session_id INTEGER PRIMARY KEY,
    flow_id VARCHAR NOT NULL,
    respondent_id INTEGER NOT NULL,
    masks INTEGER[] NOT NULL
);
CREATE INDEX ix_session_choice_flow ON session_choice (flow_id);
"""

# One code; concurrent writers race on the unique constraints and the loser reads the
# winner's code (READ COMMITTED: each statement sees what committed before it).
_ASSIGN = """
CREATE FUNCTION choice_code_assign(f VARCHAR, q VARCHAR, o VARCHAR) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    s INTEGER;
    b INTEGER;
BEGIN
    FOR attempt IN 1..100 LOOP
        IF EXISTS (SELECT 1 FROM choice_code
                   WHERE flow_id = f AND question_id = q AND option_id = o) THEN
            RETURN;
        END IF;
        IF o = '' THEN
            SELECT COALESCE(MAX(slot), 0) + 1 INTO s FROM choice_code WHERE flow_id = f;
            INSERT INTO choice_code VALUES (f, q, '', s, 0) ON CONFLICT DO NOTHING;
        ELSE
            PERFORM choice_code_assign(f, q, '');
            SELECT slot INTO s FROM choice_code
            WHERE flow_id = f AND question_id = q AND option_id = '';
            SELECT COALESCE(MAX(bit), 0) + 1 INTO b FROM choice_code
            WHERE flow_id = f AND question_id = q;
            INSERT INTO choice_code VALUES (f, q, o, s, CASE WHEN b <= 30 THEN b END)
            ON CONFLICT DO NOTHING;
        END IF;
    END LOOP;
    RAISE EXCEPTION 'choice_code: no code for % % %', f, q, o;
END $$;
"""

# The masks of some sessions, recounted from their answer rows (by ix_answer_session_question;
# PL/pgSQL, not SQL, so its plan is cached per connection instead of made at each call):
# per slot the answered bit and the option bits, then one array per session, 0 where a
# question was not answered.
_MASKS = """
CREATE FUNCTION session_choice_masks(sessions INTEGER[])
RETURNS TABLE (session_id INTEGER, flow_id VARCHAR, respondent_id INTEGER, masks INTEGER[])
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY WITH per_slot AS (
        SELECT t.id AS session_id, min(a.flow_id) AS flow_id,
               min(a.respondent_id) AS respondent_id, q.slot,
               1 | COALESCE(bit_or(1 << o.bit), 0) AS mask
        FROM unnest(sessions) AS t (id)
        JOIN LATERAL (SELECT * FROM answer WHERE answer.session_id = t.id) a ON TRUE
        JOIN choice_code q
          ON q.flow_id = a.flow_id AND q.question_id = a.question_id AND q.option_id = ''
        LEFT JOIN choice_code o
          ON o.flow_id = a.flow_id AND o.question_id = a.question_id AND o.option_id = a.option_id
        GROUP BY t.id, q.slot
    ), per_session AS (
        SELECT p.session_id, CAST(min(p.flow_id) AS VARCHAR) AS flow_id,
               min(p.respondent_id) AS respondent_id,
               array_agg(p.slot) AS slots, array_agg(p.mask) AS masks
        FROM per_slot p
        GROUP BY p.session_id
    )
    SELECT s.session_id, s.flow_id, s.respondent_id,
           ARRAY(SELECT COALESCE(s.masks[array_position(s.slots, g)], 0)
                 FROM generate_series(1, (SELECT max(x) FROM unnest(s.slots) x)) g ORDER BY g)
    FROM per_session s;
END $$;
"""

# Row triggers, each touching one slot of one session: an inserted row ORs its bits in;
# a deleted row's question is recounted from the rows left (ix_answer_session_question).
# A session left without answers loses its row. (A slot past the array's end reads NULL:
# not answered.)
_TRIGGER = """
CREATE FUNCTION session_choice_keep() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    s INTEGER;
    b INTEGER;
    m INTEGER;
    kept INTEGER[];
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        SELECT k.slot INTO s FROM choice_code k WHERE k.flow_id = OLD.flow_id
            AND k.question_id = OLD.question_id AND k.option_id = '';
        SELECT CASE WHEN count(*) = 0 THEN 0 ELSE 1 | COALESCE(bit_or(1 << o.bit), 0) END
        INTO m
        FROM answer a
        LEFT JOIN choice_code o ON o.flow_id = a.flow_id AND o.question_id = a.question_id
            AND o.option_id = a.option_id
        WHERE a.session_id = OLD.session_id AND a.question_id = OLD.question_id;
        UPDATE session_choice c SET masks[s] = m WHERE c.session_id = OLD.session_id
        RETURNING c.masks INTO kept;
        IF m = 0 AND NOT EXISTS (SELECT 1 FROM unnest(kept) x WHERE x <> 0) THEN
            DELETE FROM session_choice c WHERE c.session_id = OLD.session_id;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT k.slot, k.bit INTO s, b FROM choice_code k WHERE k.flow_id = NEW.flow_id
            AND k.question_id = NEW.question_id AND k.option_id = COALESCE(NEW.option_id, '');
        IF NOT FOUND THEN
            PERFORM choice_code_assign(NEW.flow_id, NEW.question_id, COALESCE(NEW.option_id, ''));
            SELECT k.slot, k.bit INTO s, b FROM choice_code k WHERE k.flow_id = NEW.flow_id
                AND k.question_id = NEW.question_id AND k.option_id = COALESCE(NEW.option_id, '');
        END IF;
        m := 1 | COALESCE(1 << b, 0);
        INSERT INTO session_choice AS c
        VALUES (NEW.session_id, NEW.flow_id, NEW.respondent_id, array_fill(0, ARRAY[s - 1]) || m)
        ON CONFLICT (session_id) DO UPDATE SET masks[s] = COALESCE(c.masks[s], 0) | m;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER answer_choices AFTER INSERT OR UPDATE OR DELETE ON answer
    FOR EACH ROW EXECUTE FUNCTION session_choice_keep();
"""

# Backfill: codes in (question, option) order, then every session's masks.
_BACKFILL = """
INSERT INTO choice_code
SELECT flow_id, question_id, '', dense_rank() OVER (PARTITION BY flow_id ORDER BY question_id), 0
FROM (SELECT DISTINCT flow_id, question_id FROM answer) q;
INSERT INTO choice_code
SELECT o.flow_id, o.question_id, o.option_id, q.slot, CASE WHEN o.n <= 30 THEN o.n END
FROM (SELECT flow_id, question_id, option_id,
             row_number() OVER (PARTITION BY flow_id, question_id ORDER BY option_id) AS n
      FROM (SELECT DISTINCT flow_id, question_id, option_id FROM answer
            WHERE option_id IS NOT NULL) d) o
JOIN choice_code q
  ON q.flow_id = o.flow_id AND q.question_id = o.question_id AND q.option_id = '';
INSERT INTO session_choice
SELECT * FROM session_choice_masks(ARRAY(SELECT id FROM survey_session ORDER BY id));
ANALYZE choice_code;
ANALYZE session_choice;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statements in (_TABLES, _ASSIGN, _MASKS, _TRIGGER, _BACKFILL):
        op.execute(statements)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        DROP TRIGGER answer_choices ON answer;
        DROP FUNCTION session_choice_keep();
        DROP FUNCTION session_choice_masks(INTEGER[]);
        DROP FUNCTION choice_code_assign(VARCHAR, VARCHAR, VARCHAR);
        DROP TABLE session_choice;
        DROP TABLE choice_code;
        """
    )
