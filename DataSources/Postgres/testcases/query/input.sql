-- Loaded by psql into a new database on the tests' throwaway cluster (SourceFolderTests).
-- A timestamp reportd does not read, cast to a date in the dataset's query; a computed column.
CREATE TABLE t (id integer, created timestamptz, label text, amount bigint);
INSERT INTO t VALUES (1, '2025-01-02 23:30:00+00', 'a', 10), (2, '2025-06-30 08:00:00+00', 'Đường', 20),
  (3, '2026-02-28 12:00:00+00', NULL, 30);
