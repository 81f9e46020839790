-- Benchmark report (a) by hand: projects and both sums by programme.
SELECT program, COUNT(*), SUM(state_support_vnd), SUM(counterpart_vnd)
FROM projects GROUP BY program ORDER BY program;
