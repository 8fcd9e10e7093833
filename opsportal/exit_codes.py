"""Exit statuses of every management command (docs/commands.md has the table)."""

OK = 0  # done; or every check passed
CHECK_FAILED = 1  # ran, and a check it makes failed (an SLO, a gate, a verification)
BAD_INPUT = 2  # refused before doing anything: unknown project/user, invalid option, unreadable file
NO_DATA = 3  # a check had nothing to judge (monitor_slo: no measurements in the window)
