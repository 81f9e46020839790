#ifndef REPORTD_CSIGNALGUARD_H
#define REPORTD_CSIGNALGUARD_H

/// 1 when the load-time guard ignored SIGHUP for `reportd serve` before main() ran.
int reportd_sighup_guarded(void);

#endif
