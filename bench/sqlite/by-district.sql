-- Benchmark report (c) by hand: count, sum, mean, median and 90th percentile (linear
-- interpolation between closest ranks) of state support by district. SQLite 3.40 has no
-- percentile function: each value's rank within its district by a window function, then the two
-- ranks around each quantile picked per district.
WITH ranked AS (
  SELECT district, state_support_vnd AS v,
         ROW_NUMBER() OVER (PARTITION BY district ORDER BY state_support_vnd) - 1 AS i,
         COUNT(*) OVER (PARTITION BY district) AS n
  FROM projects WHERE state_support_vnd IS NOT NULL
),
placed AS (
  SELECT district, v, i, n, (n - 1) * 0.5 AS m, (n - 1) * 0.9 AS p FROM ranked
),
quantiles AS (
  SELECT district,
         MAX(CASE WHEN i = CAST(m AS INTEGER) THEN v END) AS m_lo,
         MAX(CASE WHEN i = MIN(CAST(m AS INTEGER) + 1, n - 1) THEN v END) AS m_hi,
         MAX(m - CAST(m AS INTEGER)) AS m_frac,
         MAX(CASE WHEN i = CAST(p AS INTEGER) THEN v END) AS p_lo,
         MAX(CASE WHEN i = MIN(CAST(p AS INTEGER) + 1, n - 1) THEN v END) AS p_hi,
         MAX(p - CAST(p AS INTEGER)) AS p_frac
  FROM placed GROUP BY district
),
totals AS (
  SELECT district, COUNT(*) AS projects, SUM(state_support_vnd) AS s, AVG(state_support_vnd) AS mean
  FROM projects GROUP BY district
)
SELECT t.district, t.projects, t.s, t.mean,
       q.m_lo + (q.m_hi - q.m_lo) * q.m_frac, q.p_lo + (q.p_hi - q.p_lo) * q.p_frac
FROM totals t LEFT JOIN quantiles q ON q.district IS t.district ORDER BY t.district;
