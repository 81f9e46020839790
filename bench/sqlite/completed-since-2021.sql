-- Benchmark report (e) by hand: completed projects since 2021 by beneficiary type.
SELECT beneficiary_type, COUNT(*), SUM(state_support_vnd), SUM(counterpart_vnd)
FROM projects WHERE year >= 2021 AND status = 'completed'
GROUP BY beneficiary_type ORDER BY beneficiary_type;
