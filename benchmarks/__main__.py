"""`python -m benchmarks`: what is here (each module runs on its own)."""

from __future__ import annotations

USAGE = """benchmarks (figures in docs/benchmarks.md):
  python -m benchmarks.wechat_load --url URL [--respondents N] [--concurrency C]
                                   [--aes] [--bare] [--rate R]   one load run
  python -m benchmarks.stats_timing --database-url URL [--texts 0|N|all]
  python -m benchmarks.inprocess [--respondents N] [--profile N]
                                   CPU per push, in one process, no network
  surveybot bench serve --workers N --port P     the app plus /wechat-bare
  surveybot bench load --url URL [--aes]         bare peak, survey peak, survey at 80 %
  surveybot bench stats --database-url URL       /stats timing
  surveybot bench rss PID                        worker memory of a running server
  surveybot db seed-fake N                       N synthetic respondents
"""

if __name__ == "__main__":
    print(USAGE, end="")
