-- Deductions from a member's duty points (扣分) (SQLite). Keep in step with
-- ../postgres/0018_point_deductions.sql: the test `schema_parity` compares the two.

-- A deduction staff make, with its reason and day (e.g. 无故缺席全会,
-- 违反廉政规定). Its points are tenths, positive: what is taken off. A
-- deduction is never deleted: taken back, it keeps its row with who took it
-- back, when and why, and no longer counts.
CREATE TABLE point_deductions (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    on_date TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points > 0),
    reason TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    withdrawn_at TEXT,
    withdrawn_by INTEGER REFERENCES users(id),
    withdrawn_reason TEXT,
    version INTEGER NOT NULL
);
CREATE INDEX point_deductions_member ON point_deductions(member_id, on_date);
CREATE INDEX point_deductions_on ON point_deductions(on_date);
