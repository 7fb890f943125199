"""Each session's choice answers packed in one narrow row (PostgreSQL): `session_choice`.

A filtered cross-tab at 1,000,000 respondents read 3.3 million answer index entries and
grouped them per session (1.7 s, docs/benchmarks.md); from `session_choice` it is one
scan of a million narrow rows (issue 19 §8, storage/choice_masks.py).

- `choice_code`: per survey, each question a slot (its row with option_id '' and bit
  0) and each of its options a bit (1–30; NULL past 30: such a question is then
  cross-tabulated from the answer rows). Codes are given on first sight and never change.
- `session_choice`: per session with answer rows, `masks[slot]` = 1 (answered: any row,
  also a free text) | 2^bit of each chosen option; 0 or past the end: not answered.
- Kept by statement triggers on `answer` (insert, update, delete, COPY included) in the
  writing transaction: the touched sessions are recounted from their answer rows.
  `surveybot db verify` recounts them all (storage.choice_masks.verify).

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

_TRIGGER = """
CREATE FUNCTION session_choice_keep() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    touched INTEGER[];
    f VARCHAR;
    q VARCHAR;
    o VARCHAR;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT c.session_id) INTO touched FROM old_rows c;
    ELSE
        SELECT array_agg(DISTINCT c.session_id) INTO touched FROM new_rows c;
        FOR f, q, o IN
            SELECT DISTINCT c.flow_id, c.question_id, COALESCE(c.option_id, '') FROM new_rows c
            WHERE NOT EXISTS (
                SELECT 1 FROM choice_code k WHERE k.flow_id = c.flow_id
                AND k.question_id = c.question_id AND k.option_id = COALESCE(c.option_id, ''))
            ORDER BY 1, 2, 3
        LOOP
            PERFORM choice_code_assign(f, q, o);
        END LOOP;
        IF TG_OP = 'UPDATE' THEN
            touched := touched || ARRAY(SELECT DISTINCT c.session_id FROM old_rows c);
        END IF;
    END IF;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    DELETE FROM session_choice s WHERE s.session_id = ANY (touched)
        AND NOT EXISTS (SELECT 1 FROM answer a WHERE a.session_id = s.session_id);
    INSERT INTO session_choice
        SELECT * FROM session_choice_masks(touched)
        ON CONFLICT (session_id) DO UPDATE
        SET flow_id = EXCLUDED.flow_id, respondent_id = EXCLUDED.respondent_id,
            masks = EXCLUDED.masks;
    RETURN NULL;
END $$;
CREATE TRIGGER answer_choices_insert AFTER INSERT ON answer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION session_choice_keep();
CREATE TRIGGER answer_choices_update AFTER UPDATE ON answer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION session_choice_keep();
CREATE TRIGGER answer_choices_delete AFTER DELETE ON answer
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION session_choice_keep();
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
        DROP TRIGGER answer_choices_insert ON answer;
        DROP TRIGGER answer_choices_update ON answer;
        DROP TRIGGER answer_choices_delete ON answer;
        DROP FUNCTION session_choice_keep();
        DROP FUNCTION session_choice_masks(INTEGER[]);
        DROP FUNCTION choice_code_assign(VARCHAR, VARCHAR, VARCHAR);
        DROP TABLE session_choice;
        DROP TABLE choice_code;
        """
    )
