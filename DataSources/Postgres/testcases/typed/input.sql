-- Loaded by psql into a new database on the tests' throwaway cluster (SourceFolderTests).
-- Every server type reportd reads; a name in NFD (read as NFC), an empty text and NULLs (both
-- read as null), numeric with many digits, a char(n) with its padding (dropped as text).
CREATE TABLE t (id integer, small smallint, big bigint, name text, code varchar(8), tag char(4),
  amount double precision, rate real, exact numeric(20, 4), start date, active boolean);
INSERT INTO t VALUES (1, 7, 9007199254740993, E'Si\u0300n Ho\u0302\u0300', 'KC-01', 'ab', 12.5, 0.25, 1234567890123.4567, '2025-03-14', true);
INSERT INTO t VALUES (2, NULL, -9223372036854775808, 'Tân Uyên', '', NULL, NULL, NULL, NULL, NULL, false);
INSERT INTO t VALUES (3, -32768, 0, 'Mường Tè', NULL, 'xyz', 0.1, -1.5, -0.0001, '2024-12-31', NULL);
