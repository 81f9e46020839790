-- Benchmark report (d) by hand: both sums by activity and their ratio (null when the state
-- support sums to 0).
SELECT activity, SUM(state_support_vnd), SUM(counterpart_vnd),
       CAST(SUM(counterpart_vnd) AS REAL) / NULLIF(SUM(state_support_vnd), 0)
FROM projects GROUP BY activity ORDER BY activity;
