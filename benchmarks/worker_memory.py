"""What one Ray worker process with TensorFlow costs: an explorer and a coded learner, each started as
maddpg-train starts them, on a local Ray, measured from outside with psutil once ready.

RSS counts the pages of TensorFlow's shared libraries that every process maps (counted once on the
machine); USS (unique set size) is what the process alone holds, what one more worker adds. Prints one
line per kind and repeat; runtime.WORKER_BYTES takes the largest USS, rounded up.

    python benchmarks/worker_memory.py --repeats 2
"""
import argparse
import os
import pickle
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]


def measure(pid):
    import psutil

    info = psutil.Process(pid).memory_full_info()
    return info.rss / 2**30, info.uss / 2**30


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--scenario", default="simple_spread")
    args = p.parse_args()

    from maddpg_tf2.config import Config
    from maddpg_tf2.distributed import runtime
    from maddpg_tf2.distributed.coded.learners import LearnerPool
    from maddpg_tf2.distributed.explorers import Explorer
    from maddpg_tf2.envs.make import make_env
    from maddpg_tf2.loop import build_agents

    config = Config(scenario=args.scenario, num_envs=4, seed=0)
    env = make_env(config.scenario, num_envs=4, seed=0)
    learner, policy = build_agents(config, env)
    ray = runtime.connect(None, num_cpus=2)
    try:
        for r in range(args.repeats):
            explorer = ray.remote(Explorer).options(num_cpus=1).remote(
                0, config.scenario, 4, config.max_episode_len, 0, 0, pickle.dumps(policy.dists), policy.weights_n)
            pid = ray.get(explorer.pid.remote())
            ray.get(explorer.collect.remote(policy.weights_n, 25, False))  # a block stepped: as in a run
            rss, uss = measure(pid)
            print(f"explorer  repeat {r}: rss {rss:.2f} GiB, uss {uss:.2f} GiB", flush=True)
            ray.kill(explorer)
            pool = LearnerPool(config, learner.obs_dims, list(env.action_space_n), learner.local_q_n, 1)
            rss, uss = measure(pool.pids[0])  # built, traced and warmed up
            print(f"learner   repeat {r}: rss {rss:.2f} GiB, uss {uss:.2f} GiB (--num-units {config.num_units}, "
                  f"{args.scenario})", flush=True)
            pool.close()
    finally:
        runtime.shutdown()


if __name__ == "__main__":
    main()
