"""`from make_env import make_env`: the original MPE repository's top-level helper, installed as a
top-level module so tutorials and codes written for the original run unchanged.

    env = make_env('simple_speaker_listener')
    obs_n = env.reset()
    obs_n, reward_n, done_n, info_n = env.step(act_n)   # act_n: one action vector per agent

Actions are a list over agents; each agent's action is a vector of the movement one-hot part
[noop, +x, -x, +y, -y] (if the agent moves) followed by its communication part (dim_c values).
"""


def make_env(scenario_name, benchmark=False, **kwargs):
    """A `multiagent.environment.MultiAgentEnv` of the scenario.

    scenario_name: a built-in scenario ('simple_spread'), with or without '.py', or the path of a
    scenario file. benchmark: report the scenario's benchmark_data in info['n'] (evaluation).
    kwargs go to MultiAgentEnv (e.g. discrete_action=False for continuous actions, shared_viewer,
    done_callback, post_step_callback), as the forks' make_env passed them.
    """
    from maddpg_tf2.envs.make import check_scenario_class
    from multiagent.environment import MultiAgentEnv
    import multiagent.scenarios as scenarios

    name = str(scenario_name)
    module = scenarios.load(name if name.endswith('.py') else name + '.py')
    check_scenario_class(name, module.Scenario, benchmark)  # one line naming what a user's class lacks
    scenario = module.Scenario()
    world = scenario.make_world()
    info = scenario.benchmark_data if benchmark else None
    return MultiAgentEnv(world, scenario.reset_world, scenario.reward, scenario.observation, info, **kwargs)
