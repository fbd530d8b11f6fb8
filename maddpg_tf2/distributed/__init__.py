"""Training beyond one process on Ray Core: the runtime (start or join Ray), explorers, coded learners.

Ray is an optional extra (`pip install -e ".[distributed]"`); nothing here imports it at module load.
"""
