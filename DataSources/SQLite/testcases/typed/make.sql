-- input.sqlite is made from this file: sqlite3 input.sqlite < make.sql (committed, a few KB).
-- Declared types as scripts/make-sample-sqlite.py writes them; a name in NFD (read as NFC), an
-- empty text and NULLs (both read as null), a date as ISO text, a bool as 0/1.
CREATE TABLE t (id INTEGER, name TEXT, amount REAL, start DATE, active BOOLEAN);
INSERT INTO t VALUES (1, 'Sìn Hồ', 12.5, '2025-03-14', 1);
INSERT INTO t VALUES (2, 'Tân Uyên', NULL, NULL, 0);
INSERT INTO t VALUES (3, 'Mường Tè', 0.1, '2024-12-31', NULL);
INSERT INTO t VALUES (4, 'Phong Thổ', 1000000000.25, '2026-02-28', 1);
INSERT INTO t VALUES (5, 'Tam Đường', -3, '2021-01-01', 0);
