"""maddpg-sweep: many maddpg-train runs (a grid of settings x seeds) on Ray Tune, reported with
interval estimates over seeds. spec (SWEEP.yaml), trial (one run), runner (Ray Tune), report
(results.csv, report.md), stats (IQM, stratified bootstrap), command (the console script)."""
