-- input.sqlite is made from this file: sqlite3 input.sqlite < make.sql (committed, a few KB).
-- The dataset is a query (dataset.yaml): its columns are the query's, in its order.
CREATE TABLE projects (id INTEGER, district TEXT, support INTEGER, status TEXT);
INSERT INTO projects VALUES (1, 'Sìn Hồ', 120000000, 'completed');
INSERT INTO projects VALUES (2, 'Sìn Hồ', 80000000, 'cancelled');
INSERT INTO projects VALUES (3, 'Than Uyên', 9007199254740993, 'completed');
INSERT INTO projects VALUES (4, 'Nậm Nhùn', NULL, 'completed');
