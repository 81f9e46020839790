-- Benchmark report (b) by hand: projects and both sums by year and programme.
SELECT year, program, COUNT(*), SUM(state_support_vnd), SUM(counterpart_vnd)
FROM projects GROUP BY year, program ORDER BY year, program;
